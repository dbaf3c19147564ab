//! Trent's KMS operations over the key store: one file per AWS operation in `ops/`, the `authorize()` seam,
//! key resolution (IDs, ARNs, aliases), the in-memory key cache and the background workers (deletion, retirement,
//! audit retention, rotation).
#![warn(missing_docs)]

pub mod alarm;
pub mod audit_writer;
pub mod authorize;
pub mod backup;
pub mod cache;
pub mod context;
pub mod deletion_worker;
pub mod error;
pub mod identities;
mod managed;
pub mod material_worker;
pub mod ops;
pub mod resolve;
pub mod retention_worker;
pub mod retirement_worker;
#[cfg(test)]
mod test_support;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;
use trent_audit::{AuditEvent, EventType};
use trent_crypto::RootKey;
use trent_domain::{Action, Clock, Key, MultiRegionKeyType, Timestamp};
use trent_store::{KeyStore, StoreError};

pub use context::{Principal, RequestContext};
pub use error::ServiceError;

/// An event of Trent's own workers about `key` at `now`, recorded as AWS records its service events.
pub(crate) fn service_event(name: &str, key: &Key, now: Timestamp) -> AuditEvent {
    let arn = key.arn().to_string();
    AuditEvent::new(
        name,
        EventType::AwsServiceEvent,
        now,
        &key.account,
        &key.region,
        AuditEvent::service_identity(),
        Some(arn.clone()),
    )
    .with_parameter("keyId", arn)
}

/// How many times a conditional write is retried after losing a race before giving up.
const WRITE_ATTEMPTS: usize = 8;

/// Server-wide choices that change what operations do.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// New keys start with deletion protection on.
    pub deletion_protection_by_default: bool,
    /// Audit events older than this many days are removed; `None` keeps them all.
    pub audit_retention_days: Option<i64>,
    /// The regions this deployment serves (`--regions`); `None` serves any. A multi-Region key is replicated only
    /// into one of them.
    pub regions: Option<Vec<trent_domain::Region>>,
    /// The account whose root user operates the whole deployment: the only caller of `Trent.BackupStore`, whose
    /// backup holds every account's keys. `None`: nobody backs up through the API.
    pub operator_account: Option<trent_domain::AccountId>,
}

/// The KMS service: every operation is a method, defined in its own file under `ops/`.
pub struct Service {
    settings: Settings,
    audit: Option<audit_writer::AuditWriter>,
    alarms: alarm::Alarms,
    store: Arc<KeyStore>,
    root_key: Arc<RootKey>,
    clock: Arc<dyn Clock>,
    cache: cache::KeyCache,
    identities: identities::Identities,
    deletion_wakeup: Arc<Notify>,
    retirement_wakeup: Arc<Notify>,
    material_wakeup: Arc<Notify>,
    retention_wakeup: Arc<Notify>,
}

impl Service {
    /// A service over `store`, sealing key material with `root_key` and reading time from `clock`.
    pub fn new(store: Arc<KeyStore>, root_key: Arc<RootKey>, clock: Arc<dyn Clock>) -> Self {
        let cache = cache::KeyCache::new(store.change_feed());
        let identities = identities::Identities::new(Arc::clone(&store), Arc::clone(&root_key), Vec::new());
        Self {
            identities,
            settings: Settings::default(),
            audit: None,
            alarms: alarm::Alarms::default(),
            store,
            root_key,
            clock,
            cache,
            deletion_wakeup: Arc::new(Notify::new()),
            retirement_wakeup: Arc::new(Notify::new()),
            material_wakeup: Arc::new(Notify::new()),
            retention_wakeup: Arc::new(Notify::new()),
        }
    }

    /// The same service recording every call's event through `writer`.
    pub fn with_audit_writer(mut self, writer: audit_writer::AuditWriter) -> Self {
        self.audit = Some(writer);
        self
    }

    /// The same service accepting, besides the stored access keys, these given ones.
    pub fn with_fixed_credentials(mut self, fixed: Vec<identities::FixedCredential>) -> Self {
        self.identities = self.identities.with_fixed(fixed);
        self
    }

    /// The access keys the service accepts, and who signs with each.
    pub fn identities(&self) -> &identities::Identities {
        &self.identities
    }

    /// The writer of call events, when every call is audited.
    pub fn audit_writer(&self) -> Option<&audit_writer::AuditWriter> {
        self.audit.as_ref()
    }

