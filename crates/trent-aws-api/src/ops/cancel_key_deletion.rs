//! The edge of CancelKeyDeletion: takes a key ID or key ARN; answers with the key ARN.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::required_key_id;

/// Handles CancelKeyDeletion.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let key = service.cancel_key_deletion(ctx, &required_key_id(body)?).await?;
    Ok(json!({ "KeyId": key.arn().to_string() }))
}
