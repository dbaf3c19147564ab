//! The edge of `Trent.SetCancelOnUse`: `{"KeyId": …, "Enabled": true|false}` answers
//! `{"KeyId": <key ARN>, "CancelOnUse": <bool>}`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::key_toggle;

/// Handles `Trent.SetCancelOnUse`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let (key_id, enabled) = key_toggle(body)?;
    let key = service.set_cancel_on_use(ctx, &key_id, enabled).await?;
    Ok(json!({ "KeyId": key.arn().to_string(), "CancelOnUse": key.cancel_on_use }))
}
