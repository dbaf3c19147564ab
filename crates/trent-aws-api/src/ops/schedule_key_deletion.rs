//! The edge of ScheduleKeyDeletion: the model allows PendingWindowInDays 1 to 365; the service then insists on 7 to 30.

use serde::{Deserialize, Serialize};
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

/// ScheduleKeyDeletion's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_date: Option<f64>,
    key_state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_window_in_days: Option<i64>,
}

names_key!(Answer<'_>);

/// Handles ScheduleKeyDeletion.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.range("pendingWindowInDays", request.pending_window_in_days, 1, 365);
    v.finish()?;
    let key = service
        .schedule_key_deletion(ctx, request.key_id.as_deref().unwrap_or_default(), request.pending_window_in_days)
        .await?;
    // A primary waiting for its replicas has no date yet (the API reference: "If the KMS key is a multi-Region primary
    // key with replica keys, this field does not appear").
    response(&Answer {
        key_id: &key.arn().to_string(),
        deletion_date: key.state.scheduled_deletion().map(|d| d.deletion_date.epoch_seconds()),
        key_state: key.state.as_str(),
        pending_window_in_days: key.state.pending_window_days(),
    })
}
