//! The deletion worker: destroys every key whose deletion date has passed (material, aliases, tags, metadata) in one
//! transaction with its `DeleteKey` service event. It sleeps until the next deletion date, at most one interval,
//! and is woken early when a deletion is scheduled or the dev clock moves.

use std::sync::Arc;
use std::time::Duration;

use trent_audit::{AuditEvent, EventType};
use trent_store::StoreError;

use crate::worker::{StatusBook, WorkState, Worker, WorkerStatus};
use crate::Service;

/// Keys destroyed per batch.
const BATCH: usize = 100;
/// The shortest pause between batches: when due keys are locked by another node's batch, this node waits a moment
/// instead of asking the database again at once.
const MIN_WAIT: Duration = Duration::from_millis(25);

/// The deletion worker.
pub struct DeletionWorker {
    service: Arc<Service>,
    interval: Duration,
    status: StatusBook,
}

impl DeletionWorker {
    /// A worker for `service` that checks at least every `interval`.
    pub fn new(service: Arc<Service>, interval: Duration) -> Self {
        Self { service, interval, status: StatusBook::new("deletion") }
    }

    /// Destroys the keys due now; returns how many were destroyed and whether more may be due.
    pub async fn destroy_due_keys(&self) -> Result<(u64, WorkState), StoreError> {
        let service = &self.service;
        let now = service.clock.now();
        let event_for = move |key: &trent_domain::Key| {
            let arn = key.arn().to_string();
            AuditEvent::new(
                "DeleteKey",
                EventType::AwsServiceEvent,
                now,
                &key.account,
                &key.region,
                AuditEvent::service_identity(),
                Some(arn.clone()),
            )
            .with_parameter("keyId", arn)
        };
        let destroyed = service.store.destroy_due(now, BATCH, Arc::new(event_for)).await?;
        for key in &destroyed {
            service.cache.mark_destroyed(key);
            tracing::info!(event = "DeleteKey", key_arn = %key.arn(), deletion_date = key.state.scheduled_deletion().map(|d| d.deletion_date.0), "key deleted at the end of its waiting period");
        }
        let count = destroyed.len() as u64;
        Ok((count, if destroyed.len() == BATCH { WorkState::Busy } else { WorkState::Idle }))
    }
}

impl Worker for DeletionWorker {
    fn name(&self) -> &'static str {
        "deletion"
    }

    async fn work(&self) -> WorkState {
        let outcome = self.destroy_due_keys().await;
        let state = outcome.as_ref().map_or(WorkState::Idle, |(_, state)| *state);
        self.status.finish(self.service.clock.now(), outcome.map(|(destroyed, _)| destroyed)).await;
        state
    }

    async fn wait_for_work(&self) {
        let service = &self.service;
        let mut wait = self.interval;
        if let Ok(Some(next)) = service.store.next_deletion_date().await {
            let until_next = u64::try_from(next.0 - service.clock.now().0).unwrap_or(0);
            wait = wait.min(Duration::from_millis(until_next));
        }
        let wait = wait.max(MIN_WAIT);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = service.deletion_wakeup.notified() => {}
        }
    }

    fn status(&self) -> WorkerStatus {
        self.status.snapshot()
    }
}
