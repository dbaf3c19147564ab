//! The edge of ListResourceTags: a key's tags, at most 50 a page.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// ListResourceTags' entries.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tags<'a> {
    tags: Vec<TagEntry<'a>>,
}

/// Handles ListResourceTags.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = Listing::parse(body, true)?;
    let (tags, next) =
        service.list_resource_tags(ctx, request.key(), request.limit_or(50).min(50), request.marker.as_deref()).await?;
    response(&Page::new(Tags { tags: TagEntry::all(&tags) }, next))
}
