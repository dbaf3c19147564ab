//! The edge of CreateAlias: an alias name and a target key ID or key ARN.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    alias_name: Option<String>,
    target_key_id: Option<String>,
}

/// Parses and checks CreateAlias's and UpdateAlias's members (the same in the model): alias name and target key.
pub fn alias_and_target(body: &[u8]) -> Result<(String, String), AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.required("aliasName", &request.alias_name).length("aliasName", request.alias_name.as_deref(), 1, 256).pattern(
        "aliasName",
        request.alias_name.as_deref(),
        "^[a-zA-Z0-9:/_-]+$",
        |c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'),
    );
    check_key_id(&mut v, "targetKeyId", &request.target_key_id, true);
    v.finish()?;
    Ok((request.alias_name.unwrap_or_default(), request.target_key_id.unwrap_or_default()))
}

/// Handles CreateAlias.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (alias_name, target_key_id) = alias_and_target(body)?;
    service.create_alias(ctx, &alias_name, &target_key_id).await?;
    response(&Empty {})
}
