//! The deletion worker: destroys every key whose deletion date has passed (material, aliases, tags, metadata) in one
//! transaction with its `DeleteKey` service event, then starts the waiting period of every multi-Region primary key
//! pending replica deletion whose last replica is gone (so a primary's date is set in the pass that deletes its last
//! replica, or in the next one after a crash). It sleeps until the next deletion date, at most one interval, and is
//! woken early when a deletion is scheduled or the dev clock moves.

use std::sync::Arc;
use std::time::Duration;

use trent_domain::Action;
use trent_store::StoreError;

use crate::worker::{wait_until_due, StatusBook, WorkState, Worker, WorkerStatus};
use crate::{service_event, Service};

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
        let destroyed =
            service.store.destroy_due(now, BATCH, Arc::new(move |key| service_event("DeleteKey", key, now))).await?;
        for key in &destroyed {
            service.cache.mark_destroyed(key);
            tracing::info!(event = "DeleteKey", key_arn = %key.arn(), deletion_date = key.state.scheduled_deletion().map(|d| d.deletion_date.0), "key deleted at the end of its waiting period");
        }
        let waiting = service.store.primaries_without_replicas(BATCH).await?;
        for mut primary in waiting.iter().cloned() {
            if primary.apply(Action::LastReplicaDeleted(now)).is_err() {
                continue;
            }
            let deletion_date = primary.state.scheduled_deletion().map(|d| d.deletion_date);
            let event = service_event("ReplicaKeysDeleted", &primary, now)
                .with_response("keyState", primary.state.as_str())
                .with_response("deletionDate", deletion_date.map(|date| date.0 / 1000));
            let mark = service.cache.mark();
            match service.store.update_key(&primary, Some(&event)).await {
                Ok(stored) => {
                    if let Err(error) = service.cache.remember(&stored, &service.root_key, mark) {
                        tracing::warn!(key_arn = %stored.arn(), %error, "the key cache cannot hold a key the deletion worker changed");
                    }
                    tracing::info!(event = "ReplicaKeysDeleted", key_arn = %stored.arn(), deletion_date = deletion_date.map(|d| d.0), "the last replica of a multi-Region primary key is deleted: its waiting period starts");
                }
                // Another node started it, or the deletion was cancelled meanwhile: the next pass reads it again.
                Err(StoreError::Conflict) => {}
                Err(other) => return Err(other),
            }
        }
        let busy = destroyed.len() == BATCH || waiting.len() == BATCH;
        Ok((destroyed.len() as u64, if busy { WorkState::Busy } else { WorkState::Idle }))
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
