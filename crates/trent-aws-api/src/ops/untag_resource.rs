//! The edge of UntagResource.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    tag_keys: Option<Vec<String>>,
}

/// Handles UntagResource.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("tagKeys", &request.tag_keys);
    for key in request.tag_keys.as_deref().unwrap_or_default() {
        v.length("tagKeys.member", Some(key), 1, 128);
    }
    v.finish()?;
    service
        .untag_resource(
            ctx,
            request.key_id.as_deref().unwrap_or_default(),
            request.tag_keys.as_deref().unwrap_or_default(),
        )
        .await?;
    response(&Empty {})
}
