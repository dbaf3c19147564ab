//! ScheduleKeyDeletion: the key becomes `PendingDeletion` with a deletion date 7 to 30 days away on AWS's API (default
//! 30), 7 to 366 on Alibaba's; the deletion worker destroys it when that date passes. A multi-Region primary with
//! replicas becomes `PendingReplicaDeletion` instead, its date set when its last replica is deleted.

use trent_domain::{Action, Key};

use crate::authorize::{authorize_with, Permission};
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

/// The waiting period when the caller names none (AWS's default; Alibaba's API requires one).
pub const DEFAULT_PENDING_WINDOW_DAYS: i64 = 30;

impl Service {
    /// ScheduleKeyDeletion, with the waiting periods the API called allows. Returns the key as now stored (state,
    /// deletion date, window).
    pub async fn schedule_key_deletion(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        pending_window_days: Option<i64>,
    ) -> Result<Key, ServiceError> {
        let days = pending_window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        let allowed = ctx.api.pending_window_days();
        if !allowed.contains(&days) {
            return Err(ServiceError::Validation(format!(
                "PendingWindowInDays must be between {} and {}",
                allowed.start(),
                allowed.end()
            )));
        }
        let now = self.clock.now();
        let permission = Permission { pending_window_days: Some(days), ..Permission::from("kms:ScheduleKeyDeletion") };
        let key = self
            .modify_key_knowing(
                ctx,
                key_id,
                |key| async move { self.deletion_schedule(&key, now, days).await },
                |key, schedule| {
                    authorize_with(ctx, permission, key)?;
                    apply_state(key, Action::ScheduleKeyDeletion(schedule))?;
                    let mut event = self
                        .api_event(ctx, "ScheduleKeyDeletion", key)
                        .with_parameter("pendingWindowInDays", days)
                        .with_response("keyState", key.state.as_str());
                    if let Some(deletion) = key.state.scheduled_deletion() {
                        event = event.with_response("deletionDate", deletion.deletion_date.0 / 1000);
                    }
                    Ok(Some(event))
                },
            )
            .await?;
        let deletion_date = key.state.scheduled_deletion().map(|d| d.deletion_date.0);
        tracing::info!(event = "ScheduleKeyDeletion", key_arn = %key.arn(), key_state = key.state.as_str(), pending_window_days = days, deletion_date, "key scheduled for deletion");
        self.wake_deletion_worker();
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use trent_domain::{Clock, KeyState, StateError};

    use crate::test_support::TestService;
    use crate::ServiceError;

    #[tokio::test]
    async fn scheduling_keeps_the_date_and_window_in_the_pending_state() {
        let t = TestService::new();
        let key = t.create_key().await;
        let before = t.clock.now();
        t.service.schedule_key_deletion(&t.ctx, &key.id.to_string(), Some(7)).await.unwrap();
        let deletion = t.stored(&key).await.state.scheduled_deletion().expect("pending deletion");
        assert_eq!(deletion.pending_window_days, 7);
        assert!(deletion.deletion_date >= before.plus_days(7) && deletion.deletion_date <= t.clock.now().plus_days(7));
    }

    #[tokio::test]
    async fn a_protected_key_is_refused_and_nothing_changes() {
        let t = TestService::new();
        let key = t.create_key().await;
        t.service.set_deletion_protection(&t.ctx, &key.id.to_string(), true, None).await.unwrap();
        let protected = t.stored(&key).await;
        let refusal = t.service.schedule_key_deletion(&t.ctx, &key.id.to_string(), Some(7)).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::KeyState { error: StateError::DeletionProtected, .. }), "{refusal:?}");
        assert_eq!(t.stored(&key).await, protected, "the refused call changed nothing");
        assert_eq!(protected.state, KeyState::Enabled);
    }
}
