//! The embedded SQLite backend: one database file in WAL mode. Key changes commit with `synchronous = FULL`
//! (durable against power loss); batches of call events commit on a second connection with `synchronous = NORMAL`
//! (durable against a crash of Trent, such as `kill -9`, and synced by the next key change or checkpoint).
//! Calls run on tokio's blocking pool; the main connection behind a mutex serialises key changes.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use trent_audit::chain::{AuditChain, ChainHead, ChainedEvent};
use trent_audit::segment::{self, Segment, StoredSegment};
use trent_audit::usage::{KeyUsage, LastUse, RefusedUse, UsageBatch, UsageCount, UsageKey};
use trent_audit::{AuditEvent, EventBatch};
use trent_domain::{AccountId, AliasName, Key, KeyId, Region, RetirementPlan, Timestamp};

use crate::rows::{AliasRow, KeyRow, PlanRow, ALIAS_COLUMNS, DUE_FOR_DELETION, KEY_COLUMNS, PLAN_COLUMNS};
use crate::{Alias, EventFor, KeyStore, StoreError, StoredCredential};

/// The schema migrations, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_initial.sql"),
    include_str!("../../migrations/sqlite/0002_deletion_protection.sql"),
    include_str!("../../migrations/sqlite/0003_audit_chain.sql"),
    include_str!("../../migrations/sqlite/0004_audit_event_id_index.sql"),
    include_str!("../../migrations/sqlite/0005_cancel_on_use.sql"),
    include_str!("../../migrations/sqlite/0006_usage_retention_retirement.sql"),
    include_str!("../../migrations/sqlite/0007_audit_segments.sql"),
];

/// The schema version whose script creates the audit segments; the events stored before it move into them.
const AUDIT_SEGMENTS_VERSION: usize = 7;

