//! The edge of ListKeys: Limit 1 to 1000 (default 100) and an opaque Marker.

use serde::Deserialize;
use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    limit: Option<i64>,
    marker: Option<String>,
}

/// Handles ListKeys.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.range("limit", request.limit, 1, 1000);
    check_marker(&mut v, request.marker.as_deref());
    v.finish()?;
    let (keys, next) = service.list_keys(ctx, limit_or(request.limit, 100), request.marker.as_deref()).await?;
    let entries: Vec<Value> = keys.iter().map(|k| json!({ "KeyId": k.id.to_string(), "KeyArn": k.arn().to_string() })).collect();
    let mut response = serde_json::Map::new();
    response.insert("Keys".into(), Value::Array(entries));
    Ok(paged(response, next))
}
