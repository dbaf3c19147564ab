//! The PostgreSQL driver, for a store several nodes share: a connection pool with bounded waits, statements
//! prepared once per connection, batches pipelined, and a LISTEN/NOTIFY change feed that keeps every node's key cache
//! current.
//!
//! Cross-node cache coherence, strictly: every node holds a lease in `nodes`, renewed each second only after its
//! listener has received a notification the node sent itself (so it provably keeps up with the feed); its cache is
//! trusted only until shortly before that lease ends. A node that receives another node's change invalidates the key
//! and acknowledges on `trent_acks`. A writer answers its client only when every node with a live lease has
//! acknowledged, or that lease has run out, by which time that node no longer trusts its cache. So once a client hears
//! "disabled", no node serves the key from a stale cache.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::BytesMut;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Timeouts};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{AsyncMessage, NoTls};
use trent_domain::KeyId;

use crate::driver::{Dialect, Driver, Mode, Sql, Statement, Tx, Work};
use crate::feed::{ChangeFeed, FeedEvent};
use crate::store;
use crate::value::{Param, Row, Value};
use crate::StoreError;

/// The schema migrations, in order.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_initial.sql"),
    include_str!("../migrations/postgres/0002_nodes.sql"),
    include_str!("../migrations/postgres/0003_deletion_protection.sql"),
    include_str!("../migrations/postgres/0004_audit_chain.sql"),
    include_str!("../migrations/postgres/0005_cancel_on_use.sql"),
    include_str!("../migrations/postgres/0006_usage_retention_retirement.sql"),
    include_str!("../migrations/postgres/0007_audit_segments.sql"),
    include_str!("../migrations/postgres/0008_deletion_protection_description.sql"),
    include_str!("../migrations/postgres/0009_rotations.sql"),
    include_str!("../migrations/postgres/0010_rotation_schedule.sql"),
    include_str!("../migrations/postgres/0011_imported_material.sql"),
    include_str!("../migrations/postgres/0012_multi_region.sql"),
    include_str!("../migrations/postgres/0013_pending_replica_deletion.sql"),
    include_str!("../migrations/postgres/0014_identities.sql"),
    include_str!("../migrations/postgres/0015_grants.sql"),
    include_str!("../migrations/postgres/0016_compact_call_entries.sql"),
];

/// The notification channel of key changes.
const CHANNEL: &str = "trent_keys";
/// The payload meaning "everything changed" (reset).
const EVERYTHING: &str = "*";
/// The payload meaning "the users, access keys or identity policies changed".
const IDENTITIES: &str = "identities";
/// The longest any one database call may take before the request fails instead of hanging.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The bound on a migration, a whole store's copy or its restoration: minutes, not seconds, on a large store.
const LONG_CALL_TIMEOUT: Duration = Duration::from_secs(30 * 60);
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

/// The PostgreSQL driver: a connection pool, and this node's part in keeping every node's key cache coherent.
#[derive(Clone)]
pub(crate) struct Postgres {
    pool: Pool,
    thread: tokio::runtime::Handle,
    feed: Arc<ChangeFeed>,
    node: Arc<str>,
    /// Set once this node has left the cluster: its heartbeat stops and renews its lease no more.
    left: Arc<AtomicBool>,
    sequence: Arc<AtomicU64>,
    acks: Arc<Acks>,
}

/// Acknowledgements received, by change token.
#[derive(Default)]
struct Acks {
    by_token: Mutex<HashMap<String, HashSet<String>>>,
    arrived: tokio::sync::watch::Sender<u64>,
}

/// A change's token, collecting acknowledgements until it is dropped (however the change's call ends: acknowledged,
/// failed, or abandoned by a timeout).
struct OpenToken<'a> {
    acks: &'a Acks,
    token: String,
}

impl Drop for OpenToken<'_> {
    fn drop(&mut self) {
        self.acks.by_token.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.token);
    }
}

impl Acks {
    fn open(&self, token: String) -> OpenToken<'_> {
        self.by_token.lock().unwrap_or_else(|p| p.into_inner()).insert(token.clone(), HashSet::new());
        OpenToken { acks: self, token }
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

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        match error.as_db_error() {
            // Chosen as a deadlock's victim (a batch of changes on another node took the same keys in another
            // order): the change is rolled back to its savepoint and retried by its caller, like any lost race.
            Some(db) if *db.code() == SqlState::T_R_DEADLOCK_DETECTED => StoreError::Conflict,
            // The server's own words (logged with the request ID, never sent to the client).
            Some(db) if !error.is_closed() => {
                StoreError::Database(format!("{} ({}): {}", db.message(), db.code().code(), db.detail().unwrap_or("")))
            }
            _ => StoreError::Unavailable(error.to_string()),
        }
    }
}

