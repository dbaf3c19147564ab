//! The edge of CreateGrant: KeyId, GranteePrincipal, Operations (required), RetiringPrincipal, Constraints,
//! GrantTokens, Name, DryRun; answers `{"GrantToken", "GrantId"}`.

use serde::{Deserialize, Serialize};
use trent_service::ops::grants::{GrantConstraints, GrantRequest, GRANT_OPERATIONS};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    grantee_principal: Option<String>,
    retiring_principal: Option<String>,
    operations: Option<Vec<String>>,
    constraints: Option<GrantConstraints>,
    grant_tokens: Option<Vec<String>>,
    name: Option<String>,
    dry_run: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    grant_token: &'a str,
    grant_id: &'a str,
}

impl Shape for Answer<'_> {}

/// The model's `PrincipalIdType`: 1 to 256 of `[\w+=,.@:/-]`.
pub fn check_principal_id(v: &mut Validator, member: &str, value: Option<&str>) {
    v.length(member, value, 1, 256)
        .pattern(member, value, "^[\\w+=,.@:/-]+$", |c| c.is_alphanumeric() || "_+=,.@:/-".contains(c));
}

/// Handles CreateGrant.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("granteePrincipal", &request.grantee_principal);
    check_principal_id(&mut v, "granteePrincipal", request.grantee_principal.as_deref());
    check_principal_id(&mut v, "retiringPrincipal", request.retiring_principal.as_deref());
    v.required("operations", &request.operations);
    v.each_one_of("operations", request.operations.as_deref(), GRANT_OPERATIONS);
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.length("name", request.name.as_deref(), 1, 256).pattern(
        "name",
        request.name.as_deref(),
        "^[a-zA-Z0-9:/_-]+$",
        |c| c.is_ascii_alphanumeric() || ":/_-".contains(c),
    );
    v.finish()?;
    let grant = GrantRequest {
        key_id: request.key_id.as_deref().unwrap_or_default(),
        grantee_principal: request.grantee_principal.as_deref().unwrap_or_default(),
        retiring_principal: request.retiring_principal.as_deref(),
        operations: request.operations.clone().unwrap_or_default(),
        constraints: request.constraints.clone(),
        name: request.name.as_deref(),
        dry_run: request.dry_run.unwrap_or(false),
    };
    let (grant_id, grant_token) = service.create_grant(ctx, grant).await?;
    response(&Answer { grant_token: &grant_token, grant_id: &grant_id })
}
