//! The edge of TagResource.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    tags: Option<Vec<WireTag>>,
}

/// Handles TagResource.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("tags", &request.tags);
    let tags = tags(&mut v, "tags", request.tags.as_deref());
    v.finish()?;
    service.tag_resource(ctx, request.key_id.as_deref().unwrap_or_default(), &tags).await?;
    response(&Empty {})
}
