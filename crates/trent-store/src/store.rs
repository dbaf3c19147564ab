//! The key store: each operation's logic written once over the narrow [`Tx`] interface (which statements it runs,
//! in which transaction, and what their results mean), run by whichever database driver the store was opened on.

use std::path::Path;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use trent_audit::chain::{AuditChain, ChainHead, ChainedEvent};
use trent_audit::segment::{self, Segment, StoredSegment};
use trent_audit::usage::{KeyUsage, UsageBatch};
use trent_audit::{AuditEvent, EventBatch, JournalLine};
use trent_domain::{AccountId, AliasName, Key, KeyId, Region, RetirementPlan, Timestamp};

use crate::copy::{self, RestoreRefusal, StoreCopy};
use crate::driver::{Driver, Mode, Sql, Statement, Tx, Work};
use crate::feed::{ChangeFeed, FeedEvent};
use crate::group_commit::{GroupCommit, Insertion};
use crate::postgres::Postgres;
use crate::sql;
use crate::sqlite::Sqlite;
use crate::value::{params, FromRow, Param, ToParams};
use crate::{
    Alias, EventFor, IdentityRefusal, StoreError, StoredCredential, StoredGrant, StoredIdentities, StoredUser,
    StoredUserPolicy,
};

/// A key store. Every change that has an audit event commits together with it, in one transaction.
pub struct KeyStore {
    database: Database,
    /// Key changes ([`Mode::Write`]), committed in batches.
    pub(crate) writes: Arc<GroupCommit>,
}

/// The database a store was opened on.
#[derive(Clone)]
pub(crate) enum Database {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl Database {
    /// Whether a batch of key changes may run its statements while the previous batch commits: on PostgreSQL each
    /// runs on its own connection; SQLite's one connection for key changes commits one at a time.
    pub(crate) fn commits_overlap(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }

    /// Runs `work` in `mode` on this database. Boxed: a driver's future is kilobytes (PostgreSQL's), and every
    /// caller's own future would otherwise carry room for it, to be copied each time a caller's future is moved
    /// (into a box, or a task), on every request that reaches the store or only might.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        mode: Mode,
        work: impl Work<T>,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        match self {
            Database::Sqlite(driver) => Box::pin(driver.run(mode, work)),
            Database::Postgres(driver) => Box::pin(driver.run(mode, work)),
        }
    }
}

/// Runs the block `$body`, the logic of one operation, with `$tx` the transaction of mode `$mode`. The block owns
/// what it uses (the drivers may run it on another thread).
macro_rules! run {
    ($store:expr, Write, |$tx:ident| $body:block) => {
        $store.writes.run(move |$tx| Box::pin(async move $body)).await
    };
    ($store:expr, WriteAlone, |$tx:ident| $body:block) => {
        $store.database.run(Mode::Write, move |$tx| Box::pin(async move $body)).await
    };
    ($store:expr, $mode:ident, |$tx:ident| $body:block) => {
        $store.database.run(Mode::$mode, move |$tx| Box::pin(async move $body)).await
    };
}

