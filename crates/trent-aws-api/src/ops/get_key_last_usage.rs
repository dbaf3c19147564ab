//! The edge of GetKeyLastUsage: takes a key ID or key ARN (no aliases); answers `KeyId`, `KeyLastUsage` (an empty
//! object when the key has not been used since tracking began), `TrackingStartDate` and `KeyCreationDate`.

use serde::Serialize;
use trent_audit::usage::LastUse;
use trent_domain::Timestamp;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{names_key, required_key_id, response, Empty, Reply};

/// GetKeyLastUsage's answer (`KeyLastUsage` is `{}` when the key was never used since tracking started).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    #[serde(serialize_with = "object_or_empty")]
    key_last_usage: Option<LastUsage<'a>>,
    tracking_start_date: f64,
    key_creation_date: f64,
}

names_key!(Answer<'_>);

/// The last successful cryptographic use of a key (also in `Trent.GetKeyUsage`'s report).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LastUsage<'a> {
    operation: &'a str,
    timestamp: f64,
    cloud_trail_event_id: &'a str,
    /// Absent for a use recorded without a request ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_request_id: Option<&'a str>,
}

impl<'a> LastUsage<'a> {
    /// The wire form of `last`.
    pub fn of(last: &'a LastUse) -> Self {
        Self {
            operation: &last.operation,
            timestamp: Timestamp(last.millis).epoch_seconds(),
            cloud_trail_event_id: &last.event_id,
            kms_request_id: Some(last.request_id.as_str()).filter(|id| !id.is_empty()),
        }
    }
}

fn object_or_empty<S: serde::Serializer>(last: &Option<LastUsage<'_>>, serializer: S) -> Result<S::Ok, S::Error> {
    match last {
        Some(last) => last.serialize(serializer),
        None => Empty {}.serialize(serializer),
    }
}

/// Handles GetKeyLastUsage.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let answer = service.get_key_last_usage(ctx, &required_key_id(body)?).await?;
    response(&Answer {
        key_id: &answer.key.id.to_string(),
        key_last_usage: answer.last_use.as_ref().map(LastUsage::of),
        tracking_start_date: answer.tracking_start.epoch_seconds(),
        key_creation_date: answer.key.created_at.epoch_seconds(),
    })
}
