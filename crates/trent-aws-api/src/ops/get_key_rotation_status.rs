//! The edge of GetKeyRotationStatus: whether the key's material rotates by itself, every how many days and when next
//! (the service says which schedule is in force: none while the key, or its set's primary, is pending deletion).

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{names_key, required_key_id, response, Reply};

/// GetKeyRotationStatus' answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response<'a> {
    key_rotation_enabled: bool,
    key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_period_in_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_rotation_date: Option<f64>,
}

names_key!(Response<'_>);

/// Handles GetKeyRotationStatus.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let key = service.key_rotation_status(ctx, &required_key_id(body)?).await?;
    let schedule = key.rotation_schedule;
    response(&Response {
        key_rotation_enabled: schedule.is_some(),
        key_id: &key.arn().to_string(),
        rotation_period_in_days: schedule.map(|s| s.period_days),
        next_rotation_date: schedule.map(|s| s.next_rotation.epoch_seconds()),
    })
}