/// A SQLite-backed key store.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    audit_connection: Arc<Mutex<Connection>>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut connection = Self::connect(path, "FULL")?;
        migrate(&mut connection)?;
        let audit_connection = Self::connect(path, "NORMAL")?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            audit_connection: Arc::new(Mutex::new(audit_connection)),
        })
    }

    fn connect(path: &Path, synchronous: &str) -> Result<Connection, StoreError> {
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", synchronous)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(connection)
    }

    /// Runs `work` with the main connection on the blocking pool.
    async fn with<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        Self::on(Arc::clone(&self.connection), work).await
    }

    /// Runs `work` with `connection` on the blocking pool.
    async fn on<T, F>(connection: Arc<Mutex<Connection>>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        tokio::task::spawn_blocking(move || {
            let mut guard =
                connection.lock().map_err(|_| StoreError::Database("connection mutex poisoned".to_owned()))?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Database(format!("store task failed: {e}")))?
    }
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let supported = MIGRATIONS.len() as i64;
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if current > supported {
        return Err(StoreError::SchemaTooNew { found: current, supported });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current).unwrap_or(0)) {
        tx.execute_batch(migration)?;
        if index + 1 == AUDIT_SEGMENTS_VERSION {
            segment_stored_events(&tx)?;
        }
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Moves the events of the per-event table into segments, hashes unchanged, and drops that table.
fn segment_stored_events(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let events = {
        let mut statement =
            tx.prepare("SELECT seq, event_id, event_time, record, previous_hash, hash FROM audit_events ORDER BY seq")?;
        let rows = statement.query([])?;
        collect(rows, |row| {
            Ok(ChainedEvent {
                seq: row.get(0)?,
                event_id: row.get(1)?,
                millis: row.get(2)?,
                record: row.get(3)?,
                previous_hash: row.get(4)?,
                hash: row.get(5)?,
            })
        })?
    };
    for segment in segment::regroup(&events) {
        insert_segment(tx, &segment)?;
    }
    tx.execute_batch("DROP TABLE audit_events;")?;
    Ok(())
}

fn key_from_row(row: &Row<'_>) -> Result<Key, StoreError> {
    KeyRow {
        account: row.get(0)?,
        region: row.get(1)?,
        key_id: row.get(2)?,
        created_at: row.get(3)?,
        description: row.get(4)?,
        key_spec: row.get(5)?,
        key_usage: row.get(6)?,
        origin: row.get(7)?,
        key_manager: row.get(8)?,
        state: row.get(9)?,
        deletion_date: row.get(10)?,
        pending_window_days: row.get(11)?,
        tags: row.get(12)?,
        policy: row.get(13)?,
        wrapped_material: row.get(14)?,
        version: row.get(15)?,
        deletion_protection: row.get(16)?,
        cancel_on_use: row.get(17)?,
    }
    .into_key()
}

fn alias_from_row(row: &Row<'_>) -> Result<Alias, StoreError> {
    AliasRow {
        account: row.get(0)?,
        region: row.get(1)?,
        name: row.get(2)?,
        key_id: row.get(3)?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    }
    .into_alias()
}

fn collect<T>(rows: rusqlite::Rows<'_>, map: fn(&Row<'_>) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    let mut rows = rows;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Appends one event to the chain, with its usage evidence.
fn insert_event(tx: &Transaction<'_>, event: &AuditEvent) -> Result<(), StoreError> {
    let batch = EventBatch::of(std::slice::from_ref(event)).map_err(|e| StoreError::Database(e.to_string()))?;
    insert_events(tx, &batch)
}

/// Appends events to the chain in order, as segments after the head (one head read and one head write per batch),
/// and adds their usage evidence.
fn insert_events(tx: &Transaction<'_>, batch: &EventBatch) -> Result<(), StoreError> {
    if batch.events.is_empty() {
        return add_usage(tx, &batch.usage);
    }
    let head = tx
        .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
        .query_row([], |row| Ok(ChainHead { seq: row.get(0)?, hash: row.get(1)? }))?;
    let (segments, head) = segment::chain(batch, &head);
    for segment in &segments {
        insert_segment(tx, segment)?;
    }
    tx.prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")?
        .execute(params![head.seq, head.hash])?;
    add_usage(tx, &batch.usage)
}

/// Stores one segment and the keys it names.
fn insert_segment(tx: &Transaction<'_>, segment: &Segment) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit_segments (first_seq, last_seq, earliest_time, latest_time, previous_hash, records, hashes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        segment.first_seq,
        segment.last_seq,
        segment.earliest_millis,
        segment.latest_millis,
        segment.previous_hash,
        segment.records,
        segment.hashes
    ])?;
    let mut key = tx.prepare_cached("INSERT INTO audit_segment_keys (key_arn, first_seq) VALUES (?1, ?2)")?;
    for arn in &segment.key_arns {
        key.execute(params![arn, segment.first_seq])?;
    }
    Ok(())
}

/// Adds a batch's usage evidence to the sums kept beside the trail.
fn add_usage(tx: &Transaction<'_>, usage: &UsageBatch) -> Result<(), StoreError> {
    if usage.is_empty() {
        return Ok(());
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO key_usage (key_arn, day, operation, principal, source_ip, error_code, calls, ciphertexts, first_at, last_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
         ON CONFLICT (key_arn, day, operation, principal, source_ip, error_code) DO UPDATE SET \
         calls = calls + excluded.calls, ciphertexts = ciphertexts + excluded.ciphertexts, \
         first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)",
    )?;
    for (k, c) in &usage.counts {
        upsert.execute(params![
            k.key_arn,
            k.day,
            k.operation,
            k.principal,
            k.source_ip,
            k.error_code,
            c.calls,
            c.ciphertexts,
            c.first_millis,
            c.last_millis
        ])?;
    }
    let mut last = tx.prepare_cached(
        "INSERT INTO key_last_use (key_arn, operation, at, event_id, request_id) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (key_arn) DO UPDATE SET operation = excluded.operation, at = excluded.at, event_id = excluded.event_id, \
         request_id = excluded.request_id WHERE excluded.at >= key_last_use.at",
    )?;
    for l in usage.last_uses.values() {
        last.execute(params![l.key_arn, l.operation, l.millis, l.event_id, l.request_id])?;
    }
    let mut refused = tx.prepare_cached(
        "INSERT INTO key_refused_uses (key_arn, at, operation, principal, source_ip, error_code, error_message, event_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for r in &usage.refused {
        refused.execute(params![
            r.key_arn,
            r.millis,
            r.operation,
            r.principal,
            r.source_ip,
            r.error_code,
            r.error_message,
            r.event_id
        ])?;
    }
    Ok(())
}