    /// Waits until every call event recorded so far is in the store, so that queries of the trail see them.
    pub async fn flush_audit(&self) {
        if let Some(writer) = &self.audit {
            writer.flush().await;
        }
    }

    /// The attempted-use counters, for `/metrics`.
    pub fn alarms(&self) -> &alarm::Alarms {
        &self.alarms
    }

    /// The same service with these settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The clock every lifecycle time comes from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The store beneath the service.
    pub fn store(&self) -> &Arc<KeyStore> {
        &self.store
    }

    /// Wakes the deletion worker, e.g. after the dev clock moved or a deletion was scheduled.
    pub fn wake_deletion_worker(&self) {
        self.deletion_wakeup.notify_one();
    }

    /// Wakes every worker that acts on the lifecycle clock: the dev clock moved.
    pub fn clock_moved(&self) {
        self.deletion_wakeup.notify_one();
        self.retirement_wakeup.notify_one();
        self.retention_wakeup.notify_one();
        self.material_wakeup.notify_one();
    }

    /// Wipes every key, alias and audit event (dev mode's reset) and empties the cache.
    pub async fn reset(&self) -> Result<(), ServiceError> {
        // The reset takes every user and user access key with it.
        let _change = self.identities.change();
        // On PostgreSQL the reset (which locks the audit chain's head, then deletes keys) may be chosen as the victim
        // of a deadlock with a deletion in flight (which holds its keys, then chains its event): it was rolled back
        // whole, and is tried again, as any lost race is.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.store.reset().await {
                Err(StoreError::Conflict) if attempts < WRITE_ATTEMPTS => continue,
                outcome => outcome?,
            }
            break;
        }
        self.cache.clear();
        Ok(())
    }

    /// An audit event for an API call by `ctx`'s principal about `key`.
    fn api_event(&self, ctx: &RequestContext, name: &str, key: &Key) -> AuditEvent {
        let mut event = AuditEvent::new(
            name,
            EventType::AwsApiCall,
            self.clock.now(),
            &key.account,
            &key.region,
            ctx.principal.identity(),
            Some(key.arn().to_string()),
        )
        .with_request(&ctx.request_id, ctx.source_ip.clone())
        .with_parameter("keyId", key.id.to_string());
        ctx.event_source().clone_into(&mut event.event_source);
        event
    }

    /// The writes of `changed` (read as `before`) with `event`, followed by those that must go with it (see
    /// [`Service::replicas_following`]).
    async fn with_followers(
        &self,
        before: &Key,
        changed: Key,
        event: Option<AuditEvent>,
    ) -> Result<Vec<(Key, Option<AuditEvent>)>, ServiceError> {
        let followers = self.replicas_following(before, &changed).await?;
        let mut writes = Vec::with_capacity(1 + followers.len());
        writes.push((changed, event));
        writes.extend(followers);
        Ok(writes)
    }

    /// The writes that must go with writing `changed` (read as `before`): a multi-Region primary's materials are the
    /// whole set's, so when they changed every replica, read now, gets them in the same transaction, with AWS's
    /// `SynchronizeMultiRegionKey` service event in its region ("AWS KMS does not encrypt any data with the new key
    /// material until that key material is available in the primary key and every one of its replica keys").
    async fn replicas_following(
        &self,
        before: &Key,
        changed: &Key,
    ) -> Result<Vec<(Key, Option<AuditEvent>)>, ServiceError> {
        if !changed.shares_materials_with_replicas() || before.rotations == changed.rotations {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let set = self.store.keys_in_every_region(&changed.account, changed.id).await?;
        Ok(set
            .into_iter()
            .filter(|member| member.multi_region == Some(MultiRegionKeyType::Replica))
            .map(|mut replica| {
                replica.share_materials_of(changed);
                let event = service_event("SynchronizeMultiRegionKey", &replica, now);
                (replica, Some(event))
            })
            .collect())
    }

    /// Records an event outside any key change: through the audit journal when calls are audited, else straight into
    /// the store. Used for what is always evidence, whatever `--audit-calls` says (a public key leaving the service).
    async fn record(&self, event: AuditEvent) -> Result<(), ServiceError> {
        match &self.audit {
            Some(writer) => writer.record(event).await,
            None => {
                let batch = trent_audit::EventBatch::of(std::slice::from_ref(&event))
                    .map_err(|e| ServiceError::Internal(format!("audit record: {e}")))?;
                Ok(self.store.append_events(Arc::new(batch)).await?)
            }
        }
    }

    /// Reads the key fresh from the store, applies `change` to it and writes it conditionally, retrying when another
    /// writer got there first. `change` runs the transition table and any other rule, and returns the audit event.
    async fn modify_key<F>(&self, ctx: &RequestContext, key_id: &str, change: F) -> Result<Key, ServiceError>
    where
        F: Fn(&mut Key) -> Result<Option<AuditEvent>, ServiceError>,
    {
        let mut stored = self.modify_keys(ctx, std::slice::from_ref(&key_id.to_owned()), change).await?;
        stored.pop().ok_or_else(|| ServiceError::Internal("a change of one key wrote none".to_owned()))
    }

    /// As [`Service::modify_key`], for every key `key_ids` name at once: `change` runs on each, and either every key
    /// is written (one transaction) or none is: a refusal of any key, or a lost race, changes nothing.
    async fn modify_keys<F>(
        &self,
        ctx: &RequestContext,
        key_ids: &[String],
        change: F,
    ) -> Result<Vec<Key>, ServiceError>
    where
        F: Fn(&mut Key) -> Result<Option<AuditEvent>, ServiceError>,
    {
        self.modify_keys_knowing(ctx, key_ids, |_| std::future::ready(Ok(())), |key, ()| change(key)).await
    }

    /// As [`Service::modify_key`], where `change` also needs facts stored outside the key (its multi-Region set):
    /// `read` reads them after the key in each attempt, so a retry never decides on facts older than the key it
    /// changes. (A write that changes those facts must also write the key, so that the race is lost by one side.)
    async fn modify_key_knowing<T, R, Fut, F>(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        read: R,
        change: F,
    ) -> Result<Key, ServiceError>
    where
        R: Fn(Key) -> Fut,
        Fut: std::future::Future<Output = Result<T, ServiceError>>,
        F: Fn(&mut Key, T) -> Result<Option<AuditEvent>, ServiceError>,
    {
        let mut stored = self.modify_keys_knowing(ctx, std::slice::from_ref(&key_id.to_owned()), read, change).await?;
        stored.pop().ok_or_else(|| ServiceError::Internal("a change of one key wrote none".to_owned()))
    }

    /// The loop of every conditional change: read each key fresh, then what `read` says of it, apply `change`, and
    /// write all in one transaction, again from the start after a lost race.
    async fn modify_keys_knowing<T, R, Fut, F>(
        &self,
        ctx: &RequestContext,
        key_ids: &[String],
        read: R,
        change: F,
    ) -> Result<Vec<Key>, ServiceError>
    where
        R: Fn(Key) -> Fut,
        Fut: std::future::Future<Output = Result<T, ServiceError>>,
        F: Fn(&mut Key, T) -> Result<Option<AuditEvent>, ServiceError>,
    {
        for _ in 0..WRITE_ATTEMPTS {
            let mark = self.cache.mark();
            let mut changes: Vec<(Key, Option<AuditEvent>)> = Vec::with_capacity(key_ids.len());
            for key_id in key_ids {
                let mut key = self.load_for_write(ctx, key_id).await?;
                // A key named twice (by ID and by alias, say) changes once.
                if changes.iter().any(|(changed, _)| changed.id == key.id) {
                    continue;
                }
                let before = key.clone();
                let facts = read(before.clone()).await?;
                let event = change(&mut key, facts)?;
                changes.extend(self.with_followers(&before, key, event).await?);
            }
            match self.store.update_keys(&changes).await {
                Ok(stored) => {
                    for key in &stored {
                        self.cache.remember(key, &self.root_key, mark)?;
                    }
                    return Ok(stored);
                }
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Internal("too many concurrent changes to one key".to_owned()))
    }

    /// A change that is nothing but a step of the state table (EnableKey, DisableKey), audited under `event_name`.
    async fn transition_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        action: Action,
        permission: &str,
        event_name: &str,
    ) -> Result<Key, ServiceError> {
        self.modify_key(ctx, key_id, |key| {
            authorize::authorize(ctx, permission, key)?;
            error::apply_state(key, action)?;
            Ok(Some(self.api_event(ctx, event_name, key)))
        })
        .await
    }
}
