//! Group commit of key changes: a change that arrives while others are committing waits, then commits together with
//! every change that arrived meanwhile, in one transaction (one sync of the database's log instead of one per
//! change). Each change of a batch runs in a savepoint of its own (a batch's new keys share one, below), so one that
//! fails is undone alone (its audit events and its change notices with it) and the others still commit; a batch whose commit fails fails every change in it,
//! as does a change that panics, and no change is answered before its batch has committed. The audit events of a
//! batch's changes are chained together at its end (one lock of the chain's head, held only while the batch
//! commits). Batches run on tasks of their own, so a caller that goes away (a client that disconnects) cannot leave
//! the changes of others half done.
//!
//! A change that only inserts a new row with its audit event (a new key) is an [`Insertion`]: a batch sends all of its
//! insertions at once, in one savepoint, before its other changes (one round trip on PostgreSQL for them all, where a
//! change of its own takes one or more). Should the database fail one of them (a deadlock's victim among them), that
//! savepoint is rolled back and each insertion runs again as a change of its own, so that the failure stays that
//! change's alone.
//!
//! On PostgreSQL the next batch runs its statements while the previous one commits (waits for its log to reach the
//! disk). A batch hands over only once it has run all its statements, so on one node it waits for no lock a later
//! batch holds. Batches of two nodes can take the same keys in opposite orders; PostgreSQL then fails one change as
//! the deadlock's victim, which is rolled back to its savepoint and answered `Conflict`, retried by its caller like
//! any lost race.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use crate::feed::FeedEvent;
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use tokio::sync::oneshot;
use trent_audit::JournalLine;

use crate::driver::{Dialect, Mode, Sql, Statement, Tx, Work};
use crate::store::{self, Database};
use crate::value::{Param, Row, ToParams};
use crate::StoreError;
use trent_audit::AuditEvent;

/// The most changes one transaction carries: one batch holds the database only briefly, and its savepoints stay
/// within what PostgreSQL caches per transaction (64 subtransactions; beyond them every snapshot taken meanwhile
/// becomes slower).
const MOST_PER_BATCH: usize = 64;

/// What a change produced, its type erased while it travels with the others of its batch.
type Outcome = Result<Box<dyn Any + Send>, StoreError>;

/// A change's work, producing its erased outcome.
type ErasedWork = Box<dyn for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Outcome> + Send>;

/// `work` with its outcome's type erased.
fn erase<T: Send + 'static>(work: impl Work<T>) -> ErasedWork {
    Box::new(move |tx| Box::pin(async move { work(tx).await.map(|value| Box::new(value) as Box<dyn Any + Send>) }))
}

/// The savepoint a change runs in (or a batch's insertions together), how it is kept, and how it is undone.
const SAVEPOINT: &str = "SAVEPOINT change";
const RELEASE: &str = "RELEASE SAVEPOINT change";
const UNDO: &str = "ROLLBACK TO SAVEPOINT change; RELEASE SAVEPOINT change";

/// A change that inserts one row, unless a row with its unique key is stored already, and records one audit event.
pub(crate) struct Insertion {
    /// The insertion, which changes no row when the row's unique key is taken (`ON CONFLICT DO NOTHING`).
    pub(crate) sql: &'static Sql,
    pub(crate) row: Box<dyn ToParams + Send + Sync>,
    pub(crate) event: AuditEvent,
    /// The change's error when the row's unique key is taken.
    pub(crate) taken: StoreError,
}

impl Insertion {
    /// Inserts the row and records the event, on its own.
    pub(crate) async fn run(&self, tx: &mut dyn Tx) -> Result<(), StoreError> {
        self.inserted(tx.execute(self.sql, &self.row.to_params()?).await?)?;
        store::insert_event(tx, &self.event).await
    }

    /// The insertion's outcome once its statement changed `count` rows: done (its event then to be recorded), or its
    /// unique key taken.
    fn inserted(&self, count: u64) -> Result<(), StoreError> {
        if count == 1 {
            Ok(())
        } else {
            Err(self.taken.clone())
        }
    }

    /// The change as work of its own.
    fn into_work(self: Box<Self>) -> ErasedWork {
        erase(move |tx| Box::pin(async move { self.run(tx).await }))
    }
}

/// A change, as it waits for its batch.
enum Change {
    /// Work run in a savepoint of its own.
    Work(ErasedWork),
    /// An insertion, sent with the others of its batch.
    Insertion(Box<Insertion>),
}

/// A change waiting for its batch, and where its outcome goes once the batch has committed.
struct Waiting {
    change: Change,
    reply: oneshot::Sender<Outcome>,
}

