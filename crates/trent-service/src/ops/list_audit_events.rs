//! ListAuditEvents (Trent's extension, `Trent.ListAuditEvents`): the caller's account's audit events, oldest first,
//! filtered by key, event name, principal, errors only and a time range, in pages marked by the last event's ID.

use trent_audit::AuditEvent;
use trent_domain::Timestamp;

use crate::authorize::authorize_in_account;
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::resolve::Aliases;
use crate::Service;

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only events about this key (any identifier form; a deleted key's ARN works too).
    pub key_id: Option<String>,
    /// Only events with this name.
    pub event_name: Option<String>,
    /// Only events by this principal: its ARN, principal ID or access key ID.
    pub principal: Option<String>,
    /// Only failed calls.
    pub errors_only: bool,
    /// Only events at or after this time.
    pub start: Option<Timestamp>,
    /// Only events before this time.
    pub end: Option<Timestamp>,
    /// At most this many (the oldest first).
    pub limit: usize,
    /// Start after the event with this ID (the previous page's marker).
    pub marker: Option<String>,
}

/// A page of events.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// The events, oldest first.
    pub events: Vec<AuditEvent>,
    /// The marker of the next page, when more matched.
    pub next_marker: Option<String>,
}

impl Service {
    /// ListAuditEvents: one page of the matching events.
    pub async fn list_audit_events(&self, ctx: &RequestContext, query: &AuditQuery) -> Result<AuditPage, ServiceError> {
        authorize_in_account(ctx, "trent:ListAuditEvents", "*")?;
        let key_arn = match &query.key_id {
            None => None,
            Some(text) if text.starts_with("arn:") => Some(text.clone()),
            Some(text) => Some(
                self.resolve_id(ctx, text, Aliases::Accepted)
                    .await
                    .map(|id| trent_domain::Arn::key(&ctx.region, ctx.account(), id).to_string())?,
            ),
        };
        self.flush_audit().await;
        let account = ctx.account().to_string();
        let by_principal = |e: &AuditEvent| {
            query.principal.as_ref().is_none_or(|p| {
                let identity = &e.user_identity;
                identity.arn.as_ref() == Some(p)
                    || &identity.principal_id == p
                    || identity.access_key_id.as_ref() == Some(p)
            })
        };
        // Server-wide service events (such as a retention prune) belong to no account and are shown to every one.
        let visible = |e: &AuditEvent| {
            e.recipient_account_id == account
                || (e.recipient_account_id.is_empty() && e.event_type == trent_audit::EventType::AwsServiceEvent)
        };
        let mut matching = self.store.events(key_arn.as_deref()).await?.into_iter().filter(|e| {
            visible(e)
                && query.event_name.as_ref().is_none_or(|name| &e.event_name == name)
                && by_principal(e)
                && (!query.errors_only || e.error_code.is_some())
                && query.start.is_none_or(|start| e.event_millis >= start.0)
                && query.end.is_none_or(|end| e.event_millis < end.0)
        });
        if let Some(marker) = &query.marker {
            // The marker is the last event of the previous page; an event pruned meanwhile can no longer mark a page.
            matching
                .by_ref()
                .find(|e| &e.event_id == marker)
                .ok_or_else(|| ServiceError::InvalidMarker("Invalid marker".to_owned()))?;
        }
        let events: Vec<AuditEvent> = matching.by_ref().take(query.limit).collect();
        let next_marker = match matching.next() {
            Some(_) => events.last().map(|e| e.event_id.clone()),
            None => None,
        };
        Ok(AuditPage { events, next_marker })
    }
}