/// Starts the thread this store's database work runs on, and returns its runtime's handle. Every connection of the
/// pool is opened there, and every short unit of work runs there (see [`Postgres::run`]), so that a statement's round
/// trip waits for no HTTP request a request thread is busy with (a round trip that crossed to another request thread
/// took about 200 µs under load). The thread ends with the runtime that opened the store, as tasks spawned on that
/// runtime would.
fn database_thread() -> Result<tokio::runtime::Handle, StoreError> {
    let failed = |error: &dyn std::fmt::Display| StoreError::Database(format!("database thread: {error}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (started, handle) = std::sync::mpsc::channel();
    // The runtime is built, run and dropped on its own thread.
    std::thread::Builder::new()
        .name("trent-postgres".to_owned())
        .spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => {
                let _ = started.send(Ok(runtime.handle().clone()));
                runtime.block_on(async move { drop(stopped.await) });
            }
            Err(error) => drop(started.send(Err(error))),
        })
        .map_err(|e| failed(&e))?;
    let handle = handle.recv().map_err(|e| failed(&e))?.map_err(|e| failed(&e))?;
    // Held by a task of the opening runtime: dropped, and the thread told to end, when that runtime shuts down.
    tokio::spawn(async move {
        let _stop = stop;
        std::future::pending::<()>().await
    });
    Ok(handle)
}

impl Postgres {
    /// Connects to `url`, migrates the schema (under an advisory lock) and starts the change listener.
    pub(crate) async fn connect(url: &str) -> Result<Self, StoreError> {
        let (driver, config) = Self::pool(url)?;
        driver.run(Mode::Migrate, |tx| Box::pin(async move { store::migrate(tx, MIGRATIONS).await })).await?;
        driver.thread.spawn(listen(config, driver.clone()));
        driver.thread.spawn(heartbeat(driver.clone()));
        // Give the listener and the first heartbeat a moment, so a fresh node starts with a trusted cache; it works
        // without one too (every read then goes to the database).
        for _ in 0..100 {
            if driver.feed.is_connected() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(driver)
    }

    /// Connects to `url`, of exactly this binary's schema, as no node: no migration, listener or heartbeat.
    pub(crate) async fn attach(url: &str) -> Result<Self, StoreError> {
        let (driver, _) = Self::pool(url)?;
        driver.run(Mode::Snapshot, |tx| Box::pin(async move { store::require_schema(tx, MIGRATIONS).await })).await?;
        Ok(driver)
    }

    /// The connection pool for `url`, not yet used.
    fn pool(url: &str) -> Result<(Self, tokio_postgres::Config), StoreError> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Database(format!("database URL: {e}")))?;
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
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let driver = Postgres {
            pool,
            thread: database_thread()?,
            feed: ChangeFeed::new(),
            node: Arc::from(uuid::Uuid::new_v4().simple().to_string()),
            left: Arc::new(AtomicBool::new(false)),
            sequence: Arc::new(AtomicU64::new(0)),
            acks: Arc::new(Acks::default()),
        };
        Ok((driver, config))
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))
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
    }

    /// Removes this node's lease: other nodes no longer wait for its acknowledgements.
    async fn remove_lease(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute("DELETE FROM nodes WHERE node_id = $1", &[&&*self.node]).await?;
        Ok(())
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

/// Renews the lease every [`HEARTBEAT`] until the node leaves; while the listener is down there is nothing to
/// prove, so it checks again shortly and renews as soon as the listener is back.
async fn heartbeat(store: Postgres) {
    while !store.left.load(Ordering::SeqCst) {
        if !store.feed.is_listening() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        if let Err(error) = store.renew_lease().await {
            tracing::debug!(%error, "lease not renewed; the key cache is bypassed once trust runs out");
        }
        if store.left.load(Ordering::SeqCst) {
            // The node left while this renewal was under way, which may have written the lease again after it was
            // removed: remove it again.
            let _ = store.remove_lease().await;
            return;
        }
        tokio::time::sleep(HEARTBEAT).await;
    }
}

/// The listener: one dedicated connection, reconnecting forever with a pause; the feed is disconnected meanwhile.
/// It invalidates other nodes' changes and acknowledges them, and collects acknowledgements of this node's changes.
async fn listen(config: tokio_postgres::Config, store: Postgres) {
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

impl Postgres {
    fn on_notification(&self, channel: &str, payload: &str) {
        if channel == CHANNEL {
            let (subject, token) = payload.split_once(' ').unwrap_or((payload, ""));
            let own = self.is_own(token);
            let change = match subject {
                IDENTITIES => FeedEvent::Identities,
                _ => KeyId::parse(subject).map_or(FeedEvent::All, FeedEvent::Key),
            };
            self.feed.received(change, token, own);
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
                    self.feed.received(FeedEvent::All, token, true);
                } else {
                    self.acks.record(token, node);
                }
            }
        }
    }
}

