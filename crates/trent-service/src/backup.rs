//! Backups: a whole store as one file (`docs/formats.md`), its key material still sealed under the root key and the
//! whole file authenticated under a key derived from it, and the rules of bringing one back: into an empty store
//! only, refused whole (nothing written) when the file was changed, made under another root key or by a newer Trent,
//! and never bringing a deleted key back to life.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use trent_audit::{AuditEvent, EventBatch, EventType};
use trent_crypto::RootKey;
use trent_domain::Timestamp;
use trent_store::{KeyStore, StoreCopy, TableCopy, Value};

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

/// The keys of `copy` waiting for their deletion (`PendingDeletion`, or a primary's `PendingReplicaDeletion`).
pub fn pending_deletion(copy: &StoreCopy) -> Vec<PendingKey> {
    pending_among(copy.keys())
}

fn pending_among(keys: Vec<(String, String, Option<Timestamp>)>) -> Vec<PendingKey> {
    keys.into_iter()
        .filter(|(_, state, _)| state == "PendingDeletion" || state == "PendingReplicaDeletion")
        .map(|(arn, _, date)| PendingKey { arn, deletion_date: date.map(|d| d.0) })
        .collect()
}

/// The header of a copy of a store taken now.
pub fn header_of(copy: &StoreCopy, source: &str, root_key: &RootKey, now: Timestamp) -> Result<BackupHeader, String> {
    let check = root_key.check_record().map_err(|e| e.to_string())?;
    let keys = copy.keys();
    Ok(BackupHeader {
        backup_id: uuid::Uuid::new_v4().to_string(),
        created_at: now.0,
        source: source.to_owned(),
        schema_version: copy.schema_version,
        root_key_check: base64::engine::general_purpose::STANDARD.encode(check),
        keys: keys.len(),
        pending_deletion: pending_among(keys),
    })
}

/// A backup taken: what it says of itself, and the whole file.
#[derive(Debug)]
pub struct Backup {
    /// Its header.
    pub header: BackupHeader,
    /// The file.
    pub file: Vec<u8>,
}