/// The rows of `sql`.
async fn rows<T: FromRow>(tx: &mut dyn Tx, sql: &Sql, params: &[Param<'_>]) -> Result<Vec<T>, StoreError> {
    tx.query(sql, params).await?.iter_mut().map(T::from_row).collect()
}

/// The first row of `sql`, if there is one.
async fn first<T: FromRow>(tx: &mut dyn Tx, sql: &Sql, params: &[Param<'_>]) -> Result<Option<T>, StoreError> {
    tx.query(sql, params).await?.first_mut().map(T::from_row).transpose()
}

/// The one row `sql` always returns.
pub(crate) async fn one<T: FromRow>(tx: &mut dyn Tx, sql: &Sql, params: &[Param<'_>]) -> Result<T, StoreError> {
    first(tx, sql, params).await?.ok_or_else(|| StoreError::Corrupt("a row the schema guarantees is missing".into()))
}

/// The schema version (the same in both dialects) whose script creates the audit segments.
pub(crate) const AUDIT_SEGMENTS_VERSION: i64 = 7;

/// Checks that the schema is exactly `migrations`' version, for a tool attached to a server's store: it neither
/// creates nor migrates a store.
pub(crate) async fn require_schema(tx: &mut dyn Tx, migrations: &[&str]) -> Result<(), StoreError> {
    let current: i64 = one(tx, &sql::SCHEMA_VERSION, &[]).await?;
    let supported = migrations.len() as i64;
    match current {
        0 => Err(StoreError::Unavailable("no Trent store there (it has no schema)".to_owned())),
        newer if newer > supported => Err(StoreError::SchemaTooNew { found: newer, supported }),
        older if older < supported => Err(StoreError::Unavailable(format!(
            "the store's schema is version {older}, older than this Trent's {supported}: start the server it belongs to with this Trent (which migrates it) first"
        ))),
        _ => Ok(()),
    }
}

/// Brings the schema up to date with `migrations` (the scripts in order; the schema version is the number applied).
/// The script of [`AUDIT_SEGMENTS_VERSION`] is followed by moving the events stored a row each into segments.
pub(crate) async fn migrate(tx: &mut dyn Tx, migrations: &[&str]) -> Result<(), StoreError> {
    let dialect = tx.dialect();
    tx.batch(sql::PREPARE_MIGRATION.text(dialect)).await?;
    let current: i64 = one(tx, &sql::SCHEMA_VERSION, &[]).await?;
    let supported = migrations.len() as i64;
    if current > supported {
        return Err(StoreError::SchemaTooNew { found: current, supported });
    }
    for (version, script) in (1..).zip(migrations).skip(usize::try_from(current).unwrap_or(0)) {
        tx.batch(script).await?;
        if version == AUDIT_SEGMENTS_VERSION {
            let events: Vec<sql::PreSegmentEvent> = rows(tx, &sql::PRE_SEGMENT_EVENTS, &[]).await?;
            let segments = segment::regroup(&events.into_iter().map(ChainedEvent::from).collect::<Vec<_>>());
            let mut writes = Vec::new();
            for segment in &segments {
                segment_writes(segment, &mut writes);
            }
            tx.execute_all(&writes).await?;
            tx.batch(sql::DROP_PRE_SEGMENT_EVENTS).await?;
        }
        tx.batch(&sql::SET_SCHEMA_VERSION.text(dialect).replace("{version}", &version.to_string())).await?;
    }
    Ok(())
}

/// Appends one event to the chain, with its usage evidence (or defers it, in a transaction that defers its events).
pub(crate) async fn insert_event(tx: &mut dyn Tx, event: &AuditEvent) -> Result<(), StoreError> {
    if let Some(deferred) = tx.deferred_events() {
        // Serialised now, so that an event that cannot be fails its own change, not the batch.
        deferred.push(journal_line(event)?);
        return Ok(());
    }
    insert_events(tx, &EventBatch::of(std::slice::from_ref(event)).map_err(unrecordable)?).await
}

/// `event` as the line a batch's deferred events hold.
pub(crate) fn journal_line(event: &AuditEvent) -> Result<JournalLine, StoreError> {
    JournalLine::of(event).map_err(unrecordable)
}

/// An event that cannot be recorded (a bug: every event serialises).
fn unrecordable(error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("audit record: {error}"))
}

/// The audit chain's head, locked until the transaction ends: every transaction that moves the chain (appending,
/// pruning, resetting) takes this lock first, so the chain moves in one order across transactions and nodes. Events
/// the transaction deferred are chained first, so they come before whatever the caller does to the chain.
async fn lock_audit_head(tx: &mut dyn Tx) -> Result<ChainHead, StoreError> {
    let head = one(tx, &sql::LOCK_AUDIT_HEAD, &[]).await?;
    let deferred = tx.deferred_events().map(std::mem::take).unwrap_or_default();
    if deferred.is_empty() {
        return Ok(head);
    }
    let mut batch = EventBatch::default();
    for line in &deferred {
        batch.push_journal_line(line).map_err(unrecordable)?;
    }
    chain_after(tx, &batch, &head).await
}

/// Chains the events this transaction deferred, if any.
pub(crate) async fn chain_deferred_events(tx: &mut dyn Tx) -> Result<(), StoreError> {
    if tx.deferred_events().is_some_and(|deferred| !deferred.is_empty()) {
        lock_audit_head(tx).await?;
    }
    Ok(())
}

/// Appends events to the chain in order, as segments after the head (one head read and one head write per batch),
/// and adds their usage evidence.
async fn insert_events(tx: &mut dyn Tx, batch: &EventBatch) -> Result<(), StoreError> {
    if batch.events.is_empty() {
        let mut writes = Vec::new();
        usage_writes(&batch.usage, &mut writes)?;
        return tx.execute_all(&writes).await.map(drop);
    }
    let head = lock_audit_head(tx).await?;
    chain_after(tx, batch, &head).await.map(drop)
}

/// Appends a batch's events after the locked `head`, adds their usage evidence and returns the new head. Every
/// write goes in one [`Tx::execute_all`]: one round trip on PostgreSQL while the head is held.
async fn chain_after(tx: &mut dyn Tx, batch: &EventBatch, head: &ChainHead) -> Result<ChainHead, StoreError> {
    let (segments, head) = segment::chain(batch, head);
    {
        let mut writes = Vec::new();
        for segment in &segments {
            segment_writes(segment, &mut writes);
        }
        writes.push((&sql::SET_AUDIT_HEAD, Vec::from(params![head.seq, &head.hash])));
        usage_writes(&batch.usage, &mut writes)?;
        tx.execute_all(&writes).await?;
    }
    Ok(head)
}

/// The writes that store one segment and the keys it names.
fn segment_writes<'s>(s: &'s Segment, writes: &mut Vec<Statement<'s>>) {
    let columns =
        params![s.first_seq, s.last_seq, s.earliest_millis, s.latest_millis, &s.previous_hash, &s.records, &s.hashes];
    writes.push((&sql::INSERT_SEGMENT, Vec::from(columns)));
    let keys = s.key_arns.iter().map(|arn| (&sql::INSERT_SEGMENT_KEY, Vec::from(params![arn.as_str(), s.first_seq])));
    writes.extend(keys);
}

/// The writes that add a batch's usage evidence to the sums kept beside the trail, in a fixed order, so that two
/// nodes adding to the same sums cannot deadlock.
fn usage_writes<'u>(usage: &'u UsageBatch, writes: &mut Vec<Statement<'u>>) -> Result<(), StoreError> {
    let mut counts: Vec<_> = usage.counts.iter().collect();
    counts.sort_by(|a, b| a.0.cmp(b.0));
    for (key, count) in counts {
        writes.push((&sql::ADD_USAGE, [key.to_params()?, count.to_params()?].concat()));
    }
    let mut last_uses: Vec<_> = usage.last_uses.values().collect();
    last_uses.sort_by(|a, b| a.key_arn.cmp(&b.key_arn));
    for last_use in last_uses {
        writes.push((&sql::SET_LAST_USE, last_use.to_params()?));
    }
    for refused in &usage.refused {
        writes.push((&sql::ADD_REFUSED_USE, refused.to_params()?));
    }
    Ok(())
}

