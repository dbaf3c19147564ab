//! The embedded SQLite driver: one database file in WAL mode. Key changes commit with `synchronous = FULL`
//! (durable against power loss); batches of call events commit on a second connection with `synchronous = NORMAL`
//! (durable against a crash of Trent, such as `kill -9`, and synced by the next key change or checkpoint).
//! Work runs on tokio's blocking pool; the main connection behind a mutex serialises key changes.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures_util::FutureExt;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, Connection};

use crate::driver::{Dialect, Driver, Mode, Sql, Tx, Work};
use crate::feed::{ChangeFeed, FeedEvent};
use crate::store;
use crate::value::{Param, Row, Value};
use crate::StoreError;

/// The schema migrations, in order; the schema version (`PRAGMA user_version`) is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_initial.sql"),
    include_str!("../migrations/sqlite/0002_deletion_protection.sql"),
    include_str!("../migrations/sqlite/0003_audit_chain.sql"),
    include_str!("../migrations/sqlite/0004_audit_event_id_index.sql"),
    include_str!("../migrations/sqlite/0005_cancel_on_use.sql"),
    include_str!("../migrations/sqlite/0006_usage_retention_retirement.sql"),
    include_str!("../migrations/sqlite/0007_audit_segments.sql"),
    include_str!("../migrations/sqlite/0008_deletion_protection_description.sql"),
    include_str!("../migrations/sqlite/0009_rotations.sql"),
    include_str!("../migrations/sqlite/0010_rotation_schedule.sql"),
    include_str!("../migrations/sqlite/0011_imported_material.sql"),
    include_str!("../migrations/sqlite/0012_multi_region.sql"),
    include_str!("../migrations/sqlite/0013_pending_replica_deletion.sql"),
    include_str!("../migrations/sqlite/0014_identities.sql"),
    include_str!("../migrations/sqlite/0015_grants.sql"),
    include_str!("../migrations/sqlite/0016_compact_call_entries.sql"),
];

/// Statements kept prepared per connection: more than the store has.
const STATEMENT_CACHE: usize = 64;

/// The SQLite driver: the main connection for key data, a second one for the audit trail.
#[derive(Clone)]
pub(crate) struct Sqlite {
    main: Arc<Mutex<Connection>>,
    audit: Arc<Mutex<Connection>>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}

impl Sqlite {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let mut main = connect(path, "FULL")?;
        run_on(&mut main, Mode::Migrate, |tx| Box::pin(async move { store::migrate(tx, MIGRATIONS).await }))?;
        let audit = connect(path, "NORMAL")?;
        Ok(Sqlite { main: Arc::new(Mutex::new(main)), audit: Arc::new(Mutex::new(audit)) })
    }
}

impl Sqlite {
    /// Opens the existing database at `path`, of exactly this binary's schema, creating and migrating nothing.
    pub(crate) fn attach(path: &Path) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Unavailable(format!("no Trent store at {}", path.display())));
        }
        let mut main = connect(path, "FULL")?;
        run_on(&mut main, Mode::Snapshot, |tx| Box::pin(async move { store::require_schema(tx, MIGRATIONS).await }))?;
        let audit = connect(path, "NORMAL")?;
        Ok(Sqlite { main: Arc::new(Mutex::new(main)), audit: Arc::new(Mutex::new(audit)) })
    }
}

