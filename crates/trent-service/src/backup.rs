//! Backups: a whole store as one file (`docs/formats.md`), its key material still sealed under the root key and the
//! whole file authenticated under a key derived from it, and the rules of bringing one back: into an empty store
//! only, refused whole (nothing written) when the file was changed, made under another root key or by a newer Trent,
//! and never bringing a deleted key back to life.

use std::collections::HashSet;
use std::io::Write;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use trent_audit::{AuditEvent, EventType};
use trent_crypto::RootKey;
use trent_domain::Timestamp;
use trent_store::{StoreCopy, TableCopy, Value};

/// The first line's word.
const MAGIC: &str = "TRENT-BACKUP";
/// The format this Trent writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The last line's word, before the tag in hex.
const TAG: &str = "TAG";

/// What a backup says of itself (its second line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupHeader {
    /// The backup's ID (random), named in the audit events of its making and restoring.
    pub backup_id: String,
    /// When the snapshot was taken, ms since the epoch.
    pub created_at: i64,
    /// The store it was taken from: `sqlite` or `postgres`.
    pub source: String,
    /// The schema version of its rows.
    pub schema_version: i64,
    /// A record only the root key it was made under opens (base64), so that another root key is told apart from a
    /// changed file.
    pub root_key_check: String,
    /// How many keys it holds.
    pub keys: usize,
    /// The keys that were pending deletion when it was taken.
    pub pending_deletion: Vec<PendingKey>,
}

/// A key pending deletion in a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingKey {
    /// The key's ARN.
    pub arn: String,
    /// When its waiting period ends, ms since the epoch.
    pub deletion_date: Option<i64>,
}

/// The line that starts each table: its name, columns and how many row lines follow.
#[derive(Debug, Serialize, Deserialize)]
struct TableLine {
    table: String,
    columns: Vec<String>,
    rows: usize,
}

/// Why a backup file was refused.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The file does not start as a backup does.
    #[error("not a Trent backup (it does not start with '{MAGIC} <version>')")]
    NotABackup,
    /// Written by a newer Trent.
    #[error(
        "the backup is in format {0}, newer than this Trent reads ({FORMAT_VERSION}): restore it with a newer Trent"
    )]
    NewerFormat(u32),
    /// Made under another root key.
    #[error("the backup was made under a different root key: restore it with the root key file of the deployment it came from")]
    OtherRootKey,
    /// Its bytes are not those that were authenticated.
    #[error("the backup was changed since it was made (its authentication tag does not match): refusing all of it")]
    Tampered,
    /// Authenticated, yet unreadable: written by a faulty Trent.
    #[error("the backup is unreadable: {0}")]
    Malformed(String),
    /// Writing the file failed.
    #[error("writing the backup: {0}")]
    Io(#[from] std::io::Error),
}

fn cell(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Int(v) => Json::from(*v),
        Value::Bool(v) => Json::Bool(*v),
        Value::Text(v) => Json::String(v.clone()),
        Value::Blob(v) => serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(v) }),
    }
}

fn value(cell: Json) -> Result<Value, BackupError> {
    Ok(match cell {
        Json::Null => Value::Null,
        Json::Bool(v) => Value::Bool(v),
        Json::Number(n) => Value::Int(n.as_i64().ok_or_else(|| BackupError::Malformed(format!("number {n}")))?),
        Json::String(v) => Value::Text(v),
        Json::Object(mut object) => {
            let encoded = object.remove("base64").and_then(|v| v.as_str().map(str::to_owned));
            let bytes = encoded.and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok());
            Value::Blob(bytes.ok_or_else(|| BackupError::Malformed("a cell that is no value".into()))?)
        }
        Json::Array(_) => return Err(BackupError::Malformed("a cell that is no value".into())),
    })
}

/// The header of a copy of a store taken now.
pub fn header_of(copy: &StoreCopy, source: &str, root_key: &RootKey, now: Timestamp) -> Result<BackupHeader, String> {
    let keys = copy.keys();
    let check = root_key.check_record().map_err(|e| e.to_string())?;
    Ok(BackupHeader {
        backup_id: uuid::Uuid::new_v4().to_string(),
        created_at: now.0,
        source: source.to_owned(),
        schema_version: copy.schema_version,
        root_key_check: base64::engine::general_purpose::STANDARD.encode(check),
        keys: keys.len(),
        pending_deletion: keys
            .into_iter()
            .filter(|(_, state, _)| state == "PendingDeletion" || state == "PendingReplicaDeletion")
            .map(|(arn, _, date)| PendingKey { arn, deletion_date: date.map(|d| d.0) })
            .collect(),
    })
}

