//! The edge of `Trent.VerifyAuditTrail`: `{}` answers `{"Verified": bool, "EventsChecked": n}` and, when the chain is
//! broken, `"Break": "<which event, and how>"`.

use serde::Serialize;
use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{parse_body, response, Reply, Shape};

/// `Trent.VerifyAuditTrail`'s answer: `Break` says where the chain breaks, if it does.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    verified: bool,
    events_checked: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    r#break: Option<String>,
}

impl Shape for Answer {}

/// Handles `Trent.VerifyAuditTrail`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let _: serde_json::Map<String, Value> = parse_body(body)?;
    let verification = service.verify_audit_trail(ctx).await?;
    response(&Answer {
        verified: verification.broken.is_none(),
        events_checked: verification.events_checked,
        r#break: verification.broken.as_ref().map(ToString::to_string),
    })
}
