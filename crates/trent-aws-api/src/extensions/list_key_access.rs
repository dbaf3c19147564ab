//! The edge of `Trent.ListKeyAccess`: `{"KeyId"}` answers `{"KeyId": <key ARN>, "Entries": [{"Principal", "Effect",
//! "Actions", "Conditions", "Source"}]}`: who the key policy, the identity policies it delegates to and the live
//! grants let do what to the key.

use serde::Serialize;
use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{required_key_id, response, Reply, Shape};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry<'a> {
    principal: &'a str,
    effect: &'a str,
    actions: &'a [&'static str],
    conditions: &'a [Value],
    source: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: String,
    entries: Vec<Entry<'a>>,
}

impl Shape for Answer<'_> {}

/// Handles `Trent.ListKeyAccess`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let key_id = required_key_id(body)?;
    let (key, entries) = service.list_key_access(ctx, &key_id).await?;
    let entries = entries
        .iter()
        .map(|entry| Entry {
            principal: &entry.principal,
            effect: entry.effect,
            actions: &entry.actions,
            conditions: &entry.conditions,
            source: &entry.source,
        })
        .collect();
    response(&Answer { key_id: key.arn().to_string(), entries })
}
