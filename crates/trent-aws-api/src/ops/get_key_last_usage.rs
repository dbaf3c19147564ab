//! The edge of GetKeyLastUsage: takes a key ID or key ARN (no aliases); answers `KeyId`, `KeyLastUsage` (an empty
//! object when the key has not been used since tracking began), `TrackingStartDate` and `KeyCreationDate`.

use serde_json::{json, Map, Value};
use trent_domain::Timestamp;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{epoch, required_key_id};

/// Handles GetKeyLastUsage.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let answer = service.get_key_last_usage(ctx, &required_key_id(body)?).await?;
    let mut last = Map::new();
    if let Some(use_) = &answer.last_use {
        last.insert("Operation".into(), json!(use_.operation));
        last.insert("Timestamp".into(), epoch(Timestamp(use_.millis)));
        last.insert("CloudTrailEventId".into(), json!(use_.event_id));
        if !use_.request_id.is_empty() {
            last.insert("KmsRequestId".into(), json!(use_.request_id));
        }
    }
    Ok(json!({
        "KeyId": answer.key.id.to_string(),
        "KeyLastUsage": Value::Object(last),
        "TrackingStartDate": epoch(answer.tracking_start),
        "KeyCreationDate": epoch(answer.key.created_at),
    }))
}
