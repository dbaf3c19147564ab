//! The edge of ListKeys: Limit 1 to 1000 (default 100) and an opaque Marker.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// Handles ListKeys.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request = Listing::parse(body, false)?;
    let (keys, next) = service.list_keys(ctx, request.limit_or(100), request.marker.as_deref()).await?;
    let entries: Vec<Value> =
        keys.iter().map(|k| json!({ "KeyId": k.id.to_string(), "KeyArn": k.arn().to_string() })).collect();
    let mut response = serde_json::Map::new();
    response.insert("Keys".into(), Value::Array(entries));
    Ok(paged(response, next))
}