impl Postgres {
    /// Runs `work` in `mode` and commits it; returns its outcome and, if it changed keys, the token the other nodes
    /// acknowledge the change with (sent in the transaction, so it is heard exactly when the change is visible).
    async fn transact<T>(
        &self,
        pooled: Option<Object>,
        mode: Mode,
        work: impl Work<T>,
    ) -> Result<(T, Option<OpenToken<'_>>), StoreError> {
        let mut client = match pooled {
            Some(client) => client,
            None => self.client().await?,
        };
        if mode == Mode::Autocommit {
            return Ok((work(&mut PgTx::new(&client)).await?, None));
        }
        let transaction = if matches!(mode, Mode::Snapshot | Mode::Copy) {
            let builder = client.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead);
            builder.read_only(true).start().await?
        } else {
            client.transaction().await?
        };
        let mut tx = PgTx::new(&transaction);
        let outcome = work(&mut tx).await?;
        if !tx.soon.is_empty() {
            transaction.batch_execute(&tx.soon).await?;
        }
        let changes = tx.changes;
        if changes.is_empty() {
            transaction.commit().await?;
            return Ok((outcome, None));
        }
        let token = self.acks.open(self.next_token());
        for change in changes {
            let subject = match change {
                FeedEvent::Key(id) => id.to_string(),
                FeedEvent::Identities => IDENTITIES.to_owned(),
                FeedEvent::All => EVERYTHING.to_owned(),
            };
            let payload = format!("{subject} {}", token.token);
            transaction.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]).await?;
        }
        transaction.commit().await?;
        Ok((outcome, Some(token)))
    }
}

impl Postgres {
    /// Runs `future` on the database thread; a caller that goes away leaves it to finish there.
    async fn on_thread<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.thread.spawn(future).await.map_err(|e| {
            if e.is_panic() {
                StoreError::Database("a unit of database work panicked".to_owned())
            } else {
                StoreError::Unavailable("the database thread has stopped".to_owned())
            }
        })?
    }

    /// [`Driver::run`] on this thread, on the connection `pooled` if one was taken already.
    async fn run_here<T: Send + 'static>(
        &self,
        pooled: Option<Object>,
        mode: Mode,
        work: impl Work<T>,
    ) -> Result<T, StoreError> {
        // Bounded, so an unreachable database fails the call instead of hanging it.
        let limit = if matches!(mode, Mode::Copy | Mode::Migrate) { LONG_CALL_TIMEOUT } else { CALL_TIMEOUT };
        let (outcome, token) = tokio::time::timeout(limit, self.transact(pooled, mode, work))
            .await
            .map_err(|_| StoreError::Unavailable("the database did not answer in time".to_owned()))??;
        if let Some(token) = token {
            self.await_acknowledgements(&token.token).await;
        }
        Ok(outcome)
    }
}

impl Driver for Postgres {
    /// Runs short units of work on the database thread. The audit trail's appends (which hash and compress every
    /// event they chain) and a whole store's copy (which decodes every row) run on a blocking thread instead, as
    /// SQLite's work does, on a connection taken on the database thread (where connections are opened; its runtime
    /// still drives their I/O and timers): their CPU time would hold up every other unit of work, and the change
    /// listener and the lease's heartbeat, which run on the database thread too.
    async fn run<T: Send + 'static>(&self, mode: Mode, work: impl Work<T>) -> Result<T, StoreError> {
        let driver = self.clone();
        if matches!(mode, Mode::Audit | Mode::Copy) {
            let client = self.on_thread(async move { driver.client().await }).await?;
            let (driver, thread) = (self.clone(), self.thread.clone());
            let run = move || thread.block_on(driver.run_here(Some(client), mode, work));
            return tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| StoreError::Database(format!("a unit of database work failed: {e}")))?;
        }
        self.on_thread(async move { driver.run_here(None, mode, work).await }).await
    }

    fn change_feed(&self) -> Option<Arc<ChangeFeed>> {
        Some(Arc::clone(&self.feed))
    }

    async fn leave(&self) -> Result<(), StoreError> {
        // Others stop waiting for this node's acknowledgements at once, and the heartbeat writes its lease no more.
        self.left.store(true, Ordering::SeqCst);
        let driver = self.clone();
        self.on_thread(async move { driver.remove_lease().await }).await
    }
}

