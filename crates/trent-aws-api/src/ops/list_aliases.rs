//! The edge of ListAliases.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// ListAliases' entries.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Aliases {
    aliases: Vec<AliasEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AliasEntry {
    alias_name: String,
    alias_arn: String,
    target_key_id: String,
    creation_date: f64,
    last_updated_date: f64,
}

/// Handles ListAliases.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = Listing::parse(body, false)?;
    let (aliases, next) =
        service.list_aliases(ctx, request.key_id.as_deref(), request.limit_or(100), request.marker.as_deref()).await?;
    let aliases = aliases
        .iter()
        .map(|a| AliasEntry {
            alias_name: a.name.as_str().to_owned(),
            alias_arn: trent_domain::Arn::alias(&a.region, &a.account, &a.name).to_string(),
            target_key_id: a.key_id.to_string(),
            creation_date: a.created_at.epoch_seconds(),
            last_updated_date: a.updated_at.epoch_seconds(),
        })
        .collect();
    response(&Page::new(Aliases { aliases }, next))
}
