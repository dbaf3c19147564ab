//! The edge of ListKeyPolicies: the one policy name, `default`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// Handles ListKeyPolicies.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request = Listing::parse(body, true)?;
    let (names, next) =
        service.list_key_policies(ctx, request.key(), request.limit_or(100), request.marker.as_deref()).await?;
    let mut response = serde_json::Map::new();
    response.insert("PolicyNames".into(), json!(names));
    Ok(paged(response, next))
}
