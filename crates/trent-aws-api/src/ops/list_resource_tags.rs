//! The edge of ListResourceTags: a key's tags, at most 50 a page.

use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// Handles ListResourceTags.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request = Listing::parse(body, true)?;
    let (tags, next) =
        service.list_resource_tags(ctx, request.key(), request.limit_or(50).min(50), request.marker.as_deref()).await?;
    let mut response = serde_json::Map::new();
    response.insert("Tags".into(), wire_tags(&tags));
    Ok(paged(response, next))
}
