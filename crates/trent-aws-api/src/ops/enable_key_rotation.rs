//! The edge of EnableKeyRotation: a key ID or key ARN, and `RotationPeriodInDays` (90 to 2560, default 365).

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{check_key_id, parse_body, response, Empty, Reply};
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    rotation_period_in_days: Option<i64>,
}

/// Handles EnableKeyRotation.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.range("rotationPeriodInDays", request.rotation_period_in_days, 90, 2560);
    v.finish()?;
    service
        .enable_key_rotation(ctx, request.key_id.as_deref().unwrap_or_default(), request.rotation_period_in_days)
        .await?;
    response(&Empty {})
}