/// A transaction (or, in autocommit mode, a pooled connection), the keys it changed, and the script it sends with
/// its next statement ([`Tx::batch_soon`]).
struct PgTx<'c, C> {
    client: &'c C,
    changes: Vec<FeedEvent>,
    soon: String,
}

impl<'c, C: GenericClient + Send + Sync> PgTx<'c, C> {
    fn new(client: &'c C) -> Self {
        Self { client, changes: Vec::new(), soon: String::new() }
    }

    /// Awaits `request`, sent right after the script waiting to be sent, if any: both in one round trip.
    async fn after_soon<T>(
        &mut self,
        request: impl Future<Output = Result<T, tokio_postgres::Error>> + Send,
    ) -> Result<T, StoreError> {
        if self.soon.is_empty() {
            return Ok(request.await?);
        }
        let soon = std::mem::take(&mut self.soon);
        let (_, outcome) = futures_util::future::try_join(self.client.batch_execute(&soon), request).await?;
        Ok(outcome)
    }
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql_checked(ty, out),
            // SQLite keeps booleans as 0 and 1: a copy of its rows restored here writes them as booleans.
            Param::Int(v) if *ty == Type::BOOL => (*v != 0).to_sql_checked(ty, out),
            Param::Int(v) => v.to_sql_checked(ty, out),
            Param::Bool(v) => v.to_sql_checked(ty, out),
            Param::Text(v) => v.as_ref().to_sql_checked(ty, out),
            Param::Blob(v) => v.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Each variant checks the column's type itself, in `to_sql`.
        true
    }

    to_sql_checked!();
}

