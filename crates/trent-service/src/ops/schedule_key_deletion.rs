//! ScheduleKeyDeletion: the key becomes `PendingDeletion` with a deletion date 7 to 30 days away (default 30);
//! the deletion worker destroys it when that date passes.

use trent_domain::{Action, Key, KeyState};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

/// The waiting period when the caller names none.
pub const DEFAULT_PENDING_WINDOW_DAYS: i64 = 30;
/// AWS KMS's own bounds on the waiting period (the model allows 1 to 365).
pub const PENDING_WINDOW_DAYS: std::ops::RangeInclusive<i64> = 7..=30;

impl Service {
    /// ScheduleKeyDeletion. Returns the key as now stored (state, deletion date, window).
    pub async fn schedule_key_deletion(&self, ctx: &RequestContext, key_id: &str, pending_window_days: Option<i64>) -> Result<Key, ServiceError> {
        let days = pending_window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        if !PENDING_WINDOW_DAYS.contains(&days) {
            return Err(ServiceError::Validation("PendingWindowInDays must be between 7 and 30".to_owned()));
        }
        let key = self
            .modify_key(ctx, key_id, |key| {
                authorize(&ctx.principal, "kms:ScheduleKeyDeletion", key)?;
                apply_state(key, Action::ScheduleKeyDeletion)?;
                if key.deletion_protection {
                    return Err(ServiceError::DeletionProtected(format!(
                        "{} has deletion protection enabled. Turn it off with Trent.SetDeletionProtection before scheduling deletion.",
                        key.arn()
                    )));
                }
                debug_assert_eq!(key.state, KeyState::PendingDeletion);
                key.deletion_date = Some(self.clock.now().plus_days(days));
                key.pending_window_days = Some(days);
                let event = self
                    .api_event(ctx, "ScheduleKeyDeletion", key)
                    .with_parameter("pendingWindowInDays", days)
                    .with_response("keyState", key.state.as_str())
                    .with_response("deletionDate", key.deletion_date.map(|d| d.0 / 1000).unwrap_or_default());
                Ok(Some(event))
            })
            .await?;
        tracing::info!(event = "ScheduleKeyDeletion", key_arn = %key.arn(), pending_window_days = days, deletion_date = key.deletion_date.map(|d| d.0), "key scheduled for deletion");
        self.wake_deletion_worker();
        Ok(key)
    }
}
