//! DisableKey: `Enabled` → `Disabled`, as the state table allows.

use trent_domain::Action;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

impl Service {
    /// DisableKey.
    pub async fn disable_key(&self, ctx: &RequestContext, key_id: &str) -> Result<(), ServiceError> {
        self.modify_key(ctx, key_id, |key| {
            authorize(&ctx.principal, "kms:DisableKey", key)?;
            apply_state(key, Action::DisableKey)?;
            Ok(Some(self.api_event(ctx, "DisableKey", key)))
        })
        .await?;
        Ok(())
    }
}
