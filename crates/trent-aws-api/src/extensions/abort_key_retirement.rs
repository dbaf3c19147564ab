//! The edge of `Trent.AbortKeyRetirement`: `{"KeyId": …}` (key ID or ARN) stops the key's running plan, leaving the
//! key `Disabled`; answers `{"Retirement": <plan>}`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::extensions::get_key_retirement::plan;
use crate::shapes::required_key_id;

/// Handles `Trent.AbortKeyRetirement`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let stopped = service.abort_key_retirement(ctx, &required_key_id(body)?).await?;
    Ok(json!({ "Retirement": plan(&stopped) }))
}
