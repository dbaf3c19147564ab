//! The edge of ListAliases.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// Handles ListAliases.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request = Listing::parse(body, false)?;
    let (aliases, next) =
        service.list_aliases(ctx, request.key_id.as_deref(), request.limit_or(100), request.marker.as_deref()).await?;
    let entries: Vec<Value> = aliases
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.name.as_str(),
                "AliasArn": trent_domain::Arn::alias(&a.region, &a.account, &a.name).to_string(),
                "TargetKeyId": a.key_id.to_string(),
                "CreationDate": epoch(a.created_at),
                "LastUpdatedDate": epoch(a.updated_at),
            })
        })
        .collect();
    let mut response = serde_json::Map::new();
    response.insert("Aliases".into(), Value::Array(entries));
    Ok(paged(response, next))
}
