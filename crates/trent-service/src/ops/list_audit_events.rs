//! ListAuditEvents (Trent's extension, `Trent.ListAuditEvents`): the caller's account's audit events, oldest first,
//! filtered by key, event name, errors only and a time range.

use trent_audit::AuditEvent;
use trent_domain::Timestamp;

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
    /// Only failed calls.
    pub errors_only: bool,
    /// Only events at or after this time.
    pub start: Option<Timestamp>,
    /// Only events before this time.
    pub end: Option<Timestamp>,
    /// At most this many (the oldest first).
    pub limit: usize,
}

impl Service {
    /// ListAuditEvents: the events and whether more matched than `limit`.
    pub async fn list_audit_events(&self, ctx: &RequestContext, query: &AuditQuery) -> Result<(Vec<AuditEvent>, bool), ServiceError> {
        let key_arn = match &query.key_id {
            None => None,
            Some(text) if text.starts_with("arn:") => Some(text.clone()),
            Some(text) => Some(self.resolve_id(ctx, text, Aliases::Accepted).await.map(|id| trent_domain::Arn::key(&ctx.region, ctx.account(), id).to_string())?),
        };
        self.flush_audit().await;
        let account = ctx.account().to_string();
        let mut matching = self.store.events(key_arn.as_deref()).await?.into_iter().filter(|e| {
            e.recipient_account_id == account
                && query.event_name.as_ref().is_none_or(|name| &e.event_name == name)
                && (!query.errors_only || e.error_code.is_some())
                && query.start.is_none_or(|start| e.event_millis >= start.0)
                && query.end.is_none_or(|end| e.event_millis < end.0)
        });
        let events: Vec<AuditEvent> = matching.by_ref().take(query.limit).collect();
        let more = matching.next().is_some();
        Ok((events, more))
    }
}
