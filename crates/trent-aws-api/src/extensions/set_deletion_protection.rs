//! The edge of `Trent.SetDeletionProtection`: `{"KeyId": …, "Enabled": true|false}` answers
//! `{"KeyId": <key ARN>, "DeletionProtection": <bool>}`.

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

/// Handles `Trent.SetDeletionProtection`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("enabled", &request.enabled);
    v.finish()?;
    let key = service.set_deletion_protection(ctx, request.key_id.as_deref().unwrap_or_default(), request.enabled.unwrap_or_default()).await?;
    Ok(json!({ "KeyId": key.arn().to_string(), "DeletionProtection": key.deletion_protection }))
}
