//! The edge of EnableKey: takes a key ID or key ARN.

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
}

/// Handles EnableKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.finish()?;
    service.enable_key(ctx, request.key_id.as_deref().unwrap_or_default()).await?;
    Ok(json!({}))
}
