//! Where Trent keeps keys, aliases, audit events and credentials: the [`KeyStore`] trait every backend implements,
//! the SQLite backend, and the conformance suite every backend must pass.
#![warn(missing_docs)]

use async_trait::async_trait;
use trent_audit::chain::AuditChain;
use trent_audit::usage::KeyUsage;
use trent_audit::{AuditEvent, EventBatch};
use trent_domain::{AccountId, AliasName, Key, KeyId, Region, RetirementPlan, Timestamp};

pub mod conformance;
pub mod feed;
pub mod postgres;
mod rows;
pub mod sqlite;

use std::sync::Arc;

pub use feed::{ChangeFeed, Mark};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write found the record changed (or gone) since it was read.
    #[error("the record changed since it was read")]
    Conflict,
    /// An alias with that name exists already.
    #[error("the alias exists already")]
    AliasExists,
    /// The database holds a schema newer than this binary understands.
    #[error("the database schema is version {found}, newer than this binary's {supported}")]
    SchemaTooNew {
        /// The schema version found.
        found: i64,
        /// The newest version this binary knows.
        supported: i64,
    },
    /// A stored value could not be read back (corruption or a bug).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// The database could not be reached, or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

/// Builds the audit event recorded with a key's destruction.
pub type EventFor = dyn for<'k> Fn(&'k Key) -> AuditEvent + Sync;

/// An alias: a name in an account and region pointing at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The owning account.
    pub account: AccountId,
    /// The region.
    pub region: Region,
    /// The alias name, with its `alias/` prefix.
    pub name: AliasName,
    /// The key it points at.
    pub key_id: KeyId,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last pointed at a key.
    pub updated_at: Timestamp,
}

/// A stored access key: its secret is sealed under the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The access key ID.
    pub access_key_id: String,
    /// The account whose administrator it is.
    pub account: AccountId,
    /// The secret, sealed under the root key.
    pub sealed_secret: Vec<u8>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A key store. Every change that has an audit event commits together with it, in one transaction.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new key and its audit event.
    async fn create_key(&self, key: &Key, event: &AuditEvent) -> Result<(), StoreError>;

    /// Stores a new key, an alias pointing at it and the key's audit event, all or nothing; `AliasExists` (and
    /// nothing stored) if the alias name is taken. Used for service-managed keys created on first use.
    async fn create_key_with_alias(&self, key: &Key, alias: &Alias, event: &AuditEvent) -> Result<(), StoreError>;

    /// Reads one key.
    async fn get_key(&self, account: &AccountId, region: &Region, id: KeyId) -> Result<Option<Key>, StoreError>;

    /// Lists keys in key-ID order, starting after `after`, at most `limit`.
    async fn list_keys(
        &self,
        account: &AccountId,
        region: &Region,
        after: Option<KeyId>,
        limit: usize,
    ) -> Result<Vec<Key>, StoreError>;

    /// Writes `key` if the stored version still equals `key.version`, storing `key.version + 1`, with its audit
    /// event if any. Returns the key as stored; `Conflict` if someone else changed or deleted it first.
    async fn update_key(&self, key: &Key, event: Option<&AuditEvent>) -> Result<Key, StoreError>;

    /// Claims and destroys up to `limit` keys pending deletion whose deletion date is at or before `now`: each key's
    /// row (material, tags, policy, metadata) and aliases are removed and `event_for(key)` recorded, in one
    /// transaction. Keys another node is destroying at the same moment are skipped, so each is destroyed exactly once.
    async fn destroy_due(&self, now: Timestamp, limit: usize, event_for: &EventFor) -> Result<Vec<Key>, StoreError>;

    /// The earliest deletion date of any key pending deletion.
    async fn next_deletion_date(&self) -> Result<Option<Timestamp>, StoreError>;

    /// Creates an alias; `AliasExists` if the name is taken in that account and region.
    async fn create_alias(&self, alias: &Alias) -> Result<(), StoreError>;

    /// Reads one alias.
    async fn get_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<Option<Alias>, StoreError>;

    /// Points an existing alias at another key; `Conflict` if the alias is gone.
    async fn update_alias(&self, alias: &Alias) -> Result<(), StoreError>;

    /// Deletes an alias; false if there was none.
    async fn delete_alias(&self, account: &AccountId, region: &Region, name: &AliasName) -> Result<bool, StoreError>;

    /// Lists aliases in name order (optionally only those of one key), after `after`, at most `limit`.
    async fn list_aliases(
        &self,
        account: &AccountId,
        region: &Region,
        key: Option<KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<Alias>, StoreError>;

    /// Appends audit events, in order, and adds their usage evidence, in one transaction.
    async fn append_events(&self, batch: Arc<EventBatch>) -> Result<(), StoreError>;

    /// Appends audit events, adds their usage evidence and sets the named bookkeeping value (where the audit
    /// journal's import has reached) in the same transaction, so a replay after a crash neither loses nor repeats an
    /// event.
    async fn append_events_marked(&self, batch: Arc<EventBatch>, marker: &str, value: &[u8]) -> Result<(), StoreError>;

    /// The stored chain (anchor, events in sequence order, head), read consistently.
    async fn audit_chain(&self) -> Result<AuditChain, StoreError>;

    /// Retention: removes the events recorded before `before` (never the last one), moves the chain's anchor to the
    /// last one removed, and appends `event` (which says what was pruned), in one transaction. Returns how many
    /// events were removed.
    async fn prune_events(&self, before: Timestamp, event: &AuditEvent) -> Result<u64, StoreError>;

    /// The usage evidence kept for one key ARN.
    async fn key_usage(&self, key_arn: &str) -> Result<KeyUsage, StoreError>;

    /// Stores a retirement plan and, in the same transaction, the change to its key and the audit event, if any.
    /// A plan with version 0 is new: it may replace only a finished plan of the same key (`Conflict` otherwise).
    /// Otherwise the write is conditional on the stored version (and the key's on its own). Returns the plan and the
    /// key as stored.
    async fn save_retirement_plan(
        &self,
        plan: &RetirementPlan,
        key: Option<&Key>,
        event: Option<&AuditEvent>,
    ) -> Result<(RetirementPlan, Option<Key>), StoreError>;

    /// Reads the retirement plan of one key.
    async fn get_retirement_plan(
        &self,
        account: &AccountId,
        region: &Region,
        id: KeyId,
    ) -> Result<Option<RetirementPlan>, StoreError>;

    /// Every plan the server still has work to do for.
    async fn active_retirement_plans(&self) -> Result<Vec<RetirementPlan>, StoreError>;

    /// Audit events in the order they were recorded, optionally only those about one key ARN.
    async fn events(&self, key_arn: Option<&str>) -> Result<Vec<AuditEvent>, StoreError>;

    /// Reads a named value of the store's own bookkeeping (such as the root key check record).
    async fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes a named value unless one exists; returns the value now stored.
    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError>;

    /// Stores an access key; an existing one with the same ID is kept.
    async fn put_credential(&self, credential: &StoredCredential) -> Result<(), StoreError>;

    /// Every stored access key.
    async fn credentials(&self) -> Result<Vec<StoredCredential>, StoreError>;

    /// Wipes every key, alias and audit event in every account and region (dev mode's reset).
    async fn reset(&self) -> Result<(), StoreError>;

    /// Leaves the store at shutdown (a shared store stops counting this node among those to wait for).
    async fn leave(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// How other processes' changes become visible: `None` when this process is the store's only writer (the
    /// embedded store), so a cache of keys it wrote itself is always current; a change feed when several nodes share
    /// the store.
    fn change_feed(&self) -> Option<Arc<ChangeFeed>>;
}
