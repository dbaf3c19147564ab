//! The material worker: gives every enabled key whose automatic rotation is due a new material, with a `RotateKey`
//! service event in the same transaction, and sets its next rotation one period later; and deletes imported material
//! whose `ValidTo` has passed, with a `DeleteExpiredKeyMaterial` service event, as DeleteImportedKeyMaterial would.
//! A multi-Region primary's new material reaches its replicas in the same transaction. Each change is a conditional
//! write of the key (and of those replicas), so when several nodes find the same key due, exactly one changes it; a key that is not `Enabled` is not rotated, and rotates as soon as it is enabled again (its date has passed),
//! as AWS does.

use std::sync::Arc;
use std::time::Duration;

use trent_audit::AuditEvent;
use trent_domain::{key_material_id, Action, Key, RotationType, Timestamp};
use trent_store::StoreError;

use crate::error::ServiceError;
use crate::ops::import_key_material::delete_material;
use crate::worker::{wait_until_due, StatusBook, WorkState, Worker, WorkerStatus};
use crate::{service_event, Service, WRITE_ATTEMPTS};

/// Keys changed per batch (of each kind).
const BATCH: usize = 100;
/// The longest the worker sleeps between looks (a rotation due later wakes it at its date).
const INTERVAL: Duration = Duration::from_secs(60);

/// Rotates `key` if its automatic rotation is due at `now` and it may rotate: the `RotateKey` event, or `None`.
fn rotate_if_due(service: &Service, key: &mut Key, now: Timestamp) -> Result<Option<AuditEvent>, ServiceError> {
    let Some(mut schedule) = key.rotation_schedule.filter(|s| s.next_rotation <= now) else { return Ok(None) };
    if key.check(Action::RotateKeyMaterial).is_err() || !key.rotates() {
        return Ok(None);
    }
    service.add_material(key, RotationType::Automatic, now)?;
    schedule.next_rotation = now.plus_days(schedule.period_days);
    key.rotation_schedule = Some(schedule);
    tracing::info!(event = "RotateKey", key_arn = %key.arn(), material_version = key.current_material_version(), "key material rotated on schedule");
    Ok(Some(service_event("RotateKey", key, now)))
}

/// Deletes each of `key`'s imported materials that has expired at `now`: the `DeleteExpiredKeyMaterial` event (AWS's
/// `serviceEventDetails` name the key and the material; with several, the first), or `None`.
fn expire_if_due(_: &Service, key: &mut Key, now: Timestamp) -> Result<Option<AuditEvent>, ServiceError> {
    let expired: Vec<u32> = key
        .materials()
        .into_iter()
        .filter(|material| {
            material.held && material.imported.as_ref().and_then(|i| i.valid_to).is_some_and(|t| t <= now)
        })
        .filter_map(|material| material.imported.map(|imported| imported.material_version))
        .collect();
    if expired.is_empty() || key.check(Action::DeleteKeyMaterial).is_err() {
        return Ok(None);
    }
    for version in &expired {
        delete_material(key, *version)?;
    }
    tracing::info!(event = "DeleteExpiredKeyMaterial", key_arn = %key.arn(), materials = expired.len(), "imported key material expired and deleted");
    let event = service_event("DeleteExpiredKeyMaterial", key, now);
    Ok(Some(match expired.first() {
        Some(version) => event.with_parameter("keyMaterialId", key_material_id(key.id, *version)),
        None => event,
    }))
}

/// One of the worker's changes of a due key: the event it records, or `None` when the key is no longer due.
type Change = fn(&Service, &mut Key, Timestamp) -> Result<Option<AuditEvent>, ServiceError>;

impl Service {
    /// Wakes the material worker (rotation was turned on, material was imported with an expiry, or the dev clock
    /// moved).
    pub fn wake_material_worker(&self) {
        self.material_wakeup.notify_one();
    }

