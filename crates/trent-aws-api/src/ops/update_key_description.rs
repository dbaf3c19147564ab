//! The edge of UpdateKeyDescription.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    description: Option<String>,
}

/// Handles UpdateKeyDescription.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("description", &request.description).length("description", request.description.as_deref(), 0, 8192);
    v.finish()?;
    service
        .update_key_description(
            ctx,
            request.key_id.as_deref().unwrap_or_default(),
            request.description.as_deref().unwrap_or_default(),
        )
        .await?;
    response(&Empty {})
}