/// Writes the backup file of `copy` to `out`: every line, then the tag over all of them.
pub fn write(
    copy: &StoreCopy,
    header: &BackupHeader,
    root_key: &RootKey,
    out: &mut impl Write,
) -> Result<(), BackupError> {
    let mut bytes = format!("{MAGIC} {FORMAT_VERSION}\n").into_bytes();
    json_line(&mut bytes, header)?;
    for table in &copy.tables {
        let head = TableLine { table: table.table.clone(), columns: table.columns.clone(), rows: table.rows.len() };
        json_line(&mut bytes, &head)?;
        for row in &table.rows {
            json_line(&mut bytes, &row.iter().map(cell).collect::<Vec<Json>>())?;
        }
    }
    let tag = trent_domain::hex::lower_hex(&root_key.backup_tag(&bytes));
    bytes.extend_from_slice(format!("{TAG} {tag}\n").as_bytes());
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

/// Appends `value` as one JSON line.
fn json_line(bytes: &mut Vec<u8>, value: &impl Serialize) -> Result<(), BackupError> {
    serde_json::to_writer(&mut *bytes, value).map_err(|e| BackupError::Malformed(e.to_string()))?;
    bytes.push(b'\n');
    Ok(())
}

/// Reads a backup file: its header and copy, once its format, root key and tag are checked (in that order, so that a
/// file made under another root key is told apart from a changed one).
pub fn read(bytes: &[u8], root_key: &RootKey) -> Result<(BackupHeader, StoreCopy), BackupError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BackupError::NotABackup)?;
    let (first, rest) = text.split_once('\n').ok_or(BackupError::NotABackup)?;
    let version = first.strip_prefix(MAGIC).map(str::trim).ok_or(BackupError::NotABackup)?;
    let version: u32 = version.parse().map_err(|_| BackupError::NotABackup)?;
    if version > FORMAT_VERSION {
        return Err(BackupError::NewerFormat(version));
    }
    let body_end = text.trim_end_matches('\n').rfind('\n').ok_or(BackupError::Tampered)? + 1;
    let (body, last) = text.split_at(body_end);
    let tag = last.trim_end().strip_prefix(TAG).map(str::trim).ok_or(BackupError::Tampered)?;
    let tag = hex::decode(tag).map_err(|_| BackupError::Tampered)?;
    let (header_line, _) = rest.split_once('\n').ok_or(BackupError::Tampered)?;
    if let Ok(header) = serde_json::from_str::<BackupHeader>(header_line) {
        let check = base64::engine::general_purpose::STANDARD.decode(&header.root_key_check).unwrap_or_default();
        if !root_key.verifies_check_record(&check) {
            return Err(BackupError::OtherRootKey);
        }
    }
    if !root_key.verifies_backup_tag(body.as_bytes(), &tag) {
        return Err(BackupError::Tampered);
    }
    parse_body(body)
}

fn parse_body(body: &str) -> Result<(BackupHeader, StoreCopy), BackupError> {
    let malformed = |what: &str| BackupError::Malformed(what.to_owned());
    let mut lines = body.lines().skip(1);
    let header: BackupHeader = serde_json::from_str(lines.next().ok_or_else(|| malformed("no header"))?)
        .map_err(|e| malformed(&e.to_string()))?;
    let mut tables = Vec::new();
    while let Some(line) = lines.next() {
        let head: TableLine = serde_json::from_str(line).map_err(|e| malformed(&e.to_string()))?;
        let mut rows = Vec::with_capacity(head.rows);
        for _ in 0..head.rows {
            let line = lines.next().ok_or_else(|| malformed("a table ends early"))?;
            let cells: Vec<Json> = serde_json::from_str(line).map_err(|e| malformed(&e.to_string()))?;
            rows.push(cells.into_iter().map(value).collect::<Result<Vec<_>, _>>()?);
        }
        tables.push(TableCopy { table: head.table, columns: head.columns, rows });
    }
    let copy = StoreCopy { schema_version: header.schema_version, tables };
    Ok((header, copy))
}

/// The ARNs of the keys a CloudTrail log file (`trent audit export`, `{"Records": […]}`) records as deleted: the
/// resources of its `DeleteKey` events.
pub fn deleted_keys(export: &[u8]) -> Result<HashSet<String>, String> {
    #[derive(Deserialize)]
    struct Export {
        #[serde(rename = "Records")]
        records: Vec<Json>,
    }
    let export: Export = serde_json::from_slice(export).map_err(|e| format!("not a CloudTrail log file: {e}"))?;
    Ok(export
        .records
        .iter()
        .filter(|record| record.get("eventName").and_then(Json::as_str) == Some("DeleteKey"))
        .filter_map(|record| record.get("resources").and_then(Json::as_array))
        .flatten()
        .filter_map(|resource| resource.get("ARN").and_then(Json::as_str).map(str::to_owned))
        .collect())
}

/// The store-wide audit event of a backup made (`BackupStore`) or restored (`RestoreBackup`).
pub fn event(name: &str, header: &BackupHeader, at: Timestamp, detail: &str) -> AuditEvent {
    AuditEvent::raw(name, EventType::AwsServiceEvent, at, "", "", AuditEvent::service_identity(), None)
        .with_parameter("backupId", header.backup_id.clone())
        .with_parameter("reason", detail.to_owned())
}
