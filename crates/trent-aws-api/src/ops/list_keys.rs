//! The edge of ListKeys: Limit 1 to 1000 (default 100) and an opaque Marker.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// ListKeys' entries.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Keys {
    keys: Vec<KeyEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyEntry {
    key_id: String,
    key_arn: String,
}

/// Handles ListKeys.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = Listing::parse(body, false)?;
    let (keys, next) = service.list_keys(ctx, request.limit_or(100), request.marker.as_deref()).await?;
    let keys = keys.iter().map(|k| KeyEntry { key_id: k.id.to_string(), key_arn: k.arn().to_string() }).collect();
    response(&Page::new(Keys { keys }, next))
}