/// The changes waiting, and whether a batch leads (is running its statements). The next batch starts once the
/// leader has run them all: at once where commits overlap (PostgreSQL, where the leader then commits on its own
/// connection meanwhile), after its commit where they cannot (SQLite's one connection).
#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    leading: bool,
}

impl Queue {
    /// The next batch, its leadership taken; `None` (and no leader) if no change waits.
    fn next_batch(&mut self) -> Option<Vec<Waiting>> {
        self.leading = !self.waiting.is_empty();
        let count = self.waiting.len().min(MOST_PER_BATCH);
        self.leading.then(|| self.waiting.drain(..count).collect())
    }
}

/// The key changes of one store, committed in batches.
pub(crate) struct GroupCommit {
    database: Database,
    queue: Mutex<Queue>,
}

impl GroupCommit {
    pub(crate) fn new(database: Database) -> Arc<Self> {
        Arc::new(Self { database, queue: Mutex::default() })
    }

    /// Runs `work` in a read-write transaction with whatever other changes are waiting, and returns its outcome once
    /// that transaction has committed (or its error, the change undone).
    pub(crate) async fn run<T: Send + 'static>(self: &Arc<Self>, work: impl Work<T>) -> Result<T, StoreError> {
        let outcome = self.commit(Change::Work(erase(work))).await?;
        outcome.downcast::<T>().map(|value| *value).map_err(|_| lost("its outcome has another type"))
    }

    /// Inserts a row with its audit event, with whatever other changes are waiting, once that transaction has
    /// committed (or answers its error, nothing inserted).
    pub(crate) async fn insert(self: &Arc<Self>, insertion: Insertion) -> Result<(), StoreError> {
        self.commit(Change::Insertion(Box::new(insertion))).await.map(drop)
    }

    /// Queues `change`, leads a batch if none leads, and returns the change's outcome once its batch has ended.
    async fn commit(self: &Arc<Self>, change: Change) -> Outcome {
        let (reply, outcome) = oneshot::channel();
        let batch = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.waiting.push(Waiting { change, reply });
            if queue.leading {
                None
            } else {
                queue.next_batch()
            }
        };
        if let Some(batch) = batch {
            self.start(batch);
        }
        outcome.await.map_err(|_| lost("its batch ended without an outcome"))?
    }

    /// Starts the next batch, if changes wait for one.
    fn hand_over(self: &Arc<Self>) {
        let batch = self.queue.lock().unwrap_or_else(PoisonError::into_inner).next_batch();
        if let Some(batch) = batch {
            self.start(batch);
        }
    }

    /// Commits `batch` on a task of its own, which holds the lead: should the task never run (a runtime shutting
    /// down), dropping it hands over all the same, and the batch's changes learn they were not committed.
    fn start(self: &Arc<Self>, batch: Vec<Waiting>) {
        tokio::spawn(Lead(Arc::clone(self)).commit(batch));
    }
}

/// A batch's lead, handed to the next batch when dropped.
struct Lead(Arc<GroupCommit>);

impl Drop for Lead {
    fn drop(&mut self) {
        self.0.hand_over();
    }
}

