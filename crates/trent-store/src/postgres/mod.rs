//! The PostgreSQL backend, shared by several nodes: a connection pool with bounded waits, migrations under an
//! advisory lock, conditional writes, `FOR UPDATE SKIP LOCKED` for the deletion worker, and a LISTEN/NOTIFY change
//! feed that keeps every node's key cache current.
//!
//! Cross-node cache coherence, strictly: every node holds a lease in `nodes`, renewed each second only after its
//! listener has received a notification the node sent itself (so it provably keeps up with the feed); its cache is
//! trusted only until shortly before that lease ends. A node that receives another node's change invalidates the key
//! and acknowledges on `trent_acks`. A writer answers its client only when every node with a live lease has
//! acknowledged, or that lease has run out, by which time that node no longer trusts its cache. So once a client hears
//! "disabled", no node serves the key from a stale cache.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Timeouts};
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, NoTls, Row, Transaction};
use trent_audit::chain::{AuditChain, ChainHead, ChainedEvent};
use trent_audit::segment::{self, Segment, StoredSegment};
use trent_audit::usage::{KeyUsage, LastUse, RefusedUse, UsageBatch, UsageCount, UsageKey};
use trent_audit::{AuditEvent, EventBatch};
use trent_domain::{AccountId, AliasName, Key, KeyId, Region, RetirementPlan, Timestamp};

use crate::feed::ChangeFeed;
use crate::rows::{AliasRow, KeyRow, PlanRow, ALIAS_COLUMNS, DUE_FOR_DELETION, KEY_COLUMNS, PLAN_COLUMNS};
use crate::{Alias, EventFor, KeyStore, StoreError, StoredCredential};

/// The schema migrations, in order.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_initial.sql"),
    include_str!("../../migrations/postgres/0002_nodes.sql"),
    include_str!("../../migrations/postgres/0003_deletion_protection.sql"),
    include_str!("../../migrations/postgres/0004_audit_chain.sql"),
    include_str!("../../migrations/postgres/0005_cancel_on_use.sql"),
    include_str!("../../migrations/postgres/0006_usage_retention_retirement.sql"),
    include_str!("../../migrations/postgres/0007_audit_segments.sql"),
];

/// The schema version whose script creates the audit segments; the events stored before it move into them.
const AUDIT_SEGMENTS_VERSION: usize = 7;
/// The advisory lock taken while migrating, so nodes starting together do not race.
const MIGRATION_LOCK: i64 = 0x7472_656e_7401;
/// The notification channel of key changes.
const CHANNEL: &str = "trent_keys";
/// The payload meaning "everything changed" (reset).
const EVERYTHING: &str = "*";
/// The longest any one database call may take before the request fails instead of hanging.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The channel on which nodes acknowledge other nodes' changes (and send themselves heartbeats).
const ACK_CHANNEL: &str = "trent_acks";
/// How long a node's lease lasts: the longest a writer waits for a node that does not acknowledge.
const LEASE: Duration = Duration::from_secs(5);
/// How often a node renews its lease.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// A node stops trusting its cache this long before the lease others see, to cover the heartbeat's own duration
/// and clock rate differences.
const TRUST_MARGIN: Duration = Duration::from_millis(1500);
/// The database's clock in ms since the epoch; leases are compared on it, never on node clocks.
const DB_NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::BIGINT";

/// A PostgreSQL-backed key store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    feed: Arc<ChangeFeed>,
    node: Arc<str>,
    sequence: Arc<AtomicU64>,
    acks: Arc<Acks>,
}

/// Acknowledgements received, by change token.
#[derive(Default)]
struct Acks {
    by_token: Mutex<HashMap<String, HashSet<String>>>,
    arrived: tokio::sync::watch::Sender<u64>,
}

impl Acks {
    fn open(&self, token: &str) {
        self.by_token.lock().unwrap_or_else(|p| p.into_inner()).insert(token.to_owned(), HashSet::new());
    }

    fn close(&self, token: &str) {
        self.by_token.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }

    fn record(&self, token: &str, node: &str) {
        let mut by_token = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(nodes) = by_token.get_mut(token) {
            nodes.insert(node.to_owned());
            self.arrived.send_modify(|n| *n += 1);
        }
    }

    fn acknowledged(&self, token: &str) -> HashSet<String> {
        self.by_token.lock().unwrap_or_else(|p| p.into_inner()).get(token).cloned().unwrap_or_default()
    }
}

fn database(error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(error.to_string())
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        if error.is_closed() || error.code().is_none() {
            StoreError::Unavailable(error.to_string())
        } else {
            StoreError::Database(error.to_string())
        }
    }
}

