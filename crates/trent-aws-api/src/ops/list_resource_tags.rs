//! The edge of ListResourceTags: Limit 1 to 50 (default 50).

use serde::Deserialize;
use serde_json::Value;
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

/// Handles ListResourceTags.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.range("limit", request.limit, 1, 1000);
    check_marker(&mut v, request.marker.as_deref());
    v.finish()?;
    let limit = limit_or(request.limit, 50).min(50);
    let (tags, next) = service.list_resource_tags(ctx, request.key_id.as_deref().unwrap_or_default(), limit, request.marker.as_deref()).await?;
    let mut response = serde_json::Map::new();
    response.insert("Tags".into(), wire_tags(&tags));
    Ok(paged(response, next))
}
