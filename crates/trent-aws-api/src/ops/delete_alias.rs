//! The edge of DeleteAlias.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    alias_name: Option<String>,
}

/// Handles DeleteAlias.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.required("aliasName", &request.alias_name).length("aliasName", request.alias_name.as_deref(), 1, 256).pattern(
        "aliasName",
        request.alias_name.as_deref(),
        "^[a-zA-Z0-9:/_-]+$",
        |c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'),
    );
    v.finish()?;
    service.delete_alias(ctx, request.alias_name.as_deref().unwrap_or_default()).await?;
    response(&Empty {})
}
