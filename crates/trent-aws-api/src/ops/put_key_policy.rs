//! The edge of PutKeyPolicy.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    policy_name: Option<String>,
    policy: Option<String>,
    #[allow(dead_code)]
    bypass_policy_lockout_safety_check: Option<bool>,
}

/// Handles PutKeyPolicy.
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
    v.required("policy", &request.policy).length("policy", request.policy.as_deref(), 1, 131_072);
    v.finish()?;
    service
        .put_key_policy(
            ctx,
            request.key_id.as_deref().unwrap_or_default(),
            request.policy_name.as_deref(),
            request.policy.as_deref().unwrap_or_default(),
            request.bypass_policy_lockout_safety_check.unwrap_or(false),
        )
        .await?;
    response(&Empty {})
}
