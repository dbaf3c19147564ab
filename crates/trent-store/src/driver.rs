//! The narrow interface between the store's logic (written once, in `store.rs`) and a database driver: run a
//! statement, read rows, run a script, and say which keys a transaction changed. Each driver implements only this.

use std::future::Future;
use std::sync::Arc;

use crate::feed::{ChangeFeed, FeedEvent};
use crate::value::{Param, Row};
use crate::StoreError;
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use trent_audit::JournalLine;

/// The SQL dialect a driver speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    Sqlite,
}

/// One SQL statement, written once with `$N` placeholders (SQLite reads `$N` as a named parameter, which its driver
/// binds by number), with a second text only where the dialects really differ.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sql {
    postgres: &'static str,
    sqlite: &'static str,
}

impl Sql {
    /// A statement both dialects run as written.
    pub(crate) const fn both(text: &'static str) -> Self {
        Self { postgres: text, sqlite: text }
    }

    /// A statement each dialect writes its own way.
    pub(crate) const fn dialects(postgres: &'static str, sqlite: &'static str) -> Self {
        Self { postgres, sqlite }
    }

    /// The text in `dialect`.
    pub(crate) fn text(&self, dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::Postgres => self.postgres,
            Dialect::Sqlite => self.sqlite,
        }
    }
}

/// A statement with its parameters.
pub(crate) type Statement<'p> = (&'static Sql, Vec<Param<'p>>);

/// What a unit of work needs from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Independent statements (reads, and writes of one statement), each committed on its own.
    Autocommit,
    /// Several reads that must see one snapshot.
    Snapshot,
    /// The reads of a whole store's copy: one snapshot, with a deadline long enough for a large store.
    Copy,
    /// A read-write transaction of key data.
    Write,
    /// A read-write transaction appending to (or pruning) the audit trail.
    Audit,
    /// The schema migration, excluding every other writer.
    Migrate,
}

/// A transaction (or, in [`Mode::Autocommit`], a connection) as the store's logic sees it.
#[async_trait]
pub(crate) trait Tx: Send {
    /// The dialect of the statements this transaction runs.
    fn dialect(&self) -> Dialect;

    /// Runs a statement; returns how many rows it changed.
    async fn execute(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64, StoreError>;

    /// Runs statements in order, each with its parameters (a driver may send them all at once); returns how many
    /// rows each changed. Should one fail, those after it may or may not have run.
    async fn execute_all(&mut self, statements: &[Statement<'_>]) -> Result<Vec<u64>, StoreError> {
        let mut counts = Vec::with_capacity(statements.len());
        for (sql, params) in statements {
            counts.push(self.execute(sql, params).await?);
        }
        Ok(counts)
    }

    /// Runs a statement and returns its rows.
    async fn query(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError>;

    /// Runs a script of statements without parameters (migrations, reset).
    async fn batch(&mut self, script: &str) -> Result<(), StoreError>;

    /// Runs a script whose outcome nothing waits for (savepoints) before the transaction's next statement, at the
    /// latest when it commits: a driver may send it together with that statement. An error of the script fails that
    /// statement (or the commit).
    async fn batch_soon(&mut self, script: &str) -> Result<(), StoreError> {
        self.batch(script).await
    }

    /// Notes that this transaction made `change`, so that other nodes sharing the store hear of it once it commits.
    fn changed(&mut self, change: FeedEvent);

    /// Where this transaction's audit events wait, as journal lines, to be chained together before it commits (a
    /// batch of key changes defers them, so that it locks and extends the chain once), or `None` to chain each event
    /// at once.
    fn deferred_events(&mut self) -> Option<&mut Vec<JournalLine>> {
        None
    }
}

/// A unit of work: the store's logic for one operation, given a transaction.
pub(crate) trait Work<T>:
    for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<T, StoreError>> + Send + 'static
{
}

impl<T, F> Work<T> for F where F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<T, StoreError>> + Send + 'static
{}

/// A database driver: runs units of work in transactions of the mode they ask for, and commits them (or rolls them
/// back when the work fails).
pub(crate) trait Driver: Send + Sync + 'static {
    /// Runs `work` in `mode`.
    fn run<T: Send + 'static>(
        &self,
        mode: Mode,
        work: impl Work<T>,
    ) -> impl Future<Output = Result<T, StoreError>> + Send;

    /// How other processes' changes become visible (see [`crate::KeyStore::change_feed`]).
    fn change_feed(&self) -> Option<Arc<ChangeFeed>>;

    /// Leaves the store at shutdown.
    fn leave(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