impl PostgresStore {
    /// Connects to `url`, migrates the schema (under an advisory lock) and starts the change listener.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Database(format!("database URL: {e}")))?;
        let mut config = config;
        config.connect_timeout(Duration::from_secs(5));
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(Runtime::Tokio1)
            .timeouts(Timeouts {
                wait: Some(Duration::from_secs(5)),
                create: Some(Duration::from_secs(5)),
                recycle: Some(Duration::from_secs(5)),
            })
            .build()
            .map_err(database)?;
        let store = Self {
            pool,
            feed: ChangeFeed::new(),
            node: Arc::from(uuid::Uuid::new_v4().simple().to_string()),
            sequence: Arc::new(AtomicU64::new(0)),
            acks: Arc::new(Acks::default()),
        };
        store.migrate().await?;
        tokio::spawn(listen(config, store.clone()));
        tokio::spawn(heartbeat(store.clone()));
        // Give the listener and the first heartbeat a moment, so a fresh node starts with a trusted cache; it works
        // without one too (every read then goes to the database).
        for _ in 0..100 {
            if store.feed.is_connected() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(store)
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS trent_schema (version BIGINT NOT NULL)").await?;
        let current: i64 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM trent_schema", &[]).await?.try_get(0)?;
        let supported = MIGRATIONS.len() as i64;
        if current > supported {
            return Err(StoreError::SchemaTooNew { found: current, supported });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current).unwrap_or(0)) {
            tx.batch_execute(migration).await?;
            if index + 1 == AUDIT_SEGMENTS_VERSION {
                segment_stored_events(&tx).await?;
            }
            tx.execute("INSERT INTO trent_schema (version) VALUES ($1)", &[&(index as i64 + 1)]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs `work` with a bounded time, so an unreachable database fails the call instead of hanging it.
    async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(CALL_TIMEOUT, work)
            .await
            .map_err(|_| StoreError::Unavailable("the database did not answer in time".to_owned()))?
    }

    fn next_token(&self) -> String {
        format!("{}:{}", self.node, self.sequence.fetch_add(1, Ordering::SeqCst))
    }

    fn is_own(&self, token: &str) -> bool {
        token.strip_prefix(&*self.node).is_some_and(|rest| rest.starts_with(':'))
    }

    /// Waits until every other node with a live lease has acknowledged change `token`, or its lease has run out.
    async fn await_acknowledgements(&self, token: &str) {
        let live = async {
            let client = self.client().await?;
            let rows = client
                .query(&format!("SELECT node_id, lease_until - {DB_NOW} FROM nodes WHERE lease_until > {DB_NOW} AND node_id <> $1"), &[&&*self.node])
                .await?;
            rows.iter()
                .map(|row| {
                    Ok((
                        row.try_get::<_, String>(0)?,
                        Duration::from_millis(u64::try_from(row.try_get::<_, i64>(1)?).unwrap_or(0)),
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()
        };
        let started = Instant::now();
        let nodes = match tokio::time::timeout(CALL_TIMEOUT, live).await {
            Ok(Ok(nodes)) => nodes,
            _ => {
                // Who else is alive is unknown: wait out any lease, so no node can still trust a stale cache.
                tracing::warn!(token, "cannot list live nodes; waiting out their leases");
                tokio::time::sleep(LEASE).await;
                self.acks.close(token);
                return;
            }
        };
        let mut arrivals = self.acks.arrived.subscribe();
        loop {
            let acknowledged = self.acks.acknowledged(token);
            let now = Instant::now();
            let waiting: Vec<Instant> = nodes
                .iter()
                .filter(|(node, _)| !acknowledged.contains(node))
                .map(|(_, lease)| started + *lease)
                .filter(|until| *until > now)
                .collect();
            let Some(until) = waiting.iter().min().copied() else {
                break;
            };
            let _ = tokio::time::timeout(until - now, arrivals.changed()).await;
        }
        self.acks.close(token);
    }

    /// Renews this node's lease once, and trusts the cache until shortly before it ends if the listener proves it
    /// is caught up: a heartbeat sent to itself after the renewal must come back through the listener.
    async fn renew_lease(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        let token = self.next_token();
        let seen = self.feed.expect(token.clone());
        let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        let client = self.client().await?;
        client
            .execute(
                &format!("INSERT INTO nodes (node_id, lease_until) VALUES ($1, {DB_NOW} + $2) ON CONFLICT (node_id) DO UPDATE SET lease_until = EXCLUDED.lease_until"),
                &[&&*self.node, &lease_ms],
            )
            .await?;
        client.execute("SELECT pg_notify($1, $2)", &[&ACK_CHANNEL, &format!("{token} {}", self.node)]).await?;
        drop(client);
        match tokio::time::timeout(HEARTBEAT, seen).await {
            Ok(Ok(())) => {
                self.feed.trust_until(started + LEASE - TRUST_MARGIN);
                Ok(())
            }
            _ => {
                self.feed.forget(&token);
                Err(StoreError::Unavailable("the change listener did not see this node's heartbeat in time".to_owned()))
            }
        }
    }
}

/// Renews the lease every [`HEARTBEAT`], forever; while the listener is down there is nothing to prove, so it
/// checks again shortly and renews as soon as the listener is back.
async fn heartbeat(store: PostgresStore) {
    loop {
        if !store.feed.is_listening() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        if let Err(error) = store.renew_lease().await {
            tracing::debug!(%error, "lease not renewed; the key cache is bypassed once trust runs out");
        }
        tokio::time::sleep(HEARTBEAT).await;
    }
}

async fn notify(tx: &Transaction<'_>, key: Option<KeyId>, token: &str) -> Result<(), StoreError> {
    let payload = format!("{} {token}", key.map_or_else(|| EVERYTHING.to_owned(), |k| k.to_string()));
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]).await?;
    Ok(())
}

/// The listener: one dedicated connection, reconnecting forever with a pause; the feed is disconnected meanwhile.
/// It invalidates other nodes' changes and acknowledges them, and collects acknowledgements of this node's changes.
async fn listen(config: tokio_postgres::Config, store: PostgresStore) {
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let handler = store.clone();
                let mut driver = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => handler.on_notification(n.channel(), n.payload()),
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                });
                if client.batch_execute(&format!("LISTEN {CHANNEL}; LISTEN {ACK_CHANNEL}")).await.is_ok() {
                    store.feed.connected();
                    tracing::info!("listening for key changes from other nodes");
                    // Runs until the connection closes.
                    let _ = (&mut driver).await;
                }
                store.feed.disconnected();
                driver.abort();
                drop(client);
                tracing::warn!("lost the change listener's database connection; key cache bypassed until it is back");
            }
            Err(error) => {
                store.feed.disconnected();
                tracing::warn!(%error, "cannot connect the change listener; retrying");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl PostgresStore {
    fn on_notification(&self, channel: &str, payload: &str) {
        if channel == CHANNEL {
            let (key, token) = payload.split_once(' ').unwrap_or((payload, ""));
            let own = self.is_own(token);
            self.feed.received(KeyId::parse(key), token, own);
            if !own {
                let (store, token) = (self.clone(), token.to_owned());
                tokio::spawn(async move {
                    if let Ok(client) = store.client().await {
                        let _ = client
                            .execute("SELECT pg_notify($1, $2)", &[&ACK_CHANNEL, &format!("{token} {}", store.node)])
                            .await;
                    }
                });
            }
        } else if channel == ACK_CHANNEL {
            let (token, node) = payload.split_once(' ').unwrap_or((payload, ""));
            if self.is_own(token) {
                if node == &*self.node {
                    self.feed.received(None, token, true);
                } else {
                    self.acks.record(token, node);
                }
            }
        }
    }
}

fn key_from_row(row: &Row) -> Result<Key, StoreError> {
    KeyRow {
        account: row.try_get(0)?,
        region: row.try_get(1)?,
        key_id: row.try_get(2)?,
        created_at: row.try_get(3)?,
        description: row.try_get(4)?,
        key_spec: row.try_get(5)?,
        key_usage: row.try_get(6)?,
        origin: row.try_get(7)?,
        key_manager: row.try_get(8)?,
        state: row.try_get(9)?,
        deletion_date: row.try_get(10)?,
        pending_window_days: row.try_get(11)?,
        tags: row.try_get(12)?,
        policy: row.try_get(13)?,
        wrapped_material: row.try_get(14)?,
        version: row.try_get(15)?,
        deletion_protection: row.try_get(16)?,
        cancel_on_use: row.try_get(17)?,
    }
    .into_key()
}

fn alias_from_row(row: &Row) -> Result<Alias, StoreError> {
    AliasRow {
        account: row.try_get(0)?,
        region: row.try_get(1)?,
        name: row.try_get(2)?,
        key_id: row.try_get(3)?,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
    }
    .into_alias()
}

/// Appends one event to the chain, with its usage evidence.
async fn insert_event(tx: &Transaction<'_>, event: &AuditEvent) -> Result<(), StoreError> {
    let batch = EventBatch::of(std::slice::from_ref(event)).map_err(database)?;
    insert_events(tx, &batch).await
}

/// Appends events to the chain in order, as segments after the head, and adds their usage evidence: the head row is
/// locked until the transaction ends, so events from every node and every transaction form one chain.
async fn insert_events(tx: &Transaction<'_>, batch: &EventBatch) -> Result<(), StoreError> {
    if batch.events.is_empty() {
        return add_usage(tx, &batch.usage).await;
    }
    let head = tx.query_one("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE", &[]).await?;
    let head = ChainHead { seq: head.try_get(0)?, hash: head.try_get(1)? };
    let (segments, head) = segment::chain(batch, &head);
    for segment in &segments {
        insert_segment(tx, segment).await?;
    }
    tx.execute("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", &[&head.seq, &head.hash]).await?;
    add_usage(tx, &batch.usage).await
}

/// Stores one segment and the keys it names.
async fn insert_segment(tx: &Transaction<'_>, segment: &Segment) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_segments (first_seq, last_seq, earliest_time, latest_time, previous_hash, records, hashes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&segment.first_seq, &segment.last_seq, &segment.earliest_millis, &segment.latest_millis, &segment.previous_hash, &segment.records, &segment.hashes],
    )
    .await?;
    if !segment.key_arns.is_empty() {
        let arns: Vec<&str> = segment.key_arns.iter().map(String::as_str).collect();
        tx.execute(
            "INSERT INTO audit_segment_keys (key_arn, first_seq) SELECT unnest($1::TEXT[]), $2",
            &[&arns, &segment.first_seq],
        )
        .await?;
    }
    Ok(())
}

/// Moves the events of the per-event table into segments, hashes unchanged, and drops that table.
async fn segment_stored_events(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let rows = tx
        .query("SELECT seq, event_id, event_time, record, previous_hash, hash FROM audit_events ORDER BY seq", &[])
        .await?;
    let events = rows
        .iter()
        .map(|row| {
            Ok(ChainedEvent {
                seq: row.try_get(0)?,
                event_id: row.try_get(1)?,
                millis: row.try_get(2)?,
                record: row.try_get(3)?,
                previous_hash: row.try_get(4)?,
                hash: row.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    for segment in segment::regroup(&events) {
        insert_segment(tx, &segment).await?;
    }
    tx.batch_execute("DROP TABLE audit_events").await?;
    Ok(())
}

/// Adds a batch's usage evidence to the sums kept beside the trail.
async fn add_usage(tx: &Transaction<'_>, usage: &UsageBatch) -> Result<(), StoreError> {
    if usage.is_empty() {
        return Ok(());
    }
    let upsert = tx
        .prepare(
            "INSERT INTO key_usage (key_arn, day, operation, principal, source_ip, error_code, calls, ciphertexts, first_at, last_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (key_arn, day, operation, principal, source_ip, error_code) DO UPDATE SET \
             calls = key_usage.calls + EXCLUDED.calls, ciphertexts = key_usage.ciphertexts + EXCLUDED.ciphertexts, \
             first_at = LEAST(key_usage.first_at, EXCLUDED.first_at), last_at = GREATEST(key_usage.last_at, EXCLUDED.last_at)",
        )
        .await?;
    // A fixed order, so that two nodes adding to the same sums cannot deadlock.
    let mut counts: Vec<_> = usage.counts.iter().collect();
    counts.sort_by(|a, b| a.0.cmp(b.0));
    for (k, c) in counts {
        tx.execute(
            &upsert,
            &[
                &k.key_arn,
                &k.day,
                &k.operation,
                &k.principal,
                &k.source_ip,
                &k.error_code,
                &c.calls,
                &c.ciphertexts,
                &c.first_millis,
                &c.last_millis,
            ],
        )
        .await?;
    }
    let mut last_uses: Vec<_> = usage.last_uses.values().collect();
    last_uses.sort_by(|a, b| a.key_arn.cmp(&b.key_arn));
    for l in last_uses {
        tx.execute(
            "INSERT INTO key_last_use (key_arn, operation, at, event_id, request_id) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (key_arn) DO UPDATE SET operation = EXCLUDED.operation, at = EXCLUDED.at, event_id = EXCLUDED.event_id, \
             request_id = EXCLUDED.request_id WHERE EXCLUDED.at >= key_last_use.at",
            &[&l.key_arn, &l.operation, &l.millis, &l.event_id, &l.request_id],
        )
        .await?;
    }
    for r in &usage.refused {
        tx.execute(
            "INSERT INTO key_refused_uses (key_arn, at, operation, principal, source_ip, error_code, error_message, event_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&r.key_arn, &r.millis, &r.operation, &r.principal, &r.source_ip, &r.error_code, &r.error_message, &r.event_id],
        )
        .await?;
    }
    Ok(())
}

fn plan_from_row(row: &Row) -> Result<RetirementPlan, StoreError> {
    PlanRow {
        account: row.try_get(0)?,
        region: row.try_get(1)?,
        key_id: row.try_get(2)?,
        step: row.try_get(3)?,
        observe_millis: row.try_get(4)?,
        pending_window_days: row.try_get(5)?,
        started_at: row.try_get(6)?,
        observe_until: row.try_get(7)?,
        scheduled_at: row.try_get(8)?,
        deletion_date: row.try_get(9)?,
        finished_at: row.try_get(10)?,
        reason: row.try_get(11)?,
        started_by: row.try_get(12)?,
        version: row.try_get(13)?,
    }
    .into_plan()
}

/// Writes `key` if its stored version is still `key.version`; `Conflict` otherwise. Returns the key as stored.
async fn write_key(tx: &Transaction<'_>, key: &Key) -> Result<Key, StoreError> {
    let tags = tags_json(key)?;
    let changed = tx
        .execute(
            "UPDATE keys SET description = $1, state = $2, deletion_date = $3, pending_window_days = $4, tags = $5, policy = $6, \
             wrapped_material = $7, deletion_protection = $12, cancel_on_use = $13, version = version + 1 \
             WHERE account = $8 AND region = $9 AND key_id = $10 AND version = $11",
            &[
                &key.description,
                &key.state.as_str(),
                &key.state.scheduled_deletion().map(|d| d.deletion_date.0),
                &key.state.scheduled_deletion().map(|d| d.pending_window_days),
                &tags,
                &key.policy,
                &key.wrapped_material,
                &key.account.as_str(),
                &key.region.as_str(),
                &key.id.to_string(),
                &key.version,
                &key.deletion_protection,
                &key.cancel_on_use,
            ],
        )
        .await?;
    if changed != 1 {
        return Err(StoreError::Conflict);
    }
    let mut stored = key.clone();
    stored.version += 1;
    Ok(stored)
}

/// Writes a retirement plan: a new one (version 0) may only replace a finished plan; otherwise conditional on the
/// stored version. Returns the plan as stored.
async fn write_plan(tx: &Transaction<'_>, plan: &RetirementPlan) -> Result<RetirementPlan, StoreError> {
    let key_id = plan.key_id.to_string();
    let next_version = plan.version + 1;
    let values: [&(dyn ToSql + Sync); 14] = [
        &plan.account.as_str(),
        &plan.region.as_str(),
        &key_id,
        &plan.step.as_str(),
        &plan.observe_millis,
        &plan.pending_window_days,
        &plan.started_at.0,
        &plan.observe_until.0,
        &plan.scheduled_at.map(|t| t.0),
        &plan.deletion_date.map(|t| t.0),
        &plan.finished_at.map(|t| t.0),
        &plan.reason,
        &plan.started_by,
        &next_version,
    ];
    let row = if plan.version == 0 {
        tx.query_opt(
            &format!(
                "INSERT INTO retirement_plans ({PLAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (account, region, key_id) DO UPDATE SET step = EXCLUDED.step, observe_millis = EXCLUDED.observe_millis, \
                 pending_window_days = EXCLUDED.pending_window_days, started_at = EXCLUDED.started_at, observe_until = EXCLUDED.observe_until, \
                 scheduled_at = EXCLUDED.scheduled_at, deletion_date = EXCLUDED.deletion_date, finished_at = EXCLUDED.finished_at, \
                 reason = EXCLUDED.reason, started_by = EXCLUDED.started_by, version = retirement_plans.version + 1 \
                 WHERE retirement_plans.step IN ('Completed', 'Halted', 'Aborted') RETURNING {PLAN_COLUMNS}"
            ),
            &values,
        )
        .await?
    } else {
        tx.query_opt(
            &format!(
                "UPDATE retirement_plans SET step = $4, observe_millis = $5, pending_window_days = $6, started_at = $7, observe_until = $8, \
                 scheduled_at = $9, deletion_date = $10, finished_at = $11, reason = $12, started_by = $13, version = $14 \
                 WHERE account = $1 AND region = $2 AND key_id = $3 AND version = $14::BIGINT - 1 RETURNING {PLAN_COLUMNS}"
            ),
            &values,
        )
        .await?
    };
    row.as_ref().map(plan_from_row).transpose()?.ok_or(StoreError::Conflict)
}

/// Inserts a new key row.
async fn insert_key(tx: &Transaction<'_>, key: &Key) -> Result<(), StoreError> {
    let tags = tags_json(key)?;
    let params: [&(dyn ToSql + Sync); 18] = [
        &key.account.as_str(),
        &key.region.as_str(),
        &key.id.to_string(),
        &key.created_at.0,
        &key.description,
        &key.spec.as_str(),
        &key.usage.as_str(),
        &key.origin.as_str(),
        &key.manager.as_str(),
        &key.state.as_str(),
        &key.state.scheduled_deletion().map(|d| d.deletion_date.0),
        &key.state.scheduled_deletion().map(|d| d.pending_window_days),
        &tags,
        &key.policy,
        &key.wrapped_material,
        &key.version,
        &key.deletion_protection,
        &key.cancel_on_use,
    ];
    tx.execute(&format!("INSERT INTO keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"), &params)
        .await?;
    Ok(())
}

/// Inserts an alias unless its name is taken; true if inserted.
async fn insert_alias(client: &impl deadpool_postgres::GenericClient, alias: &Alias) -> Result<bool, StoreError> {
    let inserted = client
        .execute(
            &format!("INSERT INTO aliases ({ALIAS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"),
            &[
                &alias.account.as_str(),
                &alias.region.as_str(),
                &alias.name.as_str(),
                &alias.key_id.to_string(),
                &alias.created_at.0,
                &alias.updated_at.0,
            ],
        )
        .await?;
    Ok(inserted == 1)
}

fn tags_json(key: &Key) -> Result<String, StoreError> {
    serde_json::to_string(&key.tags).map_err(database)
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn create_key(&self, key: &Key, event: &AuditEvent) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            insert_key(&tx, key).await?;
            insert_event(&tx, event).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn create_key_with_alias(&self, key: &Key, alias: &Alias, event: &AuditEvent) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            if !insert_alias(&tx, alias).await? {
                return Err(StoreError::AliasExists);
            }
            insert_key(&tx, key).await?;
            insert_event(&tx, event).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn get_key(&self, account: &AccountId, region: &Region, id: KeyId) -> Result<Option<Key>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND region = $2 AND key_id = $3"
                ))
                .await?;
            let row = client.query_opt(&statement, &[&account.as_str(), &region.as_str(), &id.to_string()]).await?;
            row.as_ref().map(key_from_row).transpose()
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
        self.bounded(async {
            let client = self.client().await?;
            let after = after.map(|id| id.to_string()).unwrap_or_default();
            let rows = client
                .query(
                    &format!("SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND region = $2 AND key_id > $3 ORDER BY key_id LIMIT $4"),
                    &[&account.as_str(), &region.as_str(), &after, &(limit as i64)],
                )
                .await?;
            rows.iter().map(key_from_row).collect()
        })
        .await
    }

    async fn update_key(&self, key: &Key, event: Option<&AuditEvent>) -> Result<Key, StoreError> {
        let token = self.next_token();
        self.acks.open(&token);
        let result = self
            .bounded(async {
                let mut client = self.client().await?;
                let tx = client.transaction().await?;
                let stored = write_key(&tx, key).await?;
                if let Some(event) = event {
                    insert_event(&tx, event).await?;
                }
                notify(&tx, Some(key.id), &token).await?;
                tx.commit().await?;
                Ok(stored)
            })
            .await;
        match &result {
            Ok(_) => self.await_acknowledgements(&token).await,
            Err(_) => self.acks.close(&token),
        }
        result
    }

    async fn destroy_due(&self, now: Timestamp, limit: usize, event_for: &EventFor) -> Result<Vec<Key>, StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // Claim: rows another node is destroying right now are locked, and skipped rather than waited for.
            let rows = tx
                .query(
                    &format!(
                        "SELECT {KEY_COLUMNS} FROM keys WHERE {DUE_FOR_DELETION} AND deletion_date <= $1 \
                         ORDER BY deletion_date LIMIT $2 FOR UPDATE SKIP LOCKED"
                    ),
                    &[&now.0, &(limit as i64)],
                )
                .await?;
            let due: Vec<Key> = rows.iter().map(key_from_row).collect::<Result<_, _>>()?;
            for key in &due {
                let id = key.id.to_string();
                tx.execute(
                    "DELETE FROM keys WHERE account = $1 AND region = $2 AND key_id = $3",
                    &[&key.account.as_str(), &key.region.as_str(), &id],
                )
                .await?;
                tx.execute(
                    "DELETE FROM aliases WHERE account = $1 AND region = $2 AND key_id = $3",
                    &[&key.account.as_str(), &key.region.as_str(), &id],
                )
                .await?;
                insert_event(&tx, &event_for(key)).await?;
                notify(&tx, Some(key.id), &format!("{}:deletion", self.node)).await?;
            }
            tx.commit().await?;
            Ok(due)
        })
        .await
    }

    async fn next_deletion_date(&self) -> Result<Option<Timestamp>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row =
                client.query_one(&format!("SELECT MIN(deletion_date) FROM keys WHERE {DUE_FOR_DELETION}"), &[]).await?;
            Ok(row.try_get::<_, Option<i64>>(0)?.map(Timestamp))
        })
        .await
    }

    async fn create_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            if insert_alias(&client, alias).await? {
                Ok(())
            } else {
                Err(StoreError::AliasExists)
            }
        })
        .await
    }

    async fn get_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<Option<Alias>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(&format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = $1 AND region = $2 AND name = $3"
                ))
                .await?;
            let row = client.query_opt(&statement, &[&account.as_str(), &region.as_str(), &name.as_str()]).await?;
            row.as_ref().map(alias_from_row).transpose()
        })
        .await
    }

    async fn update_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let changed = client
                .execute(
                    "UPDATE aliases SET key_id = $1, updated_at = $2 WHERE account = $3 AND region = $4 AND name = $5",
                    &[
                        &alias.key_id.to_string(),
                        &alias.updated_at.0,
                        &alias.account.as_str(),
                        &alias.region.as_str(),
                        &alias.name.as_str(),
                    ],
                )
                .await?;
            if changed == 1 {
                Ok(())
            } else {
                Err(StoreError::Conflict)
            }
        })
        .await
    }

    async fn delete_alias(&self, account: &AccountId, region: &Region, name: &AliasName) -> Result<bool, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let removed = client
                .execute(
                    "DELETE FROM aliases WHERE account = $1 AND region = $2 AND name = $3",
                    &[&account.as_str(), &region.as_str(), &name.as_str()],
                )
                .await?;
            Ok(removed == 1)
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
        self.bounded(async {
            let client = self.client().await?;
            let key = key.map(|k| k.to_string());
            let after = after.map(|a| a.to_string()).unwrap_or_default();
            let rows = client
                .query(
                    &format!(
                        "SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = $1 AND region = $2 AND ($3::TEXT IS NULL OR key_id = $3) \
                         AND name > $4 ORDER BY name LIMIT $5"
                    ),
                    &[&account.as_str(), &region.as_str(), &key, &after, &(limit as i64)],
                )
                .await?;
            rows.iter().map(alias_from_row).collect()
        })
        .await
    }

    async fn append_events(&self, batch: Arc<EventBatch>) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            insert_events(&tx, &batch).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn append_events_marked(&self, batch: Arc<EventBatch>, marker: &str, value: &[u8]) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            insert_events(&tx, &batch).await?;
            tx.execute("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", &[&marker, &value]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn audit_chain(&self) -> Result<AuditChain, StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            // One snapshot for the anchor, the events and the head.
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let rows = tx
                .query("SELECT first_seq, previous_hash, records, hashes FROM audit_segments ORDER BY first_seq", &[])
                .await?;
            let segments = rows
                .iter()
                .map(|row| {
                    Ok(StoredSegment {
                        first_seq: row.try_get(0)?,
                        previous_hash: row.try_get(1)?,
                        records: row.try_get(2)?,
                        hashes: row.try_get(3)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let events = segments.iter().flat_map(StoredSegment::chained).collect();
            let head = tx.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", &[]).await?;
            let head = ChainHead { seq: head.try_get(0)?, hash: head.try_get(1)? };
            let anchor = tx.query_one("SELECT seq, hash FROM audit_anchor WHERE id = 1", &[]).await?;
            let anchor = ChainHead { seq: anchor.try_get(0)?, hash: anchor.try_get(1)? };
            tx.commit().await?;
            Ok(AuditChain { anchor, events, head })
        })
        .await
    }

    async fn prune_events(&self, before: Timestamp, event: &AuditEvent) -> Result<u64, StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // Appenders lock the head; so does pruning, so the anchor and the chain move in one order.
            tx.execute("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE", &[]).await?;
            // The segment holding the last event always stays, so the head keeps an event to check against.
            let last = tx
                .query_opt(
                    "SELECT last_seq, hashes FROM audit_segments WHERE latest_time < $1 AND last_seq < (SELECT seq FROM audit_head WHERE id = 1) \
                     ORDER BY first_seq DESC LIMIT 1",
                    &[&before.0],
                )
                .await?;
            let Some(last) = last else { return Ok(0) };
            let (seq, hashes): (i64, Vec<u8>) = (last.try_get(0)?, last.try_get(1)?);
            let hash = segment::last_hash(&hashes).ok_or_else(|| StoreError::Corrupt(format!("audit segment ending at {seq} has no hashes")))?;
            let removed: i64 = tx
                .query_one("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0)::BIGINT FROM audit_segments WHERE last_seq <= $1", &[&seq])
                .await?
                .try_get(0)?;
            tx.execute("DELETE FROM audit_segment_keys WHERE first_seq <= $1", &[&seq]).await?;
            tx.execute("DELETE FROM audit_segments WHERE last_seq <= $1", &[&seq]).await?;
            tx.execute("UPDATE audit_anchor SET seq = $1, hash = $2 WHERE id = 1", &[&seq, &hash]).await?;
            insert_event(&tx, event).await?;
            tx.commit().await?;
            Ok(u64::try_from(removed).unwrap_or(0))
        })
        .await
    }

    async fn key_usage(&self, key_arn: &str) -> Result<KeyUsage, StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead).read_only(true).start().await?;
            let counts = tx
                .query(
                    "SELECT key_arn, day, operation, principal, source_ip, error_code, calls, ciphertexts, first_at, last_at FROM key_usage \
                     WHERE key_arn = $1 ORDER BY day, operation, principal, source_ip, error_code",
                    &[&key_arn],
                )
                .await?
                .iter()
                .map(|row| {
                    Ok((
                        UsageKey {
                            key_arn: row.try_get(0)?,
                            day: row.try_get(1)?,
                            operation: row.try_get(2)?,
                            principal: row.try_get(3)?,
                            source_ip: row.try_get(4)?,
                            error_code: row.try_get(5)?,
                        },
                        UsageCount { calls: row.try_get(6)?, ciphertexts: row.try_get(7)?, first_millis: row.try_get(8)?, last_millis: row.try_get(9)? },
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let last_use = tx
                .query_opt("SELECT key_arn, operation, at, event_id, request_id FROM key_last_use WHERE key_arn = $1", &[&key_arn])
                .await?
                .map(|row| -> Result<LastUse, StoreError> {
                    Ok(LastUse {
                        key_arn: row.try_get(0)?,
                        operation: row.try_get(1)?,
                        millis: row.try_get(2)?,
                        event_id: row.try_get(3)?,
                        request_id: row.try_get(4)?,
                    })
                })
                .transpose()?;
            let refused = tx
                .query(
                    "SELECT key_arn, at, operation, principal, source_ip, error_code, error_message, event_id FROM key_refused_uses \
                     WHERE key_arn = $1 ORDER BY seq",
                    &[&key_arn],
                )
                .await?
                .iter()
                .map(|row| {
                    Ok(RefusedUse {
                        key_arn: row.try_get(0)?,
                        millis: row.try_get(1)?,
                        operation: row.try_get(2)?,
                        principal: row.try_get(3)?,
                        source_ip: row.try_get(4)?,
                        error_code: row.try_get(5)?,
                        error_message: row.try_get(6)?,
                        event_id: row.try_get(7)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            tx.commit().await?;
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
        let token = self.next_token();
        self.acks.open(&token);
        let result = self
            .bounded(async {
                let mut client = self.client().await?;
                let tx = client.transaction().await?;
                let stored_key = match key {
                    Some(key) => Some(write_key(&tx, key).await?),
                    None => None,
                };
                let stored_plan = write_plan(&tx, plan).await?;
                if let Some(event) = event {
                    insert_event(&tx, event).await?;
                }
                if let Some(key) = key {
                    notify(&tx, Some(key.id), &token).await?;
                }
                tx.commit().await?;
                Ok((stored_plan, stored_key))
            })
            .await;
        match &result {
            Ok((_, Some(_))) => self.await_acknowledgements(&token).await,
            _ => self.acks.close(&token),
        }
        result
    }

    async fn get_retirement_plan(
        &self,
        account: &AccountId,
        region: &Region,
        id: KeyId,
    ) -> Result<Option<RetirementPlan>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {PLAN_COLUMNS} FROM retirement_plans WHERE account = $1 AND region = $2 AND key_id = $3"),
                    &[&account.as_str(), &region.as_str(), &id.to_string()],
                )
                .await?;
            row.as_ref().map(plan_from_row).transpose()
        })
        .await
    }

    async fn active_retirement_plans(&self) -> Result<Vec<RetirementPlan>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let rows = client
                .query(&format!("SELECT {PLAN_COLUMNS} FROM retirement_plans WHERE step IN ('Observing', 'PendingDeletion') ORDER BY started_at"), &[])
                .await?;
            rows.iter().map(plan_from_row).collect()
        })
        .await
    }

    async fn events(&self, key_arn: Option<&str>) -> Result<Vec<AuditEvent>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT records FROM audit_segments WHERE $1::TEXT IS NULL OR first_seq IN (SELECT first_seq FROM audit_segment_keys WHERE key_arn = $1) \
                     ORDER BY first_seq",
                    &[&key_arn],
                )
                .await?;
            let mut events = Vec::new();
            for row in &rows {
                events.extend(segment::events_of(row.try_get::<_, &[u8]>(0)?, key_arn).map_err(StoreError::Corrupt)?);
            }
            Ok(events)
        })
        .await
    }

    async fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client.query_opt("SELECT value FROM meta WHERE name = $1", &[&name]).await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
        .await
    }

    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            client
                .execute("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&name, &value])
                .await?;
            Ok(client.query_one("SELECT value FROM meta WHERE name = $1", &[&name]).await?.try_get(0)?)
        })
        .await
    }

    async fn put_credential(&self, credential: &StoredCredential) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            client
                .execute(
                    "INSERT INTO credentials (access_key_id, account, sealed_secret, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[&credential.access_key_id, &credential.account.as_str(), &credential.sealed_secret, &credential.created_at.0],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn credentials(&self) -> Result<Vec<StoredCredential>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT access_key_id, account, sealed_secret, created_at FROM credentials ORDER BY created_at",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(StoredCredential {
                        access_key_id: row.try_get(0)?,
                        account: AccountId::parse(&row.try_get::<_, String>(1)?)
                            .ok_or_else(|| StoreError::Corrupt("credential account".to_owned()))?,
                        sealed_secret: row.try_get(2)?,
                        created_at: Timestamp(row.try_get(3)?),
                    })
                })
                .collect()
        })
        .await
    }

    async fn reset(&self) -> Result<(), StoreError> {
        let token = self.next_token();
        self.acks.open(&token);
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            tx.batch_execute(
                "DELETE FROM keys; DELETE FROM aliases; DELETE FROM audit_segments; DELETE FROM audit_segment_keys; DELETE FROM key_usage; DELETE FROM key_last_use; \
                 DELETE FROM key_refused_uses; DELETE FROM retirement_plans;",
            )
            .await?;
            tx.execute("UPDATE audit_head SET seq = 0, hash = $1 WHERE id = 1", &[&trent_audit::chain::GENESIS]).await?;
            tx.execute("UPDATE audit_anchor SET seq = 0, hash = $1 WHERE id = 1", &[&trent_audit::chain::GENESIS]).await?;
            notify(&tx, None, &token).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.await_acknowledgements(&token).await;
        Ok(())
    }

    async fn leave(&self) -> Result<(), StoreError> {
        // Others stop waiting for this node's acknowledgements at once.
        let client = self.client().await?;
        client.execute("DELETE FROM nodes WHERE node_id = $1", &[&&*self.node]).await?;
        Ok(())
    }

    fn change_feed(&self) -> Option<Arc<ChangeFeed>> {
        Some(Arc::clone(&self.feed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conformance suite on a fresh database of the server at `TRENT_TEST_POSTGRES_URL`; skipped with a reason
    /// when it is unset, unless `TRENT_REQUIRE_POSTGRES` says a missing server is a failure (as in CI).
    #[tokio::test]
    async fn postgres_passes_the_conformance_suite() {
        let Some(url) = crate::conformance::postgres_test_database().await else {
            return;
        };
        let store = PostgresStore::connect(&url).await.unwrap();
        crate::conformance::run_all(&store).await;
        assert!(store.change_feed().is_some_and(|f| f.is_connected()), "the change listener is connected");
    }

    #[tokio::test]
    async fn two_nodes_migrating_at_once_both_succeed_and_a_newer_schema_is_refused() {
        let Some(url) = crate::conformance::postgres_test_database().await else {
            return;
        };
        let (a, b) = tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url));
        let (a, _b) = (a.unwrap(), b.unwrap());
        let client = a.client().await.unwrap();
        client.execute("INSERT INTO trent_schema (version) VALUES (99)", &[]).await.unwrap();
        assert!(matches!(PostgresStore::connect(&url).await, Err(StoreError::SchemaTooNew { found: 99, .. })));
    }
}
