//! The retention worker: with a retention period set, removes the audit events recorded before it, keeping the chain
//! verifiable (the store moves the chain's anchor to the last event removed) and recording what it removed as a
//! `PruneAuditEvents` service event. Checks every [`INTERVAL`] and whenever the dev clock moves.

use std::sync::Arc;
use std::time::Duration;

use trent_audit::{iso8601, AuditEvent, EventType};
use trent_domain::Timestamp;
use trent_store::StoreError;

use crate::worker::{StatusBook, WorkState, Worker, WorkerStatus};
use crate::Service;

/// How often the trail is checked for events past retention.
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// The retention worker.
pub struct RetentionWorker {
    service: Arc<Service>,
    status: StatusBook,
}

impl RetentionWorker {
    /// A worker pruning `service`'s audit trail.
    pub fn new(service: Arc<Service>) -> Self {
        Self { service, status: StatusBook::new("audit-retention") }
    }

    /// Removes the events older than the retention period; returns how many went (none without a period).
    pub async fn prune(&self) -> Result<u64, StoreError> {
        let Some(days) = self.service.settings.audit_retention_days else {
            return Ok(0);
        };
        let now = self.service.clock.now();
        let before = Timestamp(now.0 - days * trent_audit::usage::DAY_MILLIS);
        let reason = format!("audit retention of {days} days: events recorded before {} removed", iso8601(before));
        let event = AuditEvent::raw(
            "PruneAuditEvents",
            EventType::AwsServiceEvent,
            now,
            "",
            "",
            AuditEvent::service_identity(),
            None,
        )
        .with_parameter("reason", reason);
        let removed = self.service.store.prune_events(before, &event).await?;
        if removed > 0 {
            tracing::info!(event = "PruneAuditEvents", removed, before = %iso8601(before), "audit events past retention removed");
        }
        Ok(removed)
    }
}

impl Worker for RetentionWorker {
    fn name(&self) -> &'static str {
        "audit-retention"
    }

    async fn work(&self) -> WorkState {
        let outcome = self.prune().await;
        self.status.finish(self.service.clock.now(), outcome).await;
        WorkState::Idle
    }

    async fn wait_for_work(&self) {
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            () = self.service.retention_wakeup.notified() => {}
        }
    }

    fn status(&self) -> WorkerStatus {
        self.status.snapshot()
    }
}
