//! EnableKeyRotation and DisableKeyRotation: automatic rotation of a symmetric encryption key's material every
//! `RotationPeriodInDays` (90 to 2560, default 365), done by the rotation worker. Refused as AWS's table refuses them
//! (a disabled key `DisabledException`, a pending one `KMSInvalidStateException`), and for keys that do not rotate.

use trent_domain::{Action, Key, RotationSchedule, DEFAULT_ROTATION_PERIOD_DAYS, ROTATION_PERIOD_DAYS};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::import_key_material::require_generated;
use crate::ops::replicate_key::refuse_rotating_a_replica;
use crate::Service;

/// The refusal of rotation for a key whose material does not rotate.
pub(crate) fn does_not_rotate(key: &Key) -> ServiceError {
    ServiceError::Unsupported(format!(
        "{} key spec {} and usage {} do not support key rotation; only symmetric encryption keys rotate.",
        key.arn(),
        key.spec.as_str(),
        key.usage.as_str()
    ))
}

impl Service {
    /// EnableKeyRotation: the next rotation is one period after the last one (or the key's creation); changing the
    /// period of a key that rotates already moves it accordingly, as AWS does. Returns the key as now stored.
    pub async fn enable_key_rotation(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        period_days: Option<i64>,
    ) -> Result<Key, ServiceError> {
        let period_days = period_days.unwrap_or(DEFAULT_ROTATION_PERIOD_DAYS);
        if !ROTATION_PERIOD_DAYS.contains(&period_days) {
            return Err(ServiceError::Validation(format!(
                "RotationPeriodInDays must be between {} and {}",
                ROTATION_PERIOD_DAYS.start(),
                ROTATION_PERIOD_DAYS.end()
            )));
        }
        let key = self
            .modify_key(ctx, key_id, |key| {
                authorize(ctx, "kms:EnableKeyRotation", key)?;
                require_generated(key)?;
                check_state(key, Action::RotateKeyMaterial)?;
                if !key.rotates() {
                    return Err(does_not_rotate(key));
                }
                refuse_rotating_a_replica(key)?;
                let last = key.rotations.last().map_or(key.created_at, |rotation| rotation.rotated_at);
                // A period already over is due now: the worker rotates at once, as AWS does for a year-old key.
                let next_rotation = last.plus_days(period_days).max(self.clock.now());
                key.rotation_schedule = Some(RotationSchedule { period_days, next_rotation });
                Ok(Some(
                    self.api_event(ctx, "EnableKeyRotation", key).with_parameter("rotationPeriodInDays", period_days),
                ))
            })
            .await?;
        self.wake_material_worker();
        Ok(key)
    }

    /// DisableKeyRotation. Returns the key as now stored.
    pub async fn disable_key_rotation(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        self.modify_key(ctx, key_id, |key| {
            authorize(ctx, "kms:DisableKeyRotation", key)?;
            require_generated(key)?;
            check_state(key, Action::RotateKeyMaterial)?;
            if !key.rotates() {
                return Err(does_not_rotate(key));
            }
            refuse_rotating_a_replica(key)?;
            key.rotation_schedule = None;
            Ok(Some(self.api_event(ctx, "DisableKeyRotation", key)))
        })
        .await
    }
}
