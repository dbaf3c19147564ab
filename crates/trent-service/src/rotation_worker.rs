//! The rotation worker: gives every enabled key whose automatic rotation is due a new material, with a `RotateKey`
//! service event in the same transaction, and sets its next rotation one period later. Each rotation is a conditional
//! write of the key, so when several nodes find the same key due, exactly one rotates it; a key that is not `Enabled`
//! is not rotated, and rotates as soon as it is enabled again (its date has passed), as AWS does.

use std::sync::Arc;
use std::time::Duration;

use trent_audit::{AuditEvent, EventType};
use trent_domain::{Action, Key, RotationType, Timestamp};
use trent_store::StoreError;

use crate::error::ServiceError;
use crate::worker::{wait_until_due, StatusBook, WorkState, Worker, WorkerStatus};
use crate::{Service, WRITE_ATTEMPTS};

/// Keys rotated per batch.
const BATCH: usize = 100;
/// The longest the worker sleeps between looks (a rotation due later wakes it at its date).
const INTERVAL: Duration = Duration::from_secs(60);

/// The `RotateKey` service event of `key`'s automatic rotation at `now`.
fn rotation_event(key: &Key, now: Timestamp) -> AuditEvent {
    let arn = key.arn().to_string();
    AuditEvent::new(
        "RotateKey",
        EventType::AwsServiceEvent,
        now,
        &key.account,
        &key.region,
        AuditEvent::service_identity(),
        Some(arn.clone()),
    )
    .with_parameter("keyId", arn)
}

impl Service {
    /// Wakes the rotation worker (rotation was turned on, or the dev clock moved).
    pub fn wake_rotation_worker(&self) {
        self.rotation_wakeup.notify_one();
    }

    /// Rotates `due` if it is still due at `now` and `Enabled`: true if this call rotated it.
    async fn rotate_if_due(&self, due: &Key, now: Timestamp) -> Result<bool, ServiceError> {
        for _ in 0..WRITE_ATTEMPTS {
            let mark = self.cache.mark();
            let Some(mut key) = self.store.get_key(&due.account, &due.region, due.id).await? else { return Ok(false) };
            let Some(mut schedule) = key.rotation_schedule.filter(|s| s.next_rotation <= now) else { return Ok(false) };
            if key.check(Action::RotateKeyMaterial).is_err() || !key.rotates() {
                return Ok(false);
            }
            self.add_material(&mut key, RotationType::Automatic, now)?;
            schedule.next_rotation = now.plus_days(schedule.period_days);
            key.rotation_schedule = Some(schedule);
            match self.store.update_key(&key, Some(&rotation_event(&key, now))).await {
                Ok(stored) => {
                    self.cache.remember(&stored, &self.root_key, mark)?;
                    tracing::info!(event = "RotateKey", key_arn = %stored.arn(), material_version = stored.current_material_version(), "key material rotated on schedule");
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

/// The rotation worker.
pub struct RotationWorker {
    service: Arc<Service>,
    status: StatusBook,
}

impl RotationWorker {
    /// A worker for `service`.
    pub fn new(service: Arc<Service>) -> Self {
        Self { service, status: StatusBook::new("rotation") }
    }

    /// Rotates the keys due now; returns how many it rotated and whether more may be due.
    pub async fn rotate_due_keys(&self) -> Result<(u64, WorkState), ServiceError> {
        let now = self.service.clock.now();
        let due = self.service.store.keys_due_for_rotation(now, BATCH).await?;
        let mut rotated = 0;
        for key in &due {
            if self.service.rotate_if_due(key, now).await? {
                rotated += 1;
            }
        }
        Ok((rotated, if due.len() == BATCH { WorkState::Busy } else { WorkState::Idle }))
    }
}

impl Worker for RotationWorker {
    fn name(&self) -> &'static str {
        "rotation"
    }

    async fn work(&self) -> WorkState {
        let outcome = self.rotate_due_keys().await;
        self.status.finish_batch(self.service.clock.now(), outcome).await
    }

    async fn wait_for_work(&self) {
        let service = &self.service;
        let next = service.store.next_rotation_date().await.ok().flatten();
        wait_until_due(service.clock.now(), next, INTERVAL, &service.rotation_wakeup).await;
    }

    fn status(&self) -> WorkerStatus {
        self.status.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use trent_domain::RotationType;

    use super::RotationWorker;
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
        let worker = RotationWorker::new(Arc::clone(&t.service));
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
        let worker = RotationWorker::new(Arc::clone(&t.service));
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
