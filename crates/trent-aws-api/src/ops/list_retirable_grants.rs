//! The edge of ListRetirableGrants: RetiringPrincipal (required), Limit, Marker; answers a page of `Grants` as
//! ListGrants does.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::create_grant::check_principal_id;
use crate::ops::list_grants::{grant_page_limit, Grants};
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    retiring_principal: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

/// Handles ListRetirableGrants.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.required("retiringPrincipal", &request.retiring_principal);
    check_principal_id(&mut v, "retiringPrincipal", request.retiring_principal.as_deref());
    let limit = grant_page_limit(&mut v, request.limit);
    check_marker(&mut v, request.marker.as_deref());
    v.finish()?;
    let principal = request.retiring_principal.as_deref().unwrap_or_default();
    let (grants, next) = service.list_retirable_grants(ctx, principal, limit, request.marker.as_deref()).await?;
    response(&Page::new(Grants::of(&grants), next))
}
