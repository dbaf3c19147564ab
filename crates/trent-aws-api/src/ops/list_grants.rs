//! The edge of ListGrants: KeyId (required), GrantId, GranteePrincipal, Limit (1 to 100, default 50), Marker;
//! answers a page of `Grants`, each as AWS's `GrantListEntry` (the key by its ARN, `Name` empty when none was given,
//! the issuing account as its root user's ARN).

use serde::{Deserialize, Serialize};
use trent_service::ops::grants::{Grant, GrantConstraints};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::create_grant::check_principal_id;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    grant_id: Option<String>,
    grantee_principal: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

/// A page of grants.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grants<'a> {
    grants: Vec<GrantEntry<'a>>,
}

/// AWS's `GrantListEntry`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GrantEntry<'a> {
    key_id: String,
    grant_id: &'a str,
    name: &'a str,
    creation_date: f64,
    grantee_principal: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retiring_principal: Option<&'a str>,
    issuing_account: &'a str,
    operations: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    constraints: Option<&'a GrantConstraints>,
}

impl<'a> Grants<'a> {
    /// The entries of `grants`.
    pub fn of(grants: &'a [Grant]) -> Self {
        let grants = grants
            .iter()
            .map(|grant| GrantEntry {
                key_id: trent_domain::Arn::key(&grant.stored.region, &grant.stored.account, grant.stored.key_id)
                    .to_string(),
                grant_id: &grant.stored.grant_id,
                name: &grant.stored.name,
                creation_date: grant.stored.created_at.epoch_seconds(),
                grantee_principal: &grant.stored.grantee_principal,
                retiring_principal: grant.stored.retiring_principal.as_deref(),
                issuing_account: &grant.stored.issuing_account,
                operations: &grant.operations,
                constraints: grant.constraints.as_ref(),
            })
            .collect();
        Self { grants }
    }
}

/// The model's `LimitType` for grant listings, and its default.
pub fn grant_page_limit(v: &mut Validator, limit: Option<i64>) -> usize {
    v.range("limit", limit, 1, 1000);
    limit.and_then(|l| usize::try_from(l).ok()).map_or(50, |l| l.min(100))
}

/// Handles ListGrants.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.length("grantId", request.grant_id.as_deref(), 1, 128);
    check_principal_id(&mut v, "granteePrincipal", request.grantee_principal.as_deref());
    let limit = grant_page_limit(&mut v, request.limit);
    check_marker(&mut v, request.marker.as_deref());
    v.finish()?;
    let (grants, next) = service
        .list_grants(
            ctx,
            request.key_id.as_deref().unwrap_or_default(),
            request.grant_id.as_deref(),
            request.grantee_principal.as_deref(),
            limit,
            request.marker.as_deref(),
        )
        .await?;
    response(&Page::new(Grants::of(&grants), next))
}
