//! The edge of `Trent.GetDeletionProtection`: `{"KeyId": …}` answers `{"KeyId": <key ARN>, "DeletionProtection": <bool>}`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::required_key_id;

/// Handles `Trent.GetDeletionProtection`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let key = service.get_deletion_protection(ctx, &required_key_id(body)?).await?;
    Ok(json!({ "KeyId": key.arn().to_string(), "DeletionProtection": key.deletion_protection }))
}
