//! The edge of GetKeyPolicy.

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    policy_name: Option<String>,
}

/// GetKeyPolicy's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    policy: &'a str,
    policy_name: &'a str,
}

impl Shape for Answer<'_> {}

/// Handles GetKeyPolicy.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.length("policyName", request.policy_name.as_deref(), 1, 128).pattern(
        "policyName",
        request.policy_name.as_deref(),
        "[\\w]+",
        |c| c.is_alphanumeric() || c == '_',
    );
    v.finish()?;
    let (policy, name) = service
        .get_key_policy(ctx, request.key_id.as_deref().unwrap_or_default(), request.policy_name.as_deref())
        .await?;
    response(&Answer { policy: &policy, policy_name: &name })
}
