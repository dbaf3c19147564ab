//! EnableKey: `Disabled` → `Enabled`, as the state table allows.

use trent_domain::Action;

use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

impl Service {
    /// EnableKey.
    pub async fn enable_key(&self, ctx: &RequestContext, key_id: &str) -> Result<(), ServiceError> {
        self.transition_key(ctx, key_id, Action::EnableKey, "kms:EnableKey", "EnableKey").await?;
        Ok(())
    }
}