fn plan_from_row(row: &Row<'_>) -> Result<RetirementPlan, StoreError> {
    PlanRow {
        account: row.get(0)?,
        region: row.get(1)?,
        key_id: row.get(2)?,
        step: row.get(3)?,
        observe_millis: row.get(4)?,
        pending_window_days: row.get(5)?,
        started_at: row.get(6)?,
        observe_until: row.get(7)?,
        scheduled_at: row.get(8)?,
        deletion_date: row.get(9)?,
        finished_at: row.get(10)?,
        reason: row.get(11)?,
        started_by: row.get(12)?,
        version: row.get(13)?,
    }
    .into_plan()
}

/// Writes `key` if its stored version is still `key.version`; `Conflict` otherwise. Returns the key as stored.
fn write_key(tx: &Transaction<'_>, key: &Key) -> Result<Key, StoreError> {
    let changed = tx.execute(
        "UPDATE keys SET description = ?1, state = ?2, deletion_date = ?3, pending_window_days = ?4, tags = ?5, policy = ?6, \
         wrapped_material = ?7, deletion_protection = ?12, cancel_on_use = ?13, version = version + 1 \
         WHERE account = ?8 AND region = ?9 AND key_id = ?10 AND version = ?11",
        params![
            key.description,
            key.state.as_str(),
            key.state.scheduled_deletion().map(|d| d.deletion_date.0),
            key.state.scheduled_deletion().map(|d| d.pending_window_days),
            tags_json(key)?,
            key.policy,
            key.wrapped_material,
            key.account.as_str(),
            key.region.as_str(),
            key.id.to_string(),
            key.version,
            key.deletion_protection,
            key.cancel_on_use,
        ],
    )?;
    if changed != 1 {
        return Err(StoreError::Conflict);
    }
    let mut stored = key.clone();
    stored.version += 1;
    Ok(stored)
}

/// Writes a retirement plan: a new one (version 0) may only replace a finished plan; otherwise conditional on the
/// stored version. Returns the plan as stored.
fn write_plan(tx: &Transaction<'_>, plan: &RetirementPlan) -> Result<RetirementPlan, StoreError> {
    let values = params![
        plan.account.as_str(),
        plan.region.as_str(),
        plan.key_id.to_string(),
        plan.step.as_str(),
        plan.observe_millis,
        plan.pending_window_days,
        plan.started_at.0,
        plan.observe_until.0,
        plan.scheduled_at.map(|t| t.0),
        plan.deletion_date.map(|t| t.0),
        plan.finished_at.map(|t| t.0),
        plan.reason,
        plan.started_by,
        plan.version + 1,
    ];
    let changed = if plan.version == 0 {
        tx.execute(
            &format!(
                "INSERT INTO retirement_plans ({PLAN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
                 ON CONFLICT (account, region, key_id) DO UPDATE SET step = excluded.step, observe_millis = excluded.observe_millis, \
                 pending_window_days = excluded.pending_window_days, started_at = excluded.started_at, observe_until = excluded.observe_until, \
                 scheduled_at = excluded.scheduled_at, deletion_date = excluded.deletion_date, finished_at = excluded.finished_at, \
                 reason = excluded.reason, started_by = excluded.started_by, version = retirement_plans.version + 1 \
                 WHERE retirement_plans.step IN ('Completed', 'Halted', 'Aborted')"
            ),
            values,
        )?
    } else {
        tx.execute(
            "UPDATE retirement_plans SET step = ?4, observe_millis = ?5, pending_window_days = ?6, started_at = ?7, observe_until = ?8, \
             scheduled_at = ?9, deletion_date = ?10, finished_at = ?11, reason = ?12, started_by = ?13, version = ?14 \
             WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND version = ?14 - 1",
            values,
        )?
    };
    if changed != 1 {
        return Err(StoreError::Conflict);
    }
    let stored = tx.query_row(
        &format!("SELECT {PLAN_COLUMNS} FROM retirement_plans WHERE account = ?1 AND region = ?2 AND key_id = ?3"),
        params![plan.account.as_str(), plan.region.as_str(), plan.key_id.to_string()],
        |row| Ok(plan_from_row(row)),
    )??;
    Ok(stored)
}

