//! The audit writer: records the events of calls that do not record their own (reads, cryptography, refusals) with
//! group commit. Callers queue an event and wait until the batch holding it has committed, so a response is sent
//! only once its event is durable, and one commit serves every call that arrived while the previous one ran.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use trent_audit::AuditEvent;
use trent_store::{KeyStore, StoreError};

use crate::error::ServiceError;

/// Events committed in one transaction at most.
const MAX_BATCH: usize = 1024;
/// Events waiting at most; callers beyond it wait for room (back-pressure instead of unbounded memory).
const QUEUE: usize = 65_536;
/// How long a batch waits for more events after its first: many callers share a commit, at this cost in latency.
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

type Waiter = oneshot::Sender<Result<(), String>>;

/// A handle on the writer task; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<(AuditEvent, Waiter)>,
}

impl AuditWriter {
    /// Starts the writer task over `store`. It ends when every handle is dropped, after writing what was queued.
    pub fn start(store: Arc<dyn KeyStore>) -> Self {
        let (queue, mut incoming) = mpsc::channel::<(AuditEvent, Waiter)>(QUEUE);
        tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut batch = vec![first];
                let deadline = tokio::time::Instant::now() + GATHER;
                while batch.len() < MAX_BATCH {
                    match tokio::time::timeout_at(deadline, incoming.recv()).await {
                        Ok(Some(next)) => batch.push(next),
                        Ok(None) | Err(_) => break,
                    }
                }
                let (events, waiters): (Vec<AuditEvent>, Vec<Waiter>) = batch.into_iter().unzip();
                let outcome = store.append_events(&events).await.map_err(|e| e.to_string());
                if let Err(error) = &outcome {
                    tracing::error!(%error, events = events.len(), "audit events could not be recorded; their calls fail");
                }
                for waiter in waiters {
                    let _ = waiter.send(outcome.clone());
                }
            }
        });
        Self { queue }
    }

    /// Records `event` and returns once it is committed.
    pub async fn record(&self, event: AuditEvent) -> Result<(), ServiceError> {
        let (done, committed) = oneshot::channel();
        self.queue.send((event, done)).await.map_err(|_| ServiceError::Internal("the audit writer has stopped".to_owned()))?;
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(StoreError::Unavailable(format!("audit: {error}")).into()),
            Err(_) => Err(ServiceError::Internal("the audit writer has stopped".to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_audit::EventType;
    use trent_domain::{AccountId, Region, Timestamp};
    use trent_store::SqliteStore;

    #[tokio::test]
    async fn concurrent_calls_are_committed_in_batches_and_all_chained() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn KeyStore> = Arc::new(SqliteStore::open(&dir.path().join("trent.db")).unwrap());
        let writer = AuditWriter::start(Arc::clone(&store));
        let account = AccountId::parse("111122223333").unwrap();
        let region = Region::parse("us-east-1").unwrap();
        let calls: Vec<_> = (0..200)
            .map(|i| {
                let writer = writer.clone();
                let event = AuditEvent::new("Encrypt", EventType::AwsApiCall, Timestamp(i), &account, &region, AuditEvent::service_identity(), None);
                tokio::spawn(async move { writer.record(event).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        let (events, head) = store.audit_chain().await.unwrap();
        assert_eq!(events.len(), 200, "every acknowledged event is stored");
        assert_eq!(trent_audit::chain::verify(&events, &head), Ok(200));
    }
}
