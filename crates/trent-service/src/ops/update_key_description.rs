//! UpdateKeyDescription: replaces a key's description (refused while the key is pending deletion).

use trent_domain::Action;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

impl Service {
    /// UpdateKeyDescription.
    pub async fn update_key_description(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        description: &str,
    ) -> Result<(), ServiceError> {
        self.modify_key(ctx, key_id, |key| {
            authorize(ctx, "kms:UpdateKeyDescription", key)?;
            apply_state(key, Action::UpdateKeyDescription)?;
            description.clone_into(&mut key.description);
            Ok(Some(self.api_event(ctx, "UpdateKeyDescription", key)))
        })
        .await?;
        Ok(())
    }
}