/// Inserts a new key row.
fn insert_key(tx: &Transaction<'_>, key: &Key) -> Result<(), StoreError> {
    tx.execute(
        &format!("INSERT INTO keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"),
        params![
            key.account.as_str(),
            key.region.as_str(),
            key.id.to_string(),
            key.created_at.0,
            key.description,
            key.spec.as_str(),
            key.usage.as_str(),
            key.origin.as_str(),
            key.manager.as_str(),
            key.state.as_str(),
            key.state.scheduled_deletion().map(|d| d.deletion_date.0),
            key.state.scheduled_deletion().map(|d| d.pending_window_days),
            tags_json(key)?,
            key.policy,
            key.wrapped_material,
            key.version,
            key.deletion_protection,
            key.cancel_on_use,
        ],
    )?;
    Ok(())
}

/// Inserts an alias unless its name is taken; true if inserted.
fn insert_alias(c: &Connection, alias: &Alias) -> Result<bool, StoreError> {
    let inserted = c.execute(
        &format!("INSERT OR IGNORE INTO aliases ({ALIAS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            alias.account.as_str(),
            alias.region.as_str(),
            alias.name.as_str(),
            alias.key_id.to_string(),
            alias.created_at.0,
            alias.updated_at.0
        ],
    )?;
    Ok(inserted == 1)
}

