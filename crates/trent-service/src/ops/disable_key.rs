//! DisableKey: `Enabled` → `Disabled`, as the state table allows.

use trent_domain::Action;

use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

impl Service {
    /// DisableKey.
    pub async fn disable_key(&self, ctx: &RequestContext, key_id: &str) -> Result<(), ServiceError> {
        self.transition_key(ctx, key_id, Action::DisableKey, "kms:DisableKey", "DisableKey").await?;
        Ok(())
    }
}
