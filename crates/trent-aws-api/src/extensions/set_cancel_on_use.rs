//! The edge of `Trent.SetCancelOnUse`: `{"KeyId": …, "Enabled": true|false}` answers
//! `{"KeyId": <key ARN>, "CancelOnUse": <bool>}`.

use serde::Deserialize;
use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    enabled: Option<bool>,
}

/// Handles `Trent.SetCancelOnUse`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("enabled", &request.enabled);
    v.finish()?;
    let key = service.set_cancel_on_use(ctx, request.key_id.as_deref().unwrap_or_default(), request.enabled.unwrap_or_default()).await?;
    Ok(json!({ "KeyId": key.arn().to_string(), "CancelOnUse": key.cancel_on_use }))
}