fn tags_json(key: &Key) -> Result<String, StoreError> {
    serde_json::to_string(&key.tags).map_err(|e| StoreError::Database(e.to_string()))
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_key(&self, key: &Key, event: &AuditEvent) -> Result<(), StoreError> {
        let (key, event) = (key.clone(), event.clone());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            insert_key(&tx, &key)?;
            insert_event(&tx, &event)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn create_key_with_alias(&self, key: &Key, alias: &Alias, event: &AuditEvent) -> Result<(), StoreError> {
        let (key, alias, event) = (key.clone(), alias.clone(), event.clone());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if !insert_alias(&tx, &alias)? {
                return Err(StoreError::AliasExists);
            }
            insert_key(&tx, &key)?;
            insert_event(&tx, &event)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn get_key(&self, account: &AccountId, region: &Region, id: KeyId) -> Result<Option<Key>, StoreError> {
        let (account, region) = (account.to_string(), region.to_string());
        self.with(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND region = ?2 AND key_id = ?3"
            ))?;
            let mut rows = statement.query(params![account, region, id.to_string()])?;
            rows.next()?.map(key_from_row).transpose()
        })
        .await
    }

    async fn list_keys(
        &self,
        account: &AccountId,
        region: &Region,
        after: Option<KeyId>,
        limit: usize,
    ) -> Result<Vec<Key>, StoreError> {
        let (account, region) = (account.to_string(), region.to_string());
        let after = after.map(|id| id.to_string()).unwrap_or_default();
        self.with(move |c| {
            let mut statement =
                c.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND region = ?2 AND key_id > ?3 ORDER BY key_id LIMIT ?4"))?;
            let rows = statement.query(params![account, region, after, limit as i64])?;
            collect(rows, key_from_row)
        })
        .await
    }

    async fn update_key(&self, key: &Key, event: Option<&AuditEvent>) -> Result<Key, StoreError> {
        let (key, event) = (key.clone(), event.cloned());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let stored = write_key(&tx, &key)?;
            if let Some(event) = &event {
                insert_event(&tx, event)?;
            }
            tx.commit()?;
            Ok(stored)
        })
        .await
    }

    async fn destroy_due(&self, now: Timestamp, limit: usize, event_for: &EventFor) -> Result<Vec<Key>, StoreError> {
        // Read the due keys first, build their events here (the closure cannot move to the blocking pool), then
        // destroy them in one transaction, each only at the version read: a key cancelled meanwhile is left alone.
        let due = self
            .with(move |c| {
                let mut statement = c.prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE {DUE_FOR_DELETION} AND deletion_date <= ?1 ORDER BY deletion_date LIMIT ?2"
                ))?;
                let rows = statement.query(params![now.0, limit as i64])?;
                collect(rows, key_from_row)
            })
            .await?;
        let batch: Vec<(Key, AuditEvent)> = due
            .into_iter()
            .map(|key| {
                let event = event_for(&key);
                (key, event)
            })
            .collect();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut destroyed = Vec::new();
            for (key, event) in batch {
                let removed = tx.execute(
                    "DELETE FROM keys WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND version = ?4",
                    params![key.account.as_str(), key.region.as_str(), key.id.to_string(), key.version],
                )?;
                if removed != 1 {
                    continue;
                }
                tx.execute(
                    "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                    params![key.account.as_str(), key.region.as_str(), key.id.to_string()],
                )?;
                insert_event(&tx, &event)?;
                destroyed.push(key);
            }
            tx.commit()?;
            Ok(destroyed)
        })
        .await
    }

    async fn next_deletion_date(&self) -> Result<Option<Timestamp>, StoreError> {
        self.with(|c| {
            let date: Option<i64> =
                c.query_row(&format!("SELECT MIN(deletion_date) FROM keys WHERE {DUE_FOR_DELETION}"), [], |row| {
                    row.get(0)
                })?;
            Ok(date.map(Timestamp))
        })
        .await
    }

    async fn create_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        let alias = alias.clone();
        self.with(move |c| if insert_alias(c, &alias)? { Ok(()) } else { Err(StoreError::AliasExists) }).await
    }

    async fn get_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<Option<Alias>, StoreError> {
        let (account, region, name) = (account.to_string(), region.to_string(), name.to_string());
        self.with(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3"
            ))?;
            let mut rows = statement.query(params![account, region, name])?;
            rows.next()?.map(alias_from_row).transpose()
        })
        .await
    }

    async fn update_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        let alias = alias.clone();
        self.with(move |c| {
            let changed = c.execute(
                "UPDATE aliases SET key_id = ?1, updated_at = ?2 WHERE account = ?3 AND region = ?4 AND name = ?5",
                params![
                    alias.key_id.to_string(),
                    alias.updated_at.0,
                    alias.account.as_str(),
                    alias.region.as_str(),
                    alias.name.as_str()
                ],
            )?;
            if changed == 1 {
                Ok(())
            } else {
                Err(StoreError::Conflict)
            }
        })
        .await
    }

    async fn delete_alias(&self, account: &AccountId, region: &Region, name: &AliasName) -> Result<bool, StoreError> {
        let (account, region, name) = (account.to_string(), region.to_string(), name.to_string());
        self.with(move |c| {
            Ok(c.execute(
                "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![account, region, name],
            )? == 1)
        })
        .await
    }

    async fn list_aliases(
        &self,
        account: &AccountId,
        region: &Region,
        key: Option<KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<Alias>, StoreError> {
        let (account, region) = (account.to_string(), region.to_string());
        let key = key.map(|k| k.to_string());
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        self.with(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR key_id = ?3) AND name > ?4 ORDER BY name LIMIT ?5"
            ))?;
            let rows = statement.query(params![account, region, key, after, limit as i64])?;
            collect(rows, alias_from_row)
        })
        .await
    }

    async fn append_events(&self, batch: Arc<EventBatch>) -> Result<(), StoreError> {
        Self::on(Arc::clone(&self.audit_connection), move |c| {
            // IMMEDIATE: take the write lock at the start, so the chain head read below is the one this commit extends.
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            insert_events(&tx, &batch)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn append_events_marked(&self, batch: Arc<EventBatch>, marker: &str, value: &[u8]) -> Result<(), StoreError> {
        let (marker, value) = (marker.to_owned(), value.to_vec());
        Self::on(Arc::clone(&self.audit_connection), move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            insert_events(&tx, &batch)?;
            tx.execute("INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", params![marker, value])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn audit_chain(&self) -> Result<AuditChain, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let segments = {
                let mut statement = tx.prepare(
                    "SELECT first_seq, previous_hash, records, hashes FROM audit_segments ORDER BY first_seq",
                )?;
                let rows = statement.query([])?;
                collect(rows, |row| {
                    Ok(StoredSegment {
                        first_seq: row.get(0)?,
                        previous_hash: row.get(1)?,
                        records: row.get(2)?,
                        hashes: row.get(3)?,
                    })
                })?
            };
            let events = segments.iter().flat_map(StoredSegment::chained).collect();
            let head = tx.query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |row| {
                Ok(ChainHead { seq: row.get(0)?, hash: row.get(1)? })
            })?;
            let anchor = tx.query_row("SELECT seq, hash FROM audit_anchor WHERE id = 1", [], |row| {
                Ok(ChainHead { seq: row.get(0)?, hash: row.get(1)? })
            })?;
            Ok(AuditChain { anchor, events, head })
        })
        .await
    }

    async fn prune_events(&self, before: Timestamp, event: &AuditEvent) -> Result<u64, StoreError> {
        let event = event.clone();
        Self::on(Arc::clone(&self.audit_connection), move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // The segment holding the last event always stays, so the head keeps an event to check against.
            let last: Option<(i64, Vec<u8>)> = tx
                .query_row(
                    "SELECT last_seq, hashes FROM audit_segments WHERE latest_time < ?1 AND last_seq < (SELECT seq FROM audit_head WHERE id = 1) \
                     ORDER BY first_seq DESC LIMIT 1",
                    params![before.0],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let Some((seq, hashes)) = last else { return Ok(0) };
            let hash = segment::last_hash(&hashes).ok_or_else(|| StoreError::Corrupt(format!("audit segment ending at {seq} has no hashes")))?;
            let removed: i64 =
                tx.query_row("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM audit_segments WHERE last_seq <= ?1", params![seq], |row| row.get(0))?;
            tx.execute("DELETE FROM audit_segment_keys WHERE first_seq <= ?1", params![seq])?;
            tx.execute("DELETE FROM audit_segments WHERE last_seq <= ?1", params![seq])?;
            tx.execute("UPDATE audit_anchor SET seq = ?1, hash = ?2 WHERE id = 1", params![seq, hash])?;
            insert_event(&tx, &event)?;
            tx.commit()?;
            Ok(u64::try_from(removed).unwrap_or(0))
        })
        .await
    }

    async fn key_usage(&self, key_arn: &str) -> Result<KeyUsage, StoreError> {
        let key_arn = key_arn.to_owned();
        self.with(move |c| {
            let tx = c.transaction()?;
            let counts = {
                let mut statement = tx.prepare_cached(
                    "SELECT key_arn, day, operation, principal, source_ip, error_code, calls, ciphertexts, first_at, last_at FROM key_usage \
                     WHERE key_arn = ?1 ORDER BY day, operation, principal, source_ip, error_code",
                )?;
                let rows = statement.query(params![key_arn])?;
                collect(rows, |row| {
                    Ok((
                        UsageKey {
                            key_arn: row.get(0)?,
                            day: row.get(1)?,
                            operation: row.get(2)?,
                            principal: row.get(3)?,
                            source_ip: row.get(4)?,
                            error_code: row.get(5)?,
                        },
                        UsageCount { calls: row.get(6)?, ciphertexts: row.get(7)?, first_millis: row.get(8)?, last_millis: row.get(9)? },
                    ))
                })?
            };
            let last_use = tx
                .query_row("SELECT key_arn, operation, at, event_id, request_id FROM key_last_use WHERE key_arn = ?1", params![key_arn], |row| {
                    Ok(LastUse { key_arn: row.get(0)?, operation: row.get(1)?, millis: row.get(2)?, event_id: row.get(3)?, request_id: row.get(4)? })
                })
                .optional()?;
            let refused = {
                let mut statement = tx.prepare_cached(
                    "SELECT key_arn, at, operation, principal, source_ip, error_code, error_message, event_id FROM key_refused_uses \
                     WHERE key_arn = ?1 ORDER BY seq",
                )?;
                let rows = statement.query(params![key_arn])?;
                collect(rows, |row| {
                    Ok(RefusedUse {
                        key_arn: row.get(0)?,
                        millis: row.get(1)?,
                        operation: row.get(2)?,
                        principal: row.get(3)?,
                        source_ip: row.get(4)?,
                        error_code: row.get(5)?,
                        error_message: row.get(6)?,
                        event_id: row.get(7)?,
                    })
                })?
            };
            Ok(KeyUsage { counts, last_use, refused })
        })
        .await
    }

    async fn save_retirement_plan(
        &self,
        plan: &RetirementPlan,
        key: Option<&Key>,
        event: Option<&AuditEvent>,
    ) -> Result<(RetirementPlan, Option<Key>), StoreError> {
        let (plan, key, event) = (plan.clone(), key.cloned(), event.cloned());
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let stored_key = key.as_ref().map(|key| write_key(&tx, key)).transpose()?;
            let stored_plan = write_plan(&tx, &plan)?;
            if let Some(event) = &event {
                insert_event(&tx, event)?;
            }
            tx.commit()?;
            Ok((stored_plan, stored_key))
        })
        .await
    }

    async fn get_retirement_plan(
        &self,
        account: &AccountId,
        region: &Region,
        id: KeyId,
    ) -> Result<Option<RetirementPlan>, StoreError> {
        let (account, region) = (account.as_str().to_owned(), region.as_str().to_owned());
        self.with(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {PLAN_COLUMNS} FROM retirement_plans WHERE account = ?1 AND region = ?2 AND key_id = ?3"
            ))?;
            let rows = statement.query(params![account, region, id.to_string()])?;
            Ok(collect(rows, plan_from_row)?.into_iter().next())
        })
        .await
    }

    async fn active_retirement_plans(&self) -> Result<Vec<RetirementPlan>, StoreError> {
        self.with(|c| {
            let mut statement =
                c.prepare_cached(&format!("SELECT {PLAN_COLUMNS} FROM retirement_plans WHERE step IN ('Observing', 'PendingDeletion') ORDER BY started_at"))?;
            let rows = statement.query([])?;
            collect(rows, plan_from_row)
        })
        .await
    }

    async fn events(&self, key_arn: Option<&str>) -> Result<Vec<AuditEvent>, StoreError> {
        let key_arn = key_arn.map(str::to_owned);
        self.with(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT records FROM audit_segments WHERE ?1 IS NULL OR first_seq IN (SELECT first_seq FROM audit_segment_keys WHERE key_arn = ?1) \
                 ORDER BY first_seq",
            )?;
            let rows = statement.query(params![key_arn])?;
            let segments = collect(rows, |row| Ok(row.get::<_, Vec<u8>>(0)?))?;
            let mut events = Vec::new();
            for records in segments {
                events.extend(segment::events_of(&records, key_arn.as_deref()).map_err(StoreError::Corrupt)?);
            }
            Ok(events)
        })
        .await
    }

    async fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let name = name.to_owned();
        self.with(move |c| {
            Ok(c.query_row("SELECT value FROM meta WHERE name = ?1", params![name], |row| row.get(0)).optional()?)
        })
        .await
    }

    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (name, value) = (name.to_owned(), value.to_vec());
        self.with(move |c| {
            c.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?1, ?2)", params![name, value])?;
            Ok(c.query_row("SELECT value FROM meta WHERE name = ?1", params![name], |row| row.get(0))?)
        })
        .await
    }

    async fn put_credential(&self, credential: &StoredCredential) -> Result<(), StoreError> {
        let credential = credential.clone();
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO credentials (access_key_id, account, sealed_secret, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![credential.access_key_id, credential.account.as_str(), credential.sealed_secret, credential.created_at.0],
            )?;
            Ok(())
        })
        .await
    }

    async fn credentials(&self) -> Result<Vec<StoredCredential>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT access_key_id, account, sealed_secret, created_at FROM credentials ORDER BY created_at",
            )?;
            let rows = statement.query([])?;
            collect(rows, |row| {
                Ok(StoredCredential {
                    access_key_id: row.get(0)?,
                    account: AccountId::parse(&row.get::<_, String>(1)?)
                        .ok_or_else(|| StoreError::Corrupt("credential account".to_owned()))?,
                    sealed_secret: row.get(2)?,
                    created_at: Timestamp(row.get(3)?),
                })
            })
        })
        .await
    }

    fn change_feed(&self) -> Option<std::sync::Arc<crate::ChangeFeed>> {
        // The embedded store has one writer: this process.
        None
    }

    async fn reset(&self) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(
                "DELETE FROM keys; DELETE FROM aliases; DELETE FROM audit_segments; DELETE FROM audit_segment_keys; DELETE FROM key_usage; DELETE FROM key_last_use; \
                 DELETE FROM key_refused_uses; DELETE FROM retirement_plans;",
            )?;
            tx.execute("UPDATE audit_head SET seq = 0, hash = ?1 WHERE id = 1", params![trent_audit::chain::GENESIS])?;
            tx.execute("UPDATE audit_anchor SET seq = 0, hash = ?1 WHERE id = 1", params![trent_audit::chain::GENESIS])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_passes_the_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("trent.db")).unwrap();
        crate::conformance::run_all(&store).await;
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trent.db");
        let key = crate::conformance::sample_key();
        {
            let store = SqliteStore::open(&path).unwrap();
            store.create_key(&key, &crate::conformance::sample_event(&key, "CreateKey")).await.unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
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
            for migration in MIGRATIONS.iter().take(AUDIT_SEGMENTS_VERSION - 1) {
                tx.execute_batch(migration).unwrap();
            }
            tx.pragma_update(None, "user_version", AUDIT_SEGMENTS_VERSION as i64 - 1).unwrap();
            let mut previous = trent_audit::chain::GENESIS.to_owned();
            for (seq, event) in (1..).zip(&events) {
                let record = serde_json::to_string(event).unwrap();
                let hash = trent_audit::chain::link(&previous, &record);
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
        let store = SqliteStore::open(&path).unwrap();
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
        drop(SqliteStore::open(&path).unwrap());
        let connection = Connection::open(&path).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
        drop(connection);
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::SchemaTooNew { found: 99, .. })));
    }
}
