//! Background work as named workers: each has `work()` (do one batch), `wait_for_work()` (sleep until there may be
//! more) and `status()` (what it has done), and runs in [`run`] until shutdown.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Whether a batch left more to do right away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkState {
    /// More is due now: call `work()` again at once.
    Busy,
    /// Nothing more is due: wait.
    Idle,
}

/// What a worker reports about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WorkerStatus {
    /// The worker's name.
    pub name: String,
    /// Batches run since start.
    pub runs: u64,
    /// Items completed since start (for the deletion worker: keys deleted).
    pub completed: u64,
    /// When the last batch ran (lifecycle clock, ms since epoch).
    pub last_run_millis: Option<i64>,
    /// The last error, if the last batch failed.
    pub last_error: Option<String>,
}

/// A named background worker.
pub trait Worker: Send + Sync {
    /// The worker's name, as shown in logs and status.
    fn name(&self) -> &'static str;
    /// Does one batch of work.
    fn work(&self) -> impl Future<Output = WorkState> + Send;
    /// Returns when there may be work again (a timer or a wake-up).
    fn wait_for_work(&self) -> impl Future<Output = ()> + Send;
    /// What the worker has done.
    fn status(&self) -> WorkerStatus;
}

/// Runs `worker` until `shutdown` turns true. A batch in progress finishes before the loop stops.
pub async fn run<W: Worker>(worker: std::sync::Arc<W>, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(worker = worker.name(), "worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        match worker.work().await {
            WorkState::Busy => continue,
            WorkState::Idle => {}
        }
        tokio::select! {
            () = worker.wait_for_work() => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!(worker = worker.name(), "worker stopped");
}

/// A short pause after a failed batch, so a broken database is not hammered.
pub const RETRY_AFTER_ERROR: Duration = Duration::from_secs(1);
