//! The edge of DisableKey: takes a key ID or key ARN.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::required_key_id;

/// Handles DisableKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    service.disable_key(ctx, &required_key_id(body)?).await?;
    Ok(json!({}))
}