impl Lead {
    /// Runs and commits one batch, hands the lead to the next (as soon as its own statements have run, where commits
    /// overlap), and answers each change of the batch.
    async fn commit(self, batch: Vec<Waiting>) {
        let group = Arc::clone(&self.0);
        let (changes, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|w| (w.change, w.reply)).unzip();
        // The lead hands over when dropped: however the batch ends, even if its work never runs.
        let (lead_in_work, lead_after_commit) =
            if group.database.commits_overlap() { (Some(self), None) } else { (None, Some(self)) };
        let run = group.database.run(Mode::Write, move |tx| {
            Box::pin(async move {
                let outcomes = run_each(tx, changes).await;
                drop(lead_in_work);
                outcomes
            })
        });
        let committed =
            AssertUnwindSafe(run).catch_unwind().await.unwrap_or_else(|_| Err(lost("a change of its batch panicked")));
        drop(lead_after_commit);
        match committed {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Runs the changes of a batch (its insertions together, then each other change in a savepoint of its own), then
/// chains the audit events they deferred. Returns their outcomes in the batch's order.
async fn run_each(tx: &mut dyn Tx, changes: Vec<Change>) -> Result<Vec<Outcome>, StoreError> {
    let count = changes.len();
    let mut batch = Batch { tx, events: Vec::new(), changes: Vec::new() };
    let (mut insertions, mut works) = (Vec::new(), Vec::new());
    for (index, change) in changes.into_iter().enumerate() {
        match change {
            Change::Insertion(insertion) => insertions.push((index, insertion)),
            Change::Work(work) => works.push((index, work)),
        }
    }
    let mut answered = Vec::with_capacity(count);
    if !insertions.is_empty() {
        match insert_together(&mut batch, insertions).await? {
            Together::Inserted(outcomes) => answered.extend(outcomes),
            Together::Again(insertions) => {
                works.extend(insertions.into_iter().map(|(index, insertion)| (index, insertion.into_work())));
            }
        }
    }
    for (index, work) in works {
        answered.push((index, run_alone(&mut batch, work).await?));
    }
    store::chain_deferred_events(&mut batch).await?;
    if answered.len() != count {
        return Err(lost("a change of its batch went unanswered"));
    }
    answered.sort_unstable_by_key(|(index, _)| *index);
    Ok(answered.into_iter().map(|(_, outcome)| outcome).collect())
}

/// What became of a batch's insertions (each with its place in the batch).
enum Together {
    /// Each was sent and answered: done, or its key taken.
    Inserted(Vec<(usize, Outcome)>),
    /// One of them failed, and nothing of them stays: each is to run again on its own.
    Again(Vec<(usize, Box<Insertion>)>),
}

/// Sends a batch's insertions at once, in a savepoint, and answers each. Should any of them fail (the database
/// refusing one, or a row or event that cannot be written), the savepoint is rolled back and all are returned, to run
/// again one by one, where the failure is that insertion's alone. (A statement PostgreSQL cannot even prepare, a bug
/// of the store's own SQL, fails the whole batch instead: it is prepared before the savepoint is sent.)
async fn insert_together(
    batch: &mut Batch<'_>,
    insertions: Vec<(usize, Box<Insertion>)>,
) -> Result<Together, StoreError> {
    let prepared: Result<(Vec<Statement<'_>>, Vec<JournalLine>), StoreError> = insertions
        .iter()
        .map(|(_, insertion)| Ok(((insertion.sql, insertion.row.to_params()?), store::journal_line(&insertion.event)?)))
        .collect();
    let Ok((statements, lines)) = prepared else {
        return Ok(Together::Again(insertions));
    };
    batch.tx.batch_soon(SAVEPOINT).await?;
    let sent = batch.tx.execute_all(&statements).await;
    drop(statements);
    let Ok(counts) = sent else {
        batch.tx.batch(UNDO).await?;
        return Ok(Together::Again(insertions));
    };
    batch.tx.batch_soon(RELEASE).await?;
    let mut answered = Vec::with_capacity(insertions.len());
    for (((index, insertion), line), count) in insertions.into_iter().zip(lines).zip(counts) {
        let outcome = insertion.inserted(count).map(|()| batch.events.push(line));
        answered.push((index, outcome.map(|()| Box::new(()) as Box<dyn Any + Send>)));
    }
    Ok(Together::Inserted(answered))
}

/// Runs one change in a savepoint of its own, undone alone (with the audit events and change notices it made) if it
/// fails.
async fn run_alone(batch: &mut Batch<'_>, work: ErasedWork) -> Result<Outcome, StoreError> {
    batch.tx.batch_soon(SAVEPOINT).await?;
    let events_before = batch.events.len();
    let outcome = work(batch).await;
    let changes = std::mem::take(&mut batch.changes);
    if outcome.is_ok() {
        for change in changes {
            batch.tx.changed(change);
        }
        batch.tx.batch_soon(RELEASE).await?;
    } else {
        batch.events.truncate(events_before);
        // At once: after a failed statement PostgreSQL takes nothing but the rollback, not even a statement to
        // prepare.
        batch.tx.batch(UNDO).await?;
    }
    Ok(outcome)
}

/// The transaction of a batch, as its changes see it: the database's, with the audit events (as journal lines) and
/// the changed keys of the change running, kept back until it has succeeded.
struct Batch<'t> {
    tx: &'t mut dyn Tx,
    events: Vec<JournalLine>,
    changes: Vec<FeedEvent>,
}

#[async_trait]
impl Tx for Batch<'_> {
    fn dialect(&self) -> Dialect {
        self.tx.dialect()
    }

    async fn execute(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64, StoreError> {
        self.tx.execute(sql, params).await
    }

    async fn execute_all(&mut self, statements: &[Statement<'_>]) -> Result<Vec<u64>, StoreError> {
        self.tx.execute_all(statements).await
    }

    async fn query(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        self.tx.query(sql, params).await
    }

    async fn batch(&mut self, script: &str) -> Result<(), StoreError> {
        self.tx.batch(script).await
    }

    fn changed(&mut self, change: FeedEvent) {
        self.changes.push(change);
    }

    fn deferred_events(&mut self) -> Option<&mut Vec<JournalLine>> {
        Some(&mut self.events)
    }
}

fn lost(why: &str) -> StoreError {
    StoreError::Database(format!("a key change was not committed: {why}"))
}