    /// Applies `change` to `due` as now stored, if it is still due at `now`: true if this call changed it.
    async fn change_if_due(&self, due: &Key, now: Timestamp, change: Change) -> Result<bool, ServiceError> {
        for _ in 0..WRITE_ATTEMPTS {
            let mark = self.cache.mark();
            let Some(mut key) = self.store.get_key(&due.account, &due.region, due.id).await? else { return Ok(false) };
            let before = key.clone();
            let Some(event) = change(self, &mut key, now)? else { return Ok(false) };
            let changes = self.with_followers(&before, key, Some(event)).await?;
            match self.store.update_keys(&changes).await {
                Ok(stored) => {
                    for key in &stored {
                        self.cache.remember(key, &self.root_key, mark)?;
                    }
                    return Ok(true);
                }
                // Another node (or an API call) changed the key first: read it again and see whether it is still due.
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Ok(false)
    }
}

/// The material worker.
pub struct MaterialWorker {
    service: Arc<Service>,
    status: StatusBook,
}

impl MaterialWorker {
    /// A worker for `service`.
    pub fn new(service: Arc<Service>) -> Self {
        Self { service, status: StatusBook::new("material") }
    }

    /// Rotates the keys due now; returns how many it rotated and whether more may be due.
    pub async fn rotate_due_keys(&self) -> Result<(u64, WorkState), ServiceError> {
        let now = self.service.clock.now();
        let due = self.service.store.keys_due_for_rotation(now, BATCH).await?;
        self.change_each(&due, now, rotate_if_due).await
    }

    /// Deletes the imported material that has expired by now; returns how many keys lost theirs and whether more may
    /// be due.
    pub async fn delete_expired_material(&self) -> Result<(u64, WorkState), ServiceError> {
        let now = self.service.clock.now();
        let due = self.service.store.keys_with_expired_material(now, BATCH).await?;
        self.change_each(&due, now, expire_if_due).await
    }

    async fn change_each(&self, due: &[Key], now: Timestamp, change: Change) -> Result<(u64, WorkState), ServiceError> {
        let mut changed = 0;
        for key in due {
            if self.service.change_if_due(key, now, change).await? {
                changed += 1;
            }
        }
        Ok((changed, if due.len() == BATCH { WorkState::Busy } else { WorkState::Idle }))
    }

    /// Both kinds of due work: how many keys changed, and whether more may be due.
    async fn change_due_keys(&self) -> Result<(u64, WorkState), ServiceError> {
        let (rotated, rotations) = self.rotate_due_keys().await?;
        let (expired, expiries) = self.delete_expired_material().await?;
        let state =
            if rotations == WorkState::Busy || expiries == WorkState::Busy { WorkState::Busy } else { WorkState::Idle };
        Ok((rotated + expired, state))
    }
}

impl Worker for MaterialWorker {
    fn name(&self) -> &'static str {
        "material"
    }

    async fn work(&self) -> WorkState {
        let outcome = self.change_due_keys().await;
        self.status.finish_batch(self.service.clock.now(), outcome).await
    }

    async fn wait_for_work(&self) {
        let service = &self.service;
        let rotation = service.store.next_rotation_date().await.ok().flatten();
        let expiry = service.store.next_material_expiry().await.ok().flatten();
        let next = rotation.into_iter().chain(expiry).min();
        wait_until_due(service.clock.now(), next, INTERVAL, &service.material_wakeup).await;
    }

    fn status(&self) -> WorkerStatus {
        self.status.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use trent_domain::RotationType;

    use super::MaterialWorker;
    use crate::test_support::TestService;
    use crate::ServiceError;

    #[tokio::test]
    async fn a_due_key_rotates_once_and_its_next_rotation_is_a_period_later() {
        let t = TestService::new();
        let key = t.create_key().await;
        let id = key.id.to_string();
        let enabled = t.service.enable_key_rotation(&t.ctx, &id, Some(90)).await.unwrap();
        let schedule = enabled.rotation_schedule.unwrap();
        assert_eq!(schedule.next_rotation, key.created_at.plus_days(90));
        let worker = MaterialWorker::new(Arc::clone(&t.service));
        assert_eq!(worker.rotate_due_keys().await.unwrap().0, 0, "not due yet");
        let now = t.advance_days(90);
        assert_eq!(worker.rotate_due_keys().await.unwrap().0, 1);
        assert_eq!(worker.rotate_due_keys().await.unwrap().0, 0, "once");
        let stored = t.stored(&key).await;
        assert_eq!(stored.rotations.iter().map(|r| r.rotation_type).collect::<Vec<_>>(), [RotationType::Automatic]);
        assert_eq!(stored.rotation_schedule.unwrap().next_rotation, now.plus_days(90));
    }

    #[tokio::test]
    async fn a_disabled_key_waits_and_rotates_once_enabled_again() {
        let t = TestService::new();
        let key = t.create_key().await;
        let id = key.id.to_string();
        t.service.enable_key_rotation(&t.ctx, &id, Some(90)).await.unwrap();
        t.service.disable_key(&t.ctx, &id).await.unwrap();
        t.advance_days(100);
        let worker = MaterialWorker::new(Arc::clone(&t.service));
        assert_eq!(worker.rotate_due_keys().await.unwrap().0, 0);
        assert!(t.stored(&key).await.rotations.is_empty());
        t.service.enable_key(&t.ctx, &id).await.unwrap();
        assert_eq!(worker.rotate_due_keys().await.unwrap().0, 1, "overdue: rotated as soon as it is enabled");
    }

    #[tokio::test]
    async fn rotation_is_refused_for_keys_that_do_not_rotate_and_periods_out_of_range() {
        let t = TestService::new();
        let key = t.create_key().await;
        let id = key.id.to_string();
        for days in [89, 2561] {
            let refusal = t.service.enable_key_rotation(&t.ctx, &id, Some(days)).await.unwrap_err();
            assert!(matches!(refusal, ServiceError::Validation(_)), "{refusal:?}");
        }
        assert_eq!(t.stored(&key).await.rotation_schedule, None);
    }
}
