//! The edge of RetireGrant: GrantToken, or KeyId and GrantId; DryRun. Answers `{}`.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    grant_token: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

/// Handles RetireGrant.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.length("grantToken", request.grant_token.as_deref(), 1, 8192);
    check_key_id(&mut v, "keyId", &request.key_id, false);
    v.length("grantId", request.grant_id.as_deref(), 1, 128);
    v.finish()?;
    service
        .retire_grant(
            ctx,
            request.grant_token.as_deref(),
            request.key_id.as_deref(),
            request.grant_id.as_deref(),
            request.dry_run.unwrap_or(false),
        )
        .await?;
    response(&Empty {})
}
