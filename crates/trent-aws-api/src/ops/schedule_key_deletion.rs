//! The edge of ScheduleKeyDeletion: the model allows PendingWindowInDays 1 to 365; the service then insists on 7 to 30.

use serde::Deserialize;
use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    pending_window_in_days: Option<i64>,
}

/// Handles ScheduleKeyDeletion.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.range("pendingWindowInDays", request.pending_window_in_days, 1, 365);
    v.finish()?;
    let key = service
        .schedule_key_deletion(ctx, request.key_id.as_deref().unwrap_or_default(), request.pending_window_in_days)
        .await?;
    let mut response = serde_json::Map::new();
    response.insert("KeyId".into(), json!(key.arn().to_string()));
    if let Some(deletion) = key.state.scheduled_deletion() {
        response.insert("DeletionDate".into(), epoch(deletion.deletion_date));
        response.insert("PendingWindowInDays".into(), json!(deletion.pending_window_days));
    }
    response.insert("KeyState".into(), json!(key.state.as_str()));
    Ok(Value::Object(response))
}
