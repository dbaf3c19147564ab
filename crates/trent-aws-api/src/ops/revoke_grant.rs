//! The edge of RevokeGrant: KeyId and GrantId (required), DryRun. Answers `{}`.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

/// Handles RevokeGrant.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("grantId", &request.grant_id).length("grantId", request.grant_id.as_deref(), 1, 128);
    v.finish()?;
    let (key_id, grant_id) =
        (request.key_id.as_deref().unwrap_or_default(), request.grant_id.as_deref().unwrap_or_default());
    service.revoke_grant(ctx, key_id, grant_id, request.dry_run.unwrap_or(false)).await?;
    response(&Empty {})
}
