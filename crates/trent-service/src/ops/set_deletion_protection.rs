//! SetDeletionProtection (Trent's extension, `Trent.SetDeletionProtection`): turns a key's deletion protection on
//! or off. While it is on, ScheduleKeyDeletion is refused. Refused while the key is pending deletion; audited.

use trent_domain::{Action, Key, KeyManager};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

impl Service {
    /// SetDeletionProtection. Returns the key as now stored.
    pub async fn set_deletion_protection(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        enabled: bool,
        description: Option<&str>,
    ) -> Result<Key, ServiceError> {
        let key = self
            .modify_key(ctx, key_id, |key| {
                authorize(ctx, "trent:SetDeletionProtection", key)?;
                if key.manager == KeyManager::Aws && !enabled {
                    return Err(ServiceError::AccessDenied(format!(
                        "{} is an AWS managed key; its deletion protection cannot be turned off.",
                        key.arn()
                    )));
                }
                apply_state(key, Action::SetDeletionProtection)?;
                key.deletion_protection = enabled;
                // Turning protection on keeps the reason given, or the one it had; turning it off drops it.
                match (enabled, description) {
                    (true, Some(reason)) => reason.clone_into(&mut key.deletion_protection_description),
                    (true, None) => {}
                    (false, _) => key.deletion_protection_description.clear(),
                }
                Ok(Some(self.api_event(ctx, "SetDeletionProtection", key).with_parameter("enabled", enabled)))
            })
            .await?;
        tracing::info!(event = "SetDeletionProtection", key_arn = %key.arn(), enabled, "deletion protection changed");
        Ok(key)
    }
}