/// The insertion of a new key with its audit event, `KeyExists` if its ID is taken in its region (a new key's ID is
/// random; only a multi-Region key's replica can meet its own ID in a region already).
fn key_insertion(key: Key, event: AuditEvent) -> Insertion {
    Insertion { sql: &sql::INSERT_KEY, row: Box::new(key), event, taken: StoreError::KeyExists }
}

/// Inserts a new key and its audit event. No node can hold a new single-Region key in its cache, so there is no
/// change to announce.
async fn insert_key(tx: &mut dyn Tx, key: &Key, event: &AuditEvent) -> Result<(), StoreError> {
    key_insertion(key.clone(), event.clone()).run(tx).await?;
    // A replica created again under its set's ID: other nodes drop what they remember of the one destroyed before.
    if key.id.is_multi_region() {
        tx.changed(FeedEvent::Key(key.id));
    }
    Ok(())
}

/// Writes `key` if its stored version is still `key.version`, with its audit event; `Conflict` otherwise. Returns
/// the key as stored.
async fn write_key(tx: &mut dyn Tx, key: &Key, event: Option<&AuditEvent>) -> Result<Key, StoreError> {
    if tx.execute(&sql::UPDATE_KEY, &key.to_params()?).await? != 1 {
        return Err(StoreError::Conflict);
    }
    if let Some(event) = event {
        insert_event(tx, event).await?;
    }
    tx.changed(FeedEvent::Key(key.id));
    Ok(Key { version: key.version + 1, ..key.clone() })
}

/// Inserts an alias unless its name is taken; `AliasExists` if it is.
async fn insert_alias(tx: &mut dyn Tx, alias: &Alias) -> Result<(), StoreError> {
    match tx.execute(&sql::INSERT_ALIAS, &alias.to_params()?).await? {
        1 => Ok(()),
        _ => Err(StoreError::AliasExists),
    }
}