/// Takes a backup of `store` now: one snapshot, serialised and authenticated off the calling thread, then recorded as
/// a store-wide `BackupStore` event saying `how` it was taken. The one way both the API and the CLI take one.
pub async fn take(store: &KeyStore, root_key: &Arc<RootKey>, now: Timestamp, how: &str) -> Result<Backup, String> {
    let copy = store.copy_all().await.map_err(|e| format!("reading the store: {e}"))?;
    let header = header_of(&copy, store.backend(), root_key, now)?;
    let (key, written) = (Arc::clone(root_key), header.clone());
    // Serialising and authenticating a large store takes seconds: off the thread that serves requests.
    let file = tokio::task::spawn_blocking(move || {
        let mut file = Vec::new();
        write(&copy, &written, &key, &mut file).map(|()| file)
    })
    .await
    .map_err(|e| format!("backup task: {e}"))?
    .map_err(|e| e.to_string())?;
    let detail = format!("backup of {} keys {how}", header.keys);
    let batch = EventBatch::of(&[event("BackupStore", &header, now, &detail)]).map_err(|e| e.to_string())?;
    store.append_events(Arc::new(batch)).await.map_err(|e| format!("recording the audit event: {e}"))?;
    Ok(Backup { header, file })
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

/// Reads a backup file: its header and copy, once its format and tag are checked; a tag that does not match says
/// whether the file was made under another root key or changed.
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
    if !root_key.verifies_backup_tag(body.as_bytes(), &tag) {
        // Which of the two: the header's check record opens only under the root key the file was made with.
        let header = rest.split_once('\n').and_then(|(line, _)| serde_json::from_str::<BackupHeader>(line).ok());
        let check = header.and_then(|h| base64::engine::general_purpose::STANDARD.decode(h.root_key_check).ok());
        return Err(match check {
            Some(check) if !root_key.verifies_check_record(&check) => BackupError::OtherRootKey,
            _ => BackupError::Tampered,
        });
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

/// What a deployment's trail says was deleted after a backup was made.
#[derive(Debug, Default)]
pub struct Deletions {
    /// The ARNs of keys with a `DeleteKey` event at or after the backup's time.
    pub keys: HashSet<String>,
    /// The accounts whose trail was given.
    pub accounts: HashSet<String>,
    /// The time of the earliest event given (ISO 8601), if any.
    pub earliest: Option<String>,
}

impl Deletions {
    /// Adds what a CloudTrail log file (`trent audit export`, `{"Records": […]}`, one account's trail) says: the
    /// resources of its `DeleteKey` events at or after `since` (ISO 8601, as `eventTime` is written, so the two
    /// compare as text). Earlier deletions are of keys the backup does not hold, or of a replica made again since.
    pub fn add_export(&mut self, export: &[u8], since: &str) -> Result<(), String> {
        #[derive(Deserialize)]
        struct Export {
            #[serde(rename = "Records")]
            records: Vec<Json>,
        }
        let export: Export = serde_json::from_slice(export).map_err(|e| format!("not a CloudTrail log file: {e}"))?;
        for record in &export.records {
            let field = |name: &str| record.get(name).and_then(Json::as_str);
            if let Some(time) = field("eventTime") {
                if self.earliest.as_deref().is_none_or(|earliest| time < earliest) {
                    self.earliest = Some(time.to_owned());
                }
            }
            if let Some(account) = field("recipientAccountId").filter(|account| !account.is_empty()) {
                self.accounts.insert(account.to_owned());
            }
            if field("eventName") != Some("DeleteKey") || field("eventTime").is_none_or(|time| time < since) {
                continue;
            }
            let resources = record.get("resources").and_then(Json::as_array).into_iter().flatten();
            self.keys.extend(resources.filter_map(|r| r.get("ARN").and_then(Json::as_str).map(str::to_owned)));
        }
        Ok(())
    }
}

/// The store-wide audit event of a backup made (`BackupStore`) or restored (`RestoreBackup`).
pub fn event(name: &str, header: &BackupHeader, at: Timestamp, detail: &str) -> AuditEvent {
    AuditEvent::raw(name, EventType::AwsServiceEvent, at, "", "", AuditEvent::service_identity(), None)
        .with_parameter("backupId", header.backup_id.clone())
        .with_parameter("reason", detail.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn root_key(byte: u8) -> RootKey {
        RootKey::from_material(&Zeroizing::new([byte; 32])).unwrap()
    }

    fn sample() -> (BackupHeader, StoreCopy, Vec<u8>) {
        let copy = StoreCopy {
            schema_version: 15,
            tables: vec![TableCopy {
                table: "meta".into(),
                columns: vec!["name".into(), "value".into()],
                rows: vec![
                    vec![Value::Text("a".into()), Value::Blob(vec![0, 1, 255])],
                    vec![Value::Int(-3), Value::Bool(true)],
                    vec![Value::Null, Value::Text("line\nbreak \"quoted\"".into())],
                ],
            }],
        };
        let key = root_key(7);
        let header = header_of(&copy, "sqlite", &key, Timestamp(1_700_000_000_000)).unwrap();
        let mut bytes = Vec::new();
        write(&copy, &header, &key, &mut bytes).unwrap();
        (header, copy, bytes)
    }

    #[test]
    fn a_backup_reads_back_exactly_what_was_written() {
        let (header, copy, bytes) = sample();
        assert_eq!(read(&bytes, &root_key(7)).unwrap(), (header, copy));
    }

    #[test]
    fn any_change_outside_the_authenticated_bytes_or_in_them_is_refused() {
        let (_, _, bytes) = sample();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let variants: Vec<Vec<u8>> = vec![
            bytes[..bytes.len() - 10].to_vec(),                  // cut short
            [bytes.clone(), b"[\"extra\"]\n".to_vec()].concat(), // a line after the tag
            text.replace('\n', "\r\n").into_bytes(),             // line ends changed
            text.replacen("\"a\"", "\"b\"", 1).into_bytes(),     // one cell changed
            text.replacen("TAG ", "TAG 00", 1).into_bytes(),     // the tag changed
        ];
        for variant in variants {
            assert!(matches!(read(&variant, &root_key(7)), Err(BackupError::Tampered)), "{variant:?}");
        }
    }

    #[test]
    fn another_root_key_is_told_apart_from_a_change_and_a_newer_format_is_refused() {
        let (_, _, bytes) = sample();
        assert!(matches!(read(&bytes, &root_key(8)), Err(BackupError::OtherRootKey)));
        let newer = String::from_utf8(bytes).unwrap().replacen("TRENT-BACKUP 1", "TRENT-BACKUP 2", 1);
        assert!(matches!(read(newer.as_bytes(), &root_key(7)), Err(BackupError::NewerFormat(2))));
        assert!(matches!(read(b"hello\n", &root_key(7)), Err(BackupError::NotABackup)));
    }

    #[test]
    fn only_deletions_since_the_backup_are_honoured() {
        let export = serde_json::json!({ "Records": [
            { "eventName": "DeleteKey", "eventTime": "2026-12-01T00:00:00Z", "recipientAccountId": "111122223333",
              "resources": [{ "ARN": "arn:aws:kms:us-east-1:111122223333:key/old" }] },
            { "eventName": "DeleteKey", "eventTime": "2026-12-03T00:00:00Z", "recipientAccountId": "111122223333",
              "resources": [{ "ARN": "arn:aws-cn:kms:cn-north-1:111122223333:key/new" }] },
            { "eventName": "Encrypt", "eventTime": "2026-12-04T00:00:00Z", "recipientAccountId": "111122223333",
              "resources": [{ "ARN": "arn:aws:kms:us-east-1:111122223333:key/used" }] },
        ]});
        let mut deletions = Deletions::default();
        deletions.add_export(export.to_string().as_bytes(), "2026-12-02T00:00:00Z").unwrap();
        assert_eq!(deletions.keys, HashSet::from(["arn:aws-cn:kms:cn-north-1:111122223333:key/new".to_owned()]));
        assert_eq!(deletions.earliest.as_deref(), Some("2026-12-01T00:00:00Z"));
        assert!(deletions.accounts.contains("111122223333"));
    }
}