fn connect(path: &Path, synchronous: &str) -> Result<Connection, StoreError> {
    let connection = Connection::open(path)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", synchronous)?;
    // Temporary storage in memory, on every connection: above all savepoints' journals (a batch's new keys share
    // one), which spilled to a temporary file beyond 64 KiB and cost a file's creation per batch. A batch holds at most
    // 64 changes, and the store sorts nothing large (its ordered reads follow an index or have a limit).
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// Runs `work` on `connection` in `mode`, committing if it succeeds and rolling back if not. Every statement runs
/// to completion when called, so the work's future finishes in one poll.
fn run_on<T>(connection: &mut Connection, mode: Mode, work: impl Work<T>) -> Result<T, StoreError> {
    if !connection.is_autocommit() {
        // A transaction left open by a unit of work that panicked.
        connection.execute_batch("ROLLBACK")?;
    }
    let begin = match mode {
        Mode::Autocommit => None,
        Mode::Snapshot | Mode::Copy => Some("BEGIN"),
        // Take the write lock at the start, so that what the work reads (the chain head) is what its commit extends.
        Mode::Write | Mode::Audit => Some("BEGIN IMMEDIATE"),
        Mode::Migrate => Some("BEGIN EXCLUSIVE"),
    };
    if let Some(begin) = begin {
        connection.execute_batch(begin)?;
    }
    let outcome = work(&mut SqliteTx(connection))
        .now_or_never()
        .unwrap_or_else(|| Err(StoreError::Database("a SQLite unit of work waited on something else".to_owned())));
    let ended = match (&outcome, begin) {
        (_, None) => Ok(()),
        (Ok(_), Some(_)) => connection.execute_batch("COMMIT"),
        (Err(_), Some(_)) => connection.execute_batch("ROLLBACK"),
    };
    if ended.is_err() && !connection.is_autocommit() {
        connection.execute_batch("ROLLBACK")?;
    }
    ended?;
    outcome
}

impl Driver for Sqlite {
    fn run<T: Send + 'static>(
        &self,
        mode: Mode,
        work: impl Work<T>,
    ) -> impl Future<Output = Result<T, StoreError>> + Send {
        let connection = Arc::clone(if mode == Mode::Audit { &self.audit } else { &self.main });
        async move {
            tokio::task::spawn_blocking(move || {
                let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
                run_on(&mut connection, mode, work)
            })
            .await
            .map_err(|e| StoreError::Database(format!("store task failed: {e}")))?
        }
    }

    fn change_feed(&self) -> Option<Arc<ChangeFeed>> {
        // The embedded store has one writer: this process.
        None
    }

    fn leave(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        std::future::ready(Ok(()))
    }
}

/// A transaction on a connection (held `&mut`, which is `Send` where `&Connection` is not).
struct SqliteTx<'c>(&'c mut Connection);

/// `sql` prepared (from the connection's cache) with `params` bound: `$N` is SQLite's named parameter `$N`, bound
/// to the N-th value.
fn prepared<'c>(
    connection: &'c Connection,
    sql: &Sql,
    params: &[Param<'_>],
) -> Result<CachedStatement<'c>, StoreError> {
    let text = sql.text(Dialect::Sqlite);
    let mut statement = connection.prepare_cached(text)?;
    if statement.parameter_count() != params.len() {
        return Err(StoreError::Database(format!("{} values for the parameters of: {text}", params.len())));
    }
    for index in 1..=params.len() {
        let param = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$')?.parse::<usize>().ok())
            .and_then(|number| params.get(number.checked_sub(1)?))
            .ok_or_else(|| StoreError::Database(format!("parameter {index} of this has no value: {text}")))?;
        statement.raw_bind_parameter(index, param)?;
    }
    Ok(statement)
}

fn value(value: ValueRef<'_>) -> Result<Value, StoreError> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Int(v),
        ValueRef::Text(v) => {
            Value::Text(String::from_utf8(v.to_vec()).map_err(|_| StoreError::Corrupt("text is not UTF-8".to_owned()))?)
        }
        ValueRef::Blob(v) => Value::Blob(v.to_vec()),
        ValueRef::Real(_) => return Err(StoreError::Corrupt("a real number where the schema has none".to_owned())),
    })
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Null => ValueRef::Null,
            Param::Int(v) => ValueRef::Integer(*v),
            Param::Bool(v) => ValueRef::Integer(i64::from(*v)),
            Param::Text(v) => ValueRef::Text(v.as_bytes()),
            Param::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

