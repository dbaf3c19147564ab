//! The edge of `Trent.AbortKeyRetirement`: `{"KeyId": …}` (key ID or ARN) stops the key's running plan, leaving the
//! key `Disabled`; answers `{"Retirement": <plan>}`.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::extensions::get_key_retirement::PlanAnswer;
use crate::shapes::{required_key_id, response, Reply, Shape};

/// `Trent.AbortKeyRetirement`'s answer: the plan as it stopped.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    retirement: PlanAnswer<'a>,
}

impl Shape for Answer<'_> {}

/// Handles `Trent.AbortKeyRetirement`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let stopped = service.abort_key_retirement(ctx, &required_key_id(body)?).await?;
    response(&Answer { retirement: PlanAnswer::of(&stopped) })
}
