//! The edge of `Trent.ListAuditEvents`: filters `KeyId`, `EventName`, `Principal`, `ErrorsOnly`, `StartTime`,
//! `EndTime` (epoch seconds), `Limit` (1 to 1000, default 100) and `Marker`; answers `{"Events": [<CloudTrail
//! record>…], "Truncated": bool, "NextMarker": …}`.

use serde::{Deserialize, Serialize};
use trent_domain::Timestamp;
use trent_service::ops::list_audit_events::AuditQuery;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    event_name: Option<String>,
    principal: Option<String>,
    errors_only: Option<bool>,
    start_time: Option<f64>,
    end_time: Option<f64>,
    limit: Option<i64>,
    marker: Option<String>,
}

fn millis(seconds: Option<f64>) -> Option<Timestamp> {
    seconds.map(|s| Timestamp((s * 1000.0) as i64))
}

/// ListAuditEvents' entries: the CloudTrail records.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Events {
    events: Vec<trent_audit::AuditEvent>,
}

/// Handles `Trent.ListAuditEvents`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, false);
    v.length("eventName", request.event_name.as_deref(), 1, 128)
        .length("principal", request.principal.as_deref(), 1, 2048)
        .range("limit", request.limit, 1, 1000);
    check_marker(&mut v, request.marker.as_deref());
    v.finish()?;
    let query = AuditQuery {
        key_id: request.key_id,
        event_name: request.event_name,
        principal: request.principal,
        errors_only: request.errors_only.unwrap_or(false),
        start: millis(request.start_time),
        end: millis(request.end_time),
        limit: request.limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(100),
        marker: request.marker,
    };
    let page = service.list_audit_events(ctx, &query).await?;
    response(&Page::new(Events { events: page.events }, page.next_marker))
}
