//! The edge of ListKeyPolicies.

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
    limit: Option<i64>,
    marker: Option<String>,
}

/// Handles ListKeyPolicies.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.range("limit", request.limit, 1, 1000);
    check_marker(&mut v, request.marker.as_deref());
    v.finish()?;
    let (names, next) = service.list_key_policies(ctx, request.key_id.as_deref().unwrap_or_default(), limit_or(request.limit, 100), request.marker.as_deref()).await?;
    let mut response = serde_json::Map::new();
    response.insert("PolicyNames".into(), json!(names));
    Ok(paged(response, next))
}
