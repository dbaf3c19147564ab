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
/// The shortest pause of a worker waiting for a dated item: when due items are held by another node's batch, this
/// node waits a moment instead of asking the database again at once.
pub const MIN_WAIT: Duration = Duration::from_millis(25);

/// Waits for work that falls due at dates (deletions, rotations): until `next_due` (lifecycle clock, `now` being its
/// reading), at most `longest`, at least [`MIN_WAIT`], or until `wakeup` is notified.
pub async fn wait_until_due(
    now: trent_domain::Timestamp,
    next_due: Option<trent_domain::Timestamp>,
    longest: Duration,
    wakeup: &tokio::sync::Notify,
) {
    let until_next = next_due.map(|next| Duration::from_millis(u64::try_from(next.0 - now.0).unwrap_or(0)));
    let wait = until_next.map_or(longest, |until| until.min(longest)).max(MIN_WAIT);
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        () = wakeup.notified() => {}
    }
}

/// What a worker has done, kept the same way by every worker.
pub struct StatusBook(std::sync::Mutex<WorkerStatus>);

impl StatusBook {
    /// An empty record for the worker `name`.
    pub fn new(name: &str) -> Self {
        Self(std::sync::Mutex::new(WorkerStatus { name: name.to_owned(), ..WorkerStatus::default() }))
    }

    /// Records a batch that ended at `now` (lifecycle clock): the items it completed, or its error, which is logged
    /// and followed by a pause of [`RETRY_AFTER_ERROR`] before the next try.
    pub async fn finish<E: std::fmt::Display>(&self, now: trent_domain::Timestamp, outcome: Result<u64, E>) {
        let failure = {
            let mut status = self.0.lock().unwrap_or_else(|p| p.into_inner());
            status.runs += 1;
            status.last_run_millis = Some(now.0);
            match outcome {
                Ok(completed) => {
                    status.completed += completed;
                    status.last_error = None;
                    false
                }
                Err(error) => {
                    tracing::error!(worker = %status.name, %error, "batch failed; will retry");
                    status.last_error = Some(error.to_string());
                    true
                }
            }
        };
        if failure {
            tokio::time::sleep(RETRY_AFTER_ERROR).await;
        }
    }

    /// Records a batch that may leave more due at once (see [`StatusBook::finish`]): its items and whether to go on.
    /// A failed batch waits like any other.
    pub async fn finish_batch<E: std::fmt::Display>(
        &self,
        now: trent_domain::Timestamp,
        outcome: Result<(u64, WorkState), E>,
    ) -> WorkState {
        let state = outcome.as_ref().map_or(WorkState::Idle, |(_, state)| *state);
        self.finish(now, outcome.map(|(completed, _)| completed)).await;
        state
    }

    /// A copy of the record.
    pub fn snapshot(&self) -> WorkerStatus {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