impl KeyStore {
    /// Opens (creating if needed) the SQLite database at `path` and brings its schema up to date.
    pub fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::on(Database::Sqlite(Sqlite::open(path)?)))
    }

    /// Connects to the PostgreSQL database at `url`, which other nodes may share, and brings its schema up to date.
    pub async fn connect_postgres(url: &str) -> Result<Self, StoreError> {
        Ok(Self::on(Database::Postgres(Postgres::connect(url).await?)))
    }

    /// Opens the existing SQLite store at `path` for a tool working beside its server (a backup): nothing is created
    /// or migrated, and a schema of another version is refused.
    pub fn attach_sqlite(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::on(Database::Sqlite(Sqlite::attach(path)?)))
    }

    /// Connects to the existing PostgreSQL store at `url` for a tool working beside its servers: nothing is migrated,
    /// and the tool joins no cluster (no change listener, no lease), so no node ever waits for it.
    pub async fn attach_postgres(url: &str) -> Result<Self, StoreError> {
        Ok(Self::on(Database::Postgres(Postgres::attach(url).await?)))
    }

    fn on(database: Database) -> Self {
        Self { writes: GroupCommit::new(database.clone()), database }
    }

    /// Stores a new key and its audit event.
    pub async fn create_key(&self, key: &Key, event: &AuditEvent) -> Result<(), StoreError> {
        let (key, event) = (key.clone(), event.clone());
        if key.id.is_multi_region() {
            return run!(self, Write, |tx| { insert_key(tx, &key, &event).await });
        }
        self.writes.insert(key_insertion(key, event)).await
    }

    /// Stores a multi-Region key's new replica with its `CreateKey` event and the `ReplicateKey` event of its primary
    /// (AWS records one in each region), all or nothing, and writes `primary` as [`KeyStore::update_key`] does, so that
    /// a change of the primary decided without this replica (scheduling its deletion) loses the race. `KeyExists` if
    /// the replica's region holds the key already; `Conflict` if the primary changed first. Returns the primary as
    /// stored.
    pub async fn create_replica(
        &self,
        primary: &Key,
        replica: &Key,
        created: &AuditEvent,
        replicated: &AuditEvent,
    ) -> Result<Key, StoreError> {
        let (primary, replica, created, replicated) =
            (primary.clone(), replica.clone(), created.clone(), replicated.clone());
        run!(self, Write, |tx| {
            insert_key(tx, &replica, &created).await?;
            write_key(tx, &primary, Some(&replicated)).await
        })
    }

    /// Stores a new key, an alias pointing at it and the key's audit event, all or nothing; `AliasExists` (and
    /// nothing stored) if the alias name is taken. Used for service-managed keys created on first use.
    pub async fn create_key_with_alias(&self, key: &Key, alias: &Alias, event: &AuditEvent) -> Result<(), StoreError> {
        let (key, alias, event) = (key.clone(), alias.clone(), event.clone());
        run!(self, Write, |tx| {
            insert_alias(tx, &alias).await?;
            insert_key(tx, &key, &event).await
        })
    }

    /// Reads one key.
    pub async fn get_key(&self, account: &AccountId, region: &Region, id: KeyId) -> Result<Option<Key>, StoreError> {
        let (account, region) = (account.clone(), region.clone());
        run!(self, Autocommit, |tx| { first(tx, &sql::GET_KEY, &params![&account, &region, &id]).await })
    }

    /// Lists keys in key-ID order, starting after `after`, at most `limit`.
    pub async fn list_keys(
        &self,
        account: &AccountId,
        region: &Region,
        after: Option<KeyId>,
        limit: usize,
    ) -> Result<Vec<Key>, StoreError> {
        let (account, region) = (account.clone(), region.clone());
        let after = after.map(|id| id.to_string()).unwrap_or_default();
        run!(self, Autocommit, |tx| {
            rows(tx, &sql::LIST_KEYS, &params![&account, &region, after, limit as i64]).await
        })
    }

    /// Writes `key` if the stored version still equals `key.version`, storing `key.version + 1`, with its audit
    /// event if any. Returns the key as stored; `Conflict` if someone else changed or deleted it first.
    pub async fn update_key(&self, key: &Key, event: Option<&AuditEvent>) -> Result<Key, StoreError> {
        let (key, event) = (key.clone(), event.cloned());
        run!(self, Write, |tx| { write_key(tx, &key, event.as_ref()).await })
    }

    /// Writes every key in `changes` with its audit event, each conditional on its version as [`KeyStore::update_key`],
    /// in one transaction: all are written or none (`Conflict` if any was changed or deleted first).
    pub async fn update_keys(&self, changes: &[(Key, Option<AuditEvent>)]) -> Result<Vec<Key>, StoreError> {
        let changes = changes.to_vec();
        run!(self, Write, |tx| {
            let mut stored = Vec::with_capacity(changes.len());
            for (key, event) in &changes {
                stored.push(write_key(tx, key, event.as_ref()).await?);
            }
            Ok(stored)
        })
    }

    /// Claims and destroys up to `limit` keys pending deletion whose deletion date is at or before `now`: each key's
    /// row (material, tags, policy, metadata) and aliases are removed and `event_for(key)` recorded, in one
    /// transaction. Keys another node is destroying at the same moment are skipped, so each is destroyed exactly
    /// once.
    pub async fn destroy_due(
        &self,
        now: Timestamp,
        limit: usize,
        event_for: Arc<EventFor>,
    ) -> Result<Vec<Key>, StoreError> {
        run!(self, Write, |tx| {
            let due: Vec<Key> = rows(tx, &sql::CLAIM_DUE_KEYS, &params![&now, limit as i64]).await?;
            for key in &due {
                let names = params![&key.account, &key.region, &key.id];
                tx.execute(&sql::DELETE_KEY, &names).await?;
                tx.execute(&sql::DELETE_KEY_ALIASES, &names).await?;
                tx.execute(&sql::DELETE_KEY_GRANTS, &names).await?;
                insert_event(tx, &event_for(key)).await?;
                tx.changed(FeedEvent::Key(key.id));
            }
            Ok(due)
        })
    }

    /// Up to `limit` enabled keys whose automatic rotation is due at `now`, earliest first, of every account and
    /// region. Reading them claims nothing: the rotation is a conditional write of each key, so when several nodes
    /// find the same key due, one rotates it and the others find it no longer due.
    pub async fn keys_due_for_rotation(&self, now: Timestamp, limit: usize) -> Result<Vec<Key>, StoreError> {
        run!(self, Autocommit, |tx| { rows(tx, &sql::KEYS_DUE_FOR_ROTATION, &params![&now, limit as i64]).await })
    }

    /// When the next automatic rotation of an enabled key is due, if any is on.
    pub async fn next_rotation_date(&self) -> Result<Option<Timestamp>, StoreError> {
        run!(self, Autocommit, |tx| { one(tx, &sql::NEXT_ROTATION_DATE, &[]).await })
    }

    /// The keys of `account` with the ID `key_id` in every region: a multi-Region key's whole set.
    pub async fn keys_in_every_region(&self, account: &AccountId, key_id: KeyId) -> Result<Vec<Key>, StoreError> {
        let account = account.clone();
        run!(self, Autocommit, |tx| { rows(tx, &sql::KEYS_IN_EVERY_REGION, &params![&account, &key_id]).await })
    }

    /// Up to `limit` multi-Region primary keys pending replica deletion that have no replica left (of every account).
    /// Reading them claims nothing: starting a primary's waiting period is a conditional write of the key.
    pub async fn primaries_without_replicas(&self, limit: usize) -> Result<Vec<Key>, StoreError> {
        run!(self, Autocommit, |tx| { rows(tx, &sql::PRIMARIES_WITHOUT_REPLICAS, &params![limit as i64]).await })
    }

    /// Up to `limit` keys whose imported material expires by `now`, earliest first, of every account and region.
    /// Like rotation, deleting the material is a conditional write of each key.
    pub async fn keys_with_expired_material(&self, now: Timestamp, limit: usize) -> Result<Vec<Key>, StoreError> {
        run!(self, Autocommit, |tx| { rows(tx, &sql::KEYS_WITH_EXPIRED_MATERIAL, &params![&now, limit as i64]).await })
    }

    /// When the next imported material a key holds expires, if any does.
    pub async fn next_material_expiry(&self) -> Result<Option<Timestamp>, StoreError> {
        run!(self, Autocommit, |tx| { one(tx, &sql::NEXT_MATERIAL_EXPIRY, &[]).await })
    }

    /// The earliest deletion date of any key pending deletion (and not protected).
    pub async fn next_deletion_date(&self) -> Result<Option<Timestamp>, StoreError> {
        run!(self, Autocommit, |tx| { one(tx, &sql::NEXT_DELETION_DATE, &[]).await })
    }

    /// Creates an alias; `AliasExists` if the name is taken in that account and region.
    pub async fn create_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        let alias = alias.clone();
        run!(self, Autocommit, |tx| { insert_alias(tx, &alias).await })
    }

    /// Reads one alias.
    pub async fn get_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<Option<Alias>, StoreError> {
        let (account, region, name) = (account.clone(), region.clone(), name.clone());
        run!(self, Autocommit, |tx| { first(tx, &sql::GET_ALIAS, &params![&account, &region, &name]).await })
    }

    /// Points an existing alias at another key; `Conflict` if the alias is gone.
    pub async fn update_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        let alias = alias.clone();
        run!(self, Autocommit, |tx| {
            let a = &alias;
            match tx
                .execute(&sql::UPDATE_ALIAS, &params![&a.account, &a.region, &a.name, &a.key_id, &a.updated_at])
                .await?
            {
                1 => Ok(()),
                _ => Err(StoreError::Conflict),
            }
        })
    }

    /// Deletes an alias; false if there was none.
    pub async fn delete_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<bool, StoreError> {
        let (account, region, name) = (account.clone(), region.clone(), name.clone());
        run!(self, Autocommit, |tx| {
            Ok(tx.execute(&sql::DELETE_ALIAS, &params![&account, &region, &name]).await? == 1)
        })
    }

    /// Lists aliases in name order (optionally only those of one key), after `after`, at most `limit`, leaving out
    /// those of keys due for deletion at `now`.
    pub async fn list_aliases(
        &self,
        account: &AccountId,
        region: &Region,
        key: Option<KeyId>,
        after: Option<&AliasName>,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<Alias>, StoreError> {
        let (account, region) = (account.clone(), region.clone());
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        run!(self, Autocommit, |tx| {
            rows(tx, &sql::LIST_ALIASES, &params![&account, &region, &key, after, limit as i64, now.0]).await
        })
    }

    /// Appends audit events, in order, and adds their usage evidence, in one transaction.
    pub async fn append_events(&self, batch: Arc<EventBatch>) -> Result<(), StoreError> {
        run!(self, Audit, |tx| { insert_events(tx, &batch).await })
    }

    /// Appends audit events, adds their usage evidence and sets the named bookkeeping value (where the audit
    /// journal's import has reached) in the same transaction, so a replay after a crash neither loses nor repeats an
    /// event.
    pub async fn append_events_marked(
        &self,
        batch: Arc<EventBatch>,
        marker: &str,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let (marker, value) = (marker.to_owned(), value.to_vec());
        run!(self, Audit, |tx| {
            insert_events(tx, &batch).await?;
            tx.execute(&sql::SET_META, &params![&marker, &value]).await?;
            Ok(())
        })
    }

    /// The stored chain (anchor, events in sequence order, head), read consistently.
    pub async fn audit_chain(&self) -> Result<AuditChain, StoreError> {
        run!(self, Snapshot, |tx| {
            let segments: Vec<StoredSegment> = rows(tx, &sql::SEGMENTS, &[]).await?;
            let events = segments.iter().flat_map(StoredSegment::chained).collect();
            let head = one(tx, &sql::AUDIT_HEAD, &[]).await?;
            Ok(AuditChain { anchor: one(tx, &sql::AUDIT_ANCHOR, &[]).await?, events, head })
        })
    }

    /// Retention: removes the events recorded before `before` (never the last one), moves the chain's anchor to the
    /// last one removed, and appends `event` (which says what was pruned), in one transaction. Returns how many
    /// events were removed.
    pub async fn prune_events(&self, before: Timestamp, event: &AuditEvent) -> Result<u64, StoreError> {
        let event = event.clone();
        run!(self, Audit, |tx| {
            // The anchor and the chain move in one order.
            lock_audit_head(tx).await?;
            let last: Option<(i64, Vec<u8>)> = first(tx, &sql::LAST_SEGMENT_BEFORE, &params![&before]).await?;
            let Some((seq, hashes)) = last else { return Ok(0) };
            let hash = segment::last_hash(&hashes)
                .ok_or_else(|| StoreError::Corrupt(format!("audit segment ending at {seq} has no hashes")))?;
            let removed: i64 = one(tx, &sql::COUNT_EVENTS_THROUGH, &params![seq]).await?;
            tx.execute(&sql::DELETE_SEGMENT_KEYS_THROUGH, &params![seq]).await?;
            tx.execute(&sql::DELETE_SEGMENTS_THROUGH, &params![seq]).await?;
            tx.execute(&sql::SET_AUDIT_ANCHOR, &params![seq, hash]).await?;
            insert_event(tx, &event).await?;
            Ok(u64::try_from(removed).unwrap_or(0))
        })
    }

    /// The usage evidence kept for one key ARN.
    pub async fn key_usage(&self, key_arn: &str) -> Result<KeyUsage, StoreError> {
        let key_arn = key_arn.to_owned();
        run!(self, Snapshot, |tx| {
            let arn = params![key_arn.as_str()];
            Ok(KeyUsage {
                counts: rows(tx, &sql::USAGE_COUNTS, &arn).await?,
                last_use: first(tx, &sql::LAST_USE, &arn).await?,
                refused: rows(tx, &sql::REFUSED_USES, &arn).await?,
            })
        })
    }

    /// Stores a retirement plan and, in the same transaction, the change to its key and the audit event, if any.
    /// A plan with version 0 is new: it may replace only a finished plan of the same key (`Conflict` otherwise).
    /// Otherwise the write is conditional on the stored version (and the key's on its own). Returns the plan and the
    /// key as stored.
    pub async fn save_retirement_plan(
        &self,
        plan: &RetirementPlan,
        key: Option<&Key>,
        event: Option<&AuditEvent>,
    ) -> Result<(RetirementPlan, Option<Key>), StoreError> {
        let mut stored = self.save_retirement_plans(&[(plan.clone(), key.cloned(), event.cloned())]).await?;
        stored.pop().ok_or_else(|| StoreError::Corrupt("a plan written is missing".into()))
    }

    /// As [`KeyStore::save_retirement_plan`], for several plans in one transaction: all are stored or none is.
    pub async fn save_retirement_plans(
        &self,
        plans: &[(RetirementPlan, Option<Key>, Option<AuditEvent>)],
    ) -> Result<Vec<(RetirementPlan, Option<Key>)>, StoreError> {
        let plans = plans.to_vec();
        run!(self, Write, |tx| {
            let mut stored = Vec::with_capacity(plans.len());
            for (plan, key, event) in &plans {
                let stored_key = match key {
                    Some(key) => Some(write_key(tx, key, None).await?),
                    None => None,
                };
                let write = if plan.version == 0 { &sql::INSERT_PLAN } else { &sql::UPDATE_PLAN };
                let stored_plan = first(tx, write, &plan.to_params()?).await?.ok_or(StoreError::Conflict)?;
                if let Some(event) = event {
                    insert_event(tx, event).await?;
                }
                stored.push((stored_plan, stored_key));
            }
            Ok(stored)
        })
    }

    /// Reads the retirement plan of one key.
    pub async fn get_retirement_plan(
        &self,
        account: &AccountId,
        region: &Region,
        id: KeyId,
    ) -> Result<Option<RetirementPlan>, StoreError> {
        let (account, region) = (account.clone(), region.clone());
        run!(self, Autocommit, |tx| { first(tx, &sql::GET_PLAN, &params![&account, &region, &id]).await })
    }

    /// Every plan the server still has work to do for.
    pub async fn active_retirement_plans(&self) -> Result<Vec<RetirementPlan>, StoreError> {
        run!(self, Autocommit, |tx| { rows(tx, &sql::ACTIVE_PLANS, &[]).await })
    }

    /// Audit events in the order they were recorded, optionally only those about one key ARN.
    pub async fn events(&self, key_arn: Option<&str>) -> Result<Vec<AuditEvent>, StoreError> {
        let key_arn = key_arn.map(str::to_owned);
        run!(self, Autocommit, |tx| {
            let segments: Vec<Vec<u8>> = rows(tx, &sql::SEGMENT_RECORDS, &params![key_arn.as_deref()]).await?;
            let mut events = Vec::new();
            for records in segments {
                events.extend(segment::events_of(&records, key_arn.as_deref()).map_err(StoreError::Corrupt)?);
            }
            Ok(events)
        })
    }

    /// Reads a named value of the store's own bookkeeping (such as the root key check record).
    pub async fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let name = name.to_owned();
        run!(self, Autocommit, |tx| { first(tx, &sql::GET_META, &params![&name]).await })
    }

    /// Writes a named value unless one exists; returns the value now stored.
    pub async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (name, value) = (name.to_owned(), value.to_vec());
        run!(self, Autocommit, |tx| {
            tx.execute(&sql::INSERT_META, &params![&name, &value]).await?;
            one(tx, &sql::GET_META, &params![&name]).await
        })
    }

    /// Stores an account root's access key (the administrator key made on first start); an existing one with the
    /// same ID is kept.
    pub async fn put_credential(&self, credential: &StoredCredential) -> Result<(), StoreError> {
        let credential = credential.clone();
        run!(self, WriteAlone, |tx| {
            tx.execute(&sql::INSERT_CREDENTIAL, &credential.to_params()?).await?;
            tx.changed(FeedEvent::Identities);
            Ok(())
        })
    }

    /// Every access key, user and user policy, in one snapshot.
    pub async fn identities(&self) -> Result<StoredIdentities, StoreError> {
        run!(self, Snapshot, |tx| {
            Ok(StoredIdentities {
                credentials: rows(tx, &sql::CREDENTIALS, &[]).await?,
                users: rows(tx, &sql::USERS, &[]).await?,
                policies: rows(tx, &sql::USER_POLICIES, &[]).await?,
            })
        })
    }

    /// The database this store is on: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.database {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }

    /// Every table's rows, read in one snapshot while the store serves: a backup's contents ([`crate::copy`]).
    pub async fn copy_all(&self) -> Result<StoreCopy, StoreError> {
        run!(self, Copy, |tx| { copy::read_all(tx).await })
    }

    /// Writes `copy` into this store with `event` (its restoration) chained after the copied trail, all or nothing,
    /// excluding every other writer meanwhile; refused (and nothing written) unless the store is empty and of the
    /// copy's schema version.
    pub async fn restore_all(
        &self,
        copy: StoreCopy,
        event: &AuditEvent,
    ) -> Result<Result<(), RestoreRefusal>, StoreError> {
        let event = event.clone();
        run!(self, Migrate, |tx| {
            // The migrations' lock: a server starting on this store meanwhile waits until the restore is over.
            let dialect = tx.dialect();
            tx.batch(sql::PREPARE_MIGRATION.text(dialect)).await?;
            if let Err(refusal) = copy::check_restorable(tx, &copy).await? {
                return Ok(Err(refusal));
            }
            copy::write_all(tx, &copy).await?;
            insert_event(tx, &event).await?;
            Ok(Ok(()))
        })
    }

    /// Creates a user, unless one of the same name in any case exists.
    pub async fn create_user(&self, user: &StoredUser) -> Result<Result<(), IdentityRefusal>, StoreError> {
        let user = user.clone();
        run!(self, WriteAlone, |tx| {
            if tx.execute(&sql::INSERT_USER, &user.to_params()?).await? == 0 {
                return Ok(Err(IdentityRefusal::UserExists));
            }
            tx.changed(FeedEvent::Identities);
            Ok(Ok(()))
        })
    }

    /// Deletes a user with its access keys, its policies and the grants to it on any account's keys (`arn`: the user's
    /// ARN), and takes it off every grant as retiring principal, all at once: a user made again under the same name
    /// inherits none of them.
    pub async fn delete_user(
        &self,
        account: &AccountId,
        name: &str,
        arn: &str,
    ) -> Result<Result<(), IdentityRefusal>, StoreError> {
        let (account, name, arn) = (account.clone(), name.to_owned(), arn.to_owned());
        run!(self, WriteAlone, |tx| {
            let owner = params![&account, &name];
            if first::<StoredUser>(tx, &sql::LOCK_USER, &owner).await?.is_none() {
                return Ok(Err(IdentityRefusal::NoSuchUser));
            }
            tx.execute(&sql::DELETE_USER_CREDENTIALS, &owner).await?;
            tx.execute(&sql::DELETE_USER_POLICIES, &owner).await?;
            tx.execute(&sql::DELETE_GRANTEE_GRANTS, &params![&arn]).await?;
            tx.execute(&sql::FORGET_RETIRING_PRINCIPAL, &params![&arn]).await?;
            tx.execute(&sql::DELETE_USER, &owner).await?;
            tx.changed(FeedEvent::Identities);
            Ok(Ok(()))
        })
    }

    /// Stores a user's new access key, if the user exists and has fewer than `most_per_user`.
    pub async fn add_user_credential(
        &self,
        credential: &StoredCredential,
        most_per_user: i64,
    ) -> Result<Result<(), IdentityRefusal>, StoreError> {
        let credential = credential.clone();
        run!(self, WriteAlone, |tx| {
            let owner = params![&credential.account, &credential.user_name];
            if first::<StoredUser>(tx, &sql::LOCK_USER, &owner).await?.is_none() {
                return Ok(Err(IdentityRefusal::NoSuchUser));
            }
            if one::<i64>(tx, &sql::COUNT_USER_CREDENTIALS, &owner).await? >= most_per_user {
                return Ok(Err(IdentityRefusal::TooManyAccessKeys));
            }
            tx.execute(&sql::INSERT_CREDENTIAL, &credential.to_params()?).await?;
            tx.changed(FeedEvent::Identities);
            Ok(Ok(()))
        })
    }

    /// Deletes a user's access key; false if the user has no such key.
    pub async fn delete_user_credential(
        &self,
        account: &AccountId,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<bool, StoreError> {
        let (account, user_name, access_key_id) = (account.clone(), user_name.to_owned(), access_key_id.to_owned());
        run!(self, WriteAlone, |tx| {
            let deleted =
                tx.execute(&sql::DELETE_USER_CREDENTIAL, &params![&account, &user_name, &access_key_id]).await?;
            if deleted > 0 {
                tx.changed(FeedEvent::Identities);
            }
            Ok(deleted > 0)
        })
    }

    /// Writes (or replaces) a user's policy, if the user exists and its policies together stay within
    /// `most_characters` characters, whitespace aside (IAM's way of counting).
    pub async fn put_user_policy(
        &self,
        policy: &StoredUserPolicy,
        most_characters: usize,
    ) -> Result<Result<(), IdentityRefusal>, StoreError> {
        let policy = policy.clone();
        run!(self, WriteAlone, |tx| {
            let owner = params![&policy.account, &policy.user_name];
            if first::<StoredUser>(tx, &sql::LOCK_USER, &owner).await?.is_none() {
                return Ok(Err(IdentityRefusal::NoSuchUser));
            }
            let counted = |document: &str| document.chars().filter(|c| !c.is_whitespace()).count();
            let others: usize = rows::<StoredUserPolicy>(tx, &sql::POLICIES_OF_USER, &owner)
                .await?
                .iter()
                .filter(|other| other.policy_name != policy.policy_name)
                .map(|other| counted(&other.document))
                .sum();
            if others + counted(&policy.document) > most_characters {
                return Ok(Err(IdentityRefusal::PoliciesTooLarge));
            }
            tx.execute(&sql::PUT_USER_POLICY, &policy.to_params()?).await?;
            tx.changed(FeedEvent::Identities);
            Ok(Ok(()))
        })
    }

    /// Deletes a user's policy; false if the user has no policy of that name.
    pub async fn delete_user_policy(
        &self,
        account: &AccountId,
        user_name: &str,
        policy_name: &str,
    ) -> Result<bool, StoreError> {
        let (account, user_name, policy_name) = (account.clone(), user_name.to_owned(), policy_name.to_owned());
        run!(self, WriteAlone, |tx| {
            let deleted = tx.execute(&sql::DELETE_USER_POLICY, &params![&account, &user_name, &policy_name]).await?;
            if deleted > 0 {
                tx.changed(FeedEvent::Identities);
            }
            Ok(deleted > 0)
        })
    }

    /// Stores a grant, unless its key has `most_per_key` grants already (then `false`).
    pub async fn create_grant(&self, grant: &StoredGrant, most_per_key: i64) -> Result<bool, StoreError> {
        let grant = grant.clone();
        run!(self, WriteAlone, |tx| {
            let key = params![&grant.account, &grant.region, &grant.key_id];
            if one::<i64>(tx, &sql::COUNT_KEY_GRANTS, &key).await? >= most_per_key {
                return Ok(false);
            }
            tx.execute(&sql::INSERT_GRANT, &grant.to_params()?).await?;
            Ok(true)
        })
    }

    /// A key's grants, oldest first.
    pub async fn key_grants(
        &self,
        account: &AccountId,
        region: &Region,
        key_id: KeyId,
    ) -> Result<Vec<StoredGrant>, StoreError> {
        let (account, region) = (account.clone(), region.clone());
        run!(self, Autocommit, |tx| { rows(tx, &sql::KEY_GRANTS, &params![&account, &region, &key_id]).await })
    }

    /// The grants of a key to one grantee principal: read for every request a grant may allow, so a retired or
    /// revoked grant stops working at once on every node.
    pub async fn grantee_grants(
        &self,
        account: &AccountId,
        region: &Region,
        key_id: KeyId,
        grantee: &str,
    ) -> Result<Vec<StoredGrant>, StoreError> {
        let (account, region, grantee) = (account.clone(), region.clone(), grantee.to_owned());
        run!(self, Autocommit, |tx| {
            rows(tx, &sql::GRANTEE_GRANTS, &params![&account, &region, &key_id, &grantee]).await
        })
    }

    /// One grant of a key.
    pub async fn grant(
        &self,
        account: &AccountId,
        region: &Region,
        key_id: KeyId,
        grant_id: &str,
    ) -> Result<Option<StoredGrant>, StoreError> {
        let (account, region, grant_id) = (account.clone(), region.clone(), grant_id.to_owned());
        run!(self, Autocommit, |tx| {
            first(tx, &sql::GET_GRANT, &params![&account, &region, &key_id, &grant_id]).await
        })
    }

    /// Every grant that names `retiring_principal` as its retiring principal, oldest first.
    pub async fn retirable_grants(&self, retiring_principal: &str) -> Result<Vec<StoredGrant>, StoreError> {
        let principal = retiring_principal.to_owned();
        run!(self, Autocommit, |tx| { rows(tx, &sql::RETIRABLE_GRANTS, &params![&principal]).await })
    }

    /// Deletes a grant (retired or revoked); false if there was none.
    pub async fn delete_grant(
        &self,
        account: &AccountId,
        region: &Region,
        key_id: KeyId,
        grant_id: &str,
    ) -> Result<bool, StoreError> {
        let (account, region, grant_id) = (account.clone(), region.clone(), grant_id.to_owned());
        run!(self, Autocommit, |tx| {
            Ok(tx.execute(&sql::DELETE_GRANT, &params![&account, &region, &key_id, &grant_id]).await? > 0)
        })
    }

    /// Wipes every key, alias and audit event in every account and region (dev mode's reset).
    pub async fn reset(&self) -> Result<(), StoreError> {
        // Not in a batch of changes: it wipes the chain the batch's deferred events would extend.
        run!(self, WriteAlone, |tx| {
            // An append in flight either commits before the reset (and its segments are deleted with the rest) or
            // starts after it, from the start of a new chain.
            lock_audit_head(tx).await?;
            tx.batch(sql::RESET).await?;
            let genesis = params![0_i64, trent_audit::chain::GENESIS];
            tx.execute(&sql::SET_AUDIT_HEAD, &genesis).await?;
            tx.execute(&sql::SET_AUDIT_ANCHOR, &genesis).await?;
            tx.changed(FeedEvent::All);
            Ok(())
        })
    }

    /// Leaves the store at shutdown (a shared store stops counting this node among those to wait for).
    pub async fn leave(&self) -> Result<(), StoreError> {
        match &self.database {
            Database::Sqlite(driver) => driver.leave().await,
            Database::Postgres(driver) => driver.leave().await,
        }
    }

    /// How other processes' changes become visible: `None` when this process is the store's only writer (the
    /// embedded store), so a cache of keys it wrote itself is always current; a change feed when several nodes share
    /// the store.
    pub fn change_feed(&self) -> Option<Arc<ChangeFeed>> {
        match &self.database {
            Database::Sqlite(driver) => driver.change_feed(),
            Database::Postgres(driver) => driver.change_feed(),
        }
    }
}
