//! The edge of `Trent.BackupStore`: `{}` answers the backup file (base64, `Backup`) with what it holds: its ID, when
//! it was taken, how many keys, and which were pending deletion (docs/api.md; the file's format in docs/formats.md).

use serde::Serialize;
use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{base64, parse_body, response, Base64Text, Reply, Shape};

/// A key pending deletion in the backup.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PendingKey {
    key_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_date: Option<f64>,
}

/// `Trent.BackupStore`'s answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    backup_id: String,
    creation_date: f64,
    keys: usize,
    pending_deletion: Vec<PendingKey>,
    backup: Base64Text,
}

impl Shape for Answer {}

/// Handles `Trent.BackupStore`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let _: serde_json::Map<String, Value> = parse_body(body)?;
    let backup = service.backup_store(ctx).await?;
    let seconds = |millis: i64| trent_domain::Timestamp(millis).epoch_seconds();
    response(&Answer {
        backup_id: backup.header.backup_id,
        creation_date: seconds(backup.header.created_at),
        keys: backup.header.keys,
        pending_deletion: backup
            .header
            .pending_deletion
            .into_iter()
            .map(|key| PendingKey { key_arn: key.arn, deletion_date: key.deletion_date.map(seconds) })
            .collect(),
        backup: base64(&backup.file),
    })
}
