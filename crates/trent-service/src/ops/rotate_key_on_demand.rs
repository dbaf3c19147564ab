//! RotateKeyOnDemand: a new material for a symmetric encryption key, current from now on; every earlier material
//! stays, so what it encrypted still decrypts. Refused as AWS refuses it: by the key's state first (a disabled key
//! `DisabledException`, a pending one `KMSInvalidStateException`), then for keys that do not rotate
//! (`UnsupportedOperationException`), then past AWS's lifetime quota of on-demand rotations (`LimitExceededException`),
//! and while an automatic rotation is due within 20 minutes (`ConflictException`, the model's documentation of it).

use trent_domain::Timestamp;
use trent_domain::{Action, Key, Origin, Rotation, RotationType, MAX_ON_DEMAND_ROTATIONS};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::ops::enable_key_rotation::does_not_rotate;
use crate::Service;

/// Refuses a key past AWS's lifetime quota of on-demand rotations (`LimitExceededException`).
pub(crate) fn check_on_demand_quota(key: &Key) -> Result<(), ServiceError> {
    let on_demand = key.rotations.iter().filter(|r| r.rotation_type == RotationType::OnDemand).count();
    if on_demand >= MAX_ON_DEMAND_ROTATIONS {
        return Err(ServiceError::LimitExceeded(format!(
            "{} has reached the maximum of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.",
            key.arn()
        )));
    }
    Ok(())
}

/// How close to an automatic rotation an on-demand one is refused (AWS: "within the next 20 minutes").
const AUTOMATIC_ROTATION_GUARD_MILLIS: i64 = 20 * 60 * 1000;

/// Makes a key's imported material pending rotation current: imported material rotates only to material imported for
/// the purpose (`ImportType: NEW_KEY_MATERIAL`); without any, AWS's answer (recorded 2025) is
/// `KMSInvalidStateException` "No available key material pending rotation for the key: <key ARN>.".
fn rotate_to_pending(key: &mut Key, now: Timestamp) -> Result<(), ServiceError> {
    // Pending material past its ValidTo is gone, whether or not the material worker has deleted it yet.
    let expired = key.import.pending.as_ref().and_then(|p| p.material.valid_to).is_some_and(|valid_to| valid_to <= now);
    let Some(pending) = key.import.pending.take().filter(|_| !expired) else {
        return Err(ServiceError::InvalidState(format!(
            "No available key material pending rotation for the key: {}.",
            key.arn()
        )));
    };
    key.rotations.push(Rotation {
        material_version: pending.material.material_version,
        rotated_at: now,
        rotation_type: RotationType::OnDemand,
        wrapped_material: pending.wrapped_material,
    });
    key.import.materials.push(pending.material);
    Ok(())
}

impl Service {
    /// Gives `key` a new material, current from now on (the one rotation step, on demand or automatic).
    pub(crate) fn add_material(
        &self,
        key: &mut Key,
        rotation_type: RotationType,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let (_material, wrapped_material) = self.root_key.generate_key_material(key.id, key.spec, key.usage)?;
        let material_version = key.current_material_version().saturating_add(1);
        key.rotations.push(Rotation { material_version, rotated_at: now, rotation_type, wrapped_material });
        Ok(())
    }

    /// RotateKeyOnDemand. Returns the key as now stored, its new material current.
    pub async fn rotate_key_on_demand(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        let key = self
            .modify_key(ctx, key_id, |key| {
                authorize(ctx, "kms:RotateKeyOnDemand", key)?;
                apply_state(key, Action::RotateKeyMaterial)?;
                if !key.rotates() {
                    return Err(does_not_rotate(key));
                }
                crate::ops::replicate_key::refuse_rotating_a_replica(key)?;
                check_on_demand_quota(key)?;
                let now = self.clock.now();
                if key
                    .rotation_schedule
                    .is_some_and(|s| s.next_rotation <= now.plus_millis(AUTOMATIC_ROTATION_GUARD_MILLIS))
                {
                    return Err(ServiceError::Conflict(format!(
                        "An automatic rotation of {} is in progress or scheduled to begin within the next 20 minutes.",
                        key.arn()
                    )));
                }
                if key.origin == Origin::External {
                    rotate_to_pending(key, self.clock.now())?;
                } else {
                    self.add_material(key, RotationType::OnDemand, self.clock.now())?;
                }
                Ok(Some(self.api_event(ctx, "RotateKeyOnDemand", key)))
            })
            .await?;
        tracing::info!(event = "RotateKeyOnDemand", key_arn = %key.arn(), material_version = key.current_material_version(), "key material rotated");
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use trent_crypto::EncryptionContext;
    use trent_domain::{KeyState, StateError, MAX_ON_DEMAND_ROTATIONS};

    use crate::test_support::TestService;
    use crate::ServiceError;

    #[tokio::test]
    async fn every_earlier_material_still_decrypts_and_new_ciphertexts_use_the_newest() {
        let t = TestService::new();
        let key = t.create_key().await;
        let id = key.id.to_string();
        let context = EncryptionContext::new();
        let before = t.service.encrypt(&t.ctx, &id, b"old", &context, None, false).await.unwrap();
        let rotated = t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap();
        assert_eq!(rotated.current_material_version(), 1);
        let after = t.service.encrypt(&t.ctx, &id, b"new", &context, None, false).await.unwrap();
        assert_eq!(trent_crypto::read_header(&before.ciphertext).unwrap().material_version, 0);
        assert_eq!(trent_crypto::read_header(&after.ciphertext).unwrap().material_version, 1);
        for (blob, plaintext) in [(&before.ciphertext, &b"old"[..]), (&after.ciphertext, &b"new"[..])] {
            let opened = t.service.decrypt(&t.ctx, blob, &context, None, None, false).await.unwrap();
            assert_eq!(opened.plaintext.as_slice(), plaintext);
        }
    }

    #[tokio::test]
    async fn an_on_demand_rotation_within_twenty_minutes_of_an_automatic_one_is_a_conflict() {
        let t = TestService::new();
        let key = t.create_key().await;
        let id = key.id.to_string();
        t.service.enable_key_rotation(&t.ctx, &id, Some(90)).await.unwrap();
        t.clock.advance(90 * trent_domain::Timestamp::DAY_MILLIS - 21 * 60 * 1000);
        t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap();
        t.clock.advance(2 * 60 * 1000);
        let refusal = t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::Conflict(_)), "{refusal:?}");
        assert_eq!(t.stored(&key).await.rotations.len(), 1, "the refused rotation made no material");
    }

    #[tokio::test]
    async fn a_disabled_key_does_not_rotate_and_the_quota_holds() {
        let t = TestService::new();
        let key = t.create_key().await;
        let id = key.id.to_string();
        t.service.disable_key(&t.ctx, &id).await.unwrap();
        let refusal = t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::KeyState { error: StateError::Disabled, .. }), "{refusal:?}");
        assert!(t.stored(&key).await.rotations.is_empty());
        t.service.enable_key(&t.ctx, &id).await.unwrap();
        for _ in 0..MAX_ON_DEMAND_ROTATIONS {
            t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap();
        }
        let refusal = t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::LimitExceeded(_)), "{refusal:?}");
        let stored = t.stored(&key).await;
        assert_eq!((stored.rotations.len(), stored.state), (MAX_ON_DEMAND_ROTATIONS, KeyState::Enabled));
    }
}
