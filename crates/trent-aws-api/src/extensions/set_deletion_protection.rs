//! The edge of `Trent.SetDeletionProtection`: `{"KeyId": …, "Enabled": true|false}` answers
//! `{"KeyId": <key ARN>, "DeletionProtection": <bool>}`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::key_toggle;

/// Handles `Trent.SetDeletionProtection`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let (key_id, enabled) = key_toggle(body)?;
    let key = service.set_deletion_protection(ctx, &key_id, enabled).await?;
    Ok(json!({ "KeyId": key.arn().to_string(), "DeletionProtection": key.deletion_protection }))
}
