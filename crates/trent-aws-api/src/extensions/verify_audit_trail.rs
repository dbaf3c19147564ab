//! The edge of `Trent.VerifyAuditTrail`: `{}` answers `{"Verified": bool, "EventsChecked": n}` and, when the chain is
//! broken, `"Break": "<which event, and how>"`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::parse_body;

/// Handles `Trent.VerifyAuditTrail`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let _: serde_json::Map<String, Value> = parse_body(body)?;
    let verification = service.verify_audit_trail(ctx).await?;
    let mut answer = json!({ "Verified": verification.broken.is_none(), "EventsChecked": verification.events_checked });
    if let (Some(broken), Some(object)) = (&verification.broken, answer.as_object_mut()) {
        object.insert("Break".to_owned(), json!(broken.to_string()));
    }
    Ok(answer)
}