#[async_trait]
impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn execute(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64, StoreError> {
        Ok(prepared(self.0, sql, params)?.raw_execute()? as u64)
    }

    async fn query(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let mut statement = prepared(self.0, sql, params)?;
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(Row::new((0..columns).map(|i| value(row.get_ref(i)?)).collect::<Result<_, _>>()?));
        }
        Ok(out)
    }

    async fn batch(&mut self, script: &str) -> Result<(), StoreError> {
        Ok(self.0.execute_batch(script)?)
    }

    fn changed(&mut self, _change: FeedEvent) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AUDIT_SEGMENTS_VERSION;
    use rusqlite::params;
    use trent_audit::{AuditEvent, EventBatch};

    #[tokio::test]
    async fn sqlite_passes_the_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::KeyStore::open_sqlite(&dir.path().join("trent.db")).unwrap();
        crate::conformance::run_all(&store).await;
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trent.db");
        let key = crate::conformance::sample_key();
        {
            let store = crate::KeyStore::open_sqlite(&path).unwrap();
            store.create_key(&key, &crate::conformance::sample_event(&key, "CreateKey")).await.unwrap();
        }
        let store = crate::KeyStore::open_sqlite(&path).unwrap();
        assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap(), Some(key));
    }

    #[tokio::test]
    async fn events_stored_a_row_each_move_into_segments_with_their_chain_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trent.db");
        let key = crate::conformance::sample_key();
        let events: Vec<AuditEvent> = ["CreateKey", "Encrypt", "Decrypt"]
            .iter()
            .map(|name| crate::conformance::sample_event(&key, name))
            .collect();
        {
            // A database at schema version 6, its events chained a row each as that version stored them.
            let mut connection = Connection::open(&path).unwrap();
            let tx = connection.transaction().unwrap();
            for migration in MIGRATIONS.iter().take(AUDIT_SEGMENTS_VERSION as usize - 1) {
                tx.execute_batch(migration).unwrap();
            }
            tx.pragma_update(None, "user_version", AUDIT_SEGMENTS_VERSION - 1).unwrap();
            let mut previous = trent_audit::chain::GENESIS.to_owned();
            for (seq, event) in (1..).zip(&events) {
                let record = serde_json::to_string(event).unwrap();
                let hash = trent_audit::chain::link(&previous, record.as_bytes());
                tx.execute(
                    "INSERT INTO audit_events (seq, event_id, event_time, event_name, account, region, key_arn, record, previous_hash, hash) \
                     VALUES (?1, ?2, ?3, ?4, '111122223333', 'us-east-1', ?5, ?6, ?7, ?8)",
                    params![seq, event.event_id, event.event_millis, event.event_name, event.key_arn(), record, previous, hash],
                )
                .unwrap();
                tx.execute("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1", params![seq, hash]).unwrap();
                previous = hash;
            }
            tx.commit().unwrap();
        }
        let store = crate::KeyStore::open_sqlite(&path).unwrap();
        let chain = store.audit_chain().await.unwrap();
        assert_eq!(chain.verify(), Ok(3));
        assert_eq!(
            chain.events.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(),
            events.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>()
        );
        assert_eq!(store.events(Some(&key.arn().to_string())).await.unwrap(), events);
        // New events chain on after them.
        store
            .append_events(Arc::new(EventBatch::of(&[crate::conformance::sample_event(&key, "Encrypt")]).unwrap()))
            .await
            .unwrap();
        assert_eq!(store.audit_chain().await.unwrap().verify(), Ok(4));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trent.db");
        drop(crate::KeyStore::open_sqlite(&path).unwrap());
        let connection = Connection::open(&path).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
        drop(connection);
        assert!(matches!(crate::KeyStore::open_sqlite(&path), Err(StoreError::SchemaTooNew { found: 99, .. })));
    }
}
