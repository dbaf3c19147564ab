//! The deletion worker: destroys every key whose deletion date has passed (material, aliases, tags, metadata) in one
//! transaction with its `DeleteKey` service event. It sleeps until the next deletion date, at most one interval,
//! and is woken early when a deletion is scheduled or the dev clock moves.

use std::sync::Arc;
use std::time::Duration;

use trent_audit::{AuditEvent, EventType};
use trent_store::StoreError;

use crate::worker::{wait_until_due, StatusBook, WorkState, Worker, WorkerStatus};
use crate::Service;

/// Keys destroyed per batch.
const BATCH: usize = 100;

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
        self.status.finish_batch(self.service.clock.now(), outcome).await
    }

    async fn wait_for_work(&self) {
        let service = &self.service;
        let next = service.store.next_deletion_date().await.ok().flatten();
        wait_until_due(service.clock.now(), next, self.interval, &service.deletion_wakeup).await;
    }

    fn status(&self) -> WorkerStatus {
        self.status.snapshot()
    }
}
