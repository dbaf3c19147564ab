//! The edge of ListKeyPolicies: the one policy name, `default`.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// ListKeyPolicies' entries.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyNames {
    policy_names: Vec<String>,
}

/// Handles ListKeyPolicies.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = Listing::parse(body, true)?;
    let (policy_names, next) =
        service.list_key_policies(ctx, request.key(), request.limit_or(100), request.marker.as_deref()).await?;
    response(&Page::new(PolicyNames { policy_names }, next))
}
