//! The edge of UpdatePrimaryRegion: the primary's key ID or ARN and `PrimaryRegion` (required; the model's
//! `RegionType`, 1 to 32 characters of `^([a-z]+-){2,3}\d+$`); answers nothing (the model has no output).

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{check_key_id, check_region, parse_body, response, Empty, Reply};
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    primary_region: Option<String>,
}

/// Handles UpdatePrimaryRegion.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    check_region(&mut v, "primaryRegion", &request.primary_region);
    v.finish()?;
    let region = request.primary_region.unwrap_or_default();
    service.update_primary_region(ctx, request.key_id.as_deref().unwrap_or_default(), &region).await?;
    response(&Empty {})
}