fn references<'p>(params: &'p [Param<'_>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Column `index` of `row` as a value, by the column's type.
fn value(row: &tokio_postgres::Row, index: usize, ty: &Type) -> Result<Value, tokio_postgres::Error> {
    Ok(if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(index)?.map_or(Value::Null, Value::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(index)?.map_or(Value::Null, |v| Value::Int(v.into()))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(index)?.map_or(Value::Null, Value::Bool)
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(index)?.map_or(Value::Null, Value::Blob)
    } else {
        row.try_get::<_, Option<String>>(index)?.map_or(Value::Null, Value::Text)
    })
}

#[async_trait]
impl<C: GenericClient + Send + Sync> Tx for PgTx<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn execute(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let client = self.client;
        let statement = client.prepare_cached(sql.text(Dialect::Postgres)).await?;
        let references = references(params);
        self.after_soon(client.execute(&statement, &references)).await
    }

    /// Sends every statement at once (pipelined): one round trip instead of one per statement.
    async fn execute_all(&mut self, statements: &[Statement<'_>]) -> Result<Vec<u64>, StoreError> {
        let client = self.client;
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, params) in statements {
            prepared.push((client.prepare_cached(sql.text(Dialect::Postgres)).await?, references(params)));
        }
        let runs = prepared.iter().map(|(statement, params)| client.execute(statement, params));
        self.after_soon(futures_util::future::try_join_all(runs)).await
    }

    async fn query(&mut self, sql: &Sql, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let client = self.client;
        let statement = client.prepare_cached(sql.text(Dialect::Postgres)).await?;
        let references = references(params);
        let rows = self.after_soon(client.query(&statement, &references)).await?;
        let types: Vec<Type> = statement.columns().iter().map(|c| c.type_().clone()).collect();
        rows.iter()
            .map(|row| {
                let values = types.iter().enumerate().map(|(i, ty)| value(row, i, ty)).collect::<Result<_, _>>()?;
                Ok(Row::new(values))
            })
            .collect()
    }

    async fn batch(&mut self, script: &str) -> Result<(), StoreError> {
        let client = self.client;
        self.after_soon(client.batch_execute(script)).await
    }

    async fn batch_soon(&mut self, script: &str) -> Result<(), StoreError> {
        if !self.soon.is_empty() {
            self.soon.push_str("; ");
        }
        self.soon.push_str(script);
        Ok(())
    }

    fn changed(&mut self, change: FeedEvent) {
        if !self.changes.contains(&change) {
            self.changes.push(change);
        }
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
        let store = crate::KeyStore::connect_postgres(&url).await.unwrap();
        crate::conformance::run_all(&store).await;
        assert!(store.change_feed().is_some_and(|f| f.is_connected()), "the change listener is connected");
    }

    /// A connection never goes back to the pool inside a transaction: not after its work failed, and not after its
    /// call was abandoned half way (as a timeout abandons it).
    #[tokio::test]
    async fn no_connection_returns_to_the_pool_inside_a_transaction() {
        static WRITE: Sql = Sql::both("INSERT INTO meta (name, value) VALUES ($1, $2)");
        static READ: Sql = Sql::both("SELECT count(*) AS value FROM meta WHERE name LIKE 'abandoned-%'");
        // Inside a transaction that wrote, the transaction has an ID; inside an aborted one, the query fails.
        static OUTSIDE: Sql = Sql::both("SELECT pg_current_xact_id_if_assigned() IS NULL AS value");
        let Some(url) = crate::conformance::postgres_test_database().await else {
            return;
        };
        let driver = Postgres::connect(&url).await.unwrap();
        let failed = driver
            .transact(None, Mode::Write, |tx| {
                Box::pin(async move {
                    tx.execute(&WRITE, &[Param::from("abandoned-failed"), Param::Blob(b"x")]).await?;
                    Err::<(), _>(StoreError::Conflict)
                })
            })
            .await;
        assert!(matches!(failed, Err(StoreError::Conflict)), "{:?}", failed.map(|_| ()));
        let (inserted, written) = tokio::sync::oneshot::channel();
        let abandoned = driver.transact(None, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.execute(&WRITE, &[Param::from("abandoned-timed-out"), Param::Blob(b"x")]).await?;
                let _ = inserted.send(());
                std::future::pending::<()>().await;
                Ok(())
            })
        });
        // Abandoned (dropped, as a timeout drops it) once its write is done.
        tokio::select! {
            _ = abandoned => panic!("the work never ends"),
            _ = written => {}
        }
        // Every connection the pool may hold, at once.
        let checks = (0..16).map(|_| {
            driver.transact(None, Mode::Autocommit, |tx| {
                Box::pin(async move { crate::store::one::<bool>(tx, &OUTSIDE, &[]).await })
            })
        });
        for outcome in futures_util::future::join_all(checks).await {
            assert!(outcome.unwrap().0, "a pooled connection was inside a transaction");
        }
        let written = driver
            .transact(None, Mode::Autocommit, |tx| {
                Box::pin(async move { crate::store::one::<i64>(tx, &READ, &[]).await })
            })
            .await
            .unwrap()
            .0;
        assert_eq!(written, 0, "neither transaction committed");
    }

    /// A node that left keeps no lease: its heartbeat does not write it again, so other nodes never wait for it.
    #[tokio::test]
    async fn a_node_that_left_keeps_no_lease() {
        let Some(url) = crate::conformance::postgres_test_database().await else {
            return;
        };
        let driver = Postgres::connect(&url).await.unwrap();
        let leases = || async {
            let client = driver.client().await.unwrap();
            let row = client.query_one("SELECT count(*) FROM nodes WHERE node_id = $1", &[&&*driver.node]).await;
            row.unwrap().get::<_, i64>(0)
        };
        assert_eq!(leases().await, 1, "a node serving holds a lease");
        driver.leave().await.unwrap();
        tokio::time::sleep(HEARTBEAT * 2).await;
        assert_eq!(leases().await, 0, "the heartbeat wrote the lease again");
    }

    #[tokio::test]
    async fn two_nodes_migrating_at_once_both_succeed_and_a_newer_schema_is_refused() {
        let Some(url) = crate::conformance::postgres_test_database().await else {
            return;
        };
        let (a, b) = tokio::join!(Postgres::connect(&url), Postgres::connect(&url));
        let (a, _b) = (a.unwrap(), b.unwrap());
        let client = a.client().await.unwrap();
        client.execute("INSERT INTO trent_schema (version) VALUES (99)", &[]).await.unwrap();
        assert!(matches!(Postgres::connect(&url).await, Err(StoreError::SchemaTooNew { found: 99, .. })));
    }
}
