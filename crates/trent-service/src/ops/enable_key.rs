//! EnableKey: `Disabled` → `Enabled`, as the state table allows.

use trent_domain::Action;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

impl Service {
    /// EnableKey.
    pub async fn enable_key(&self, ctx: &RequestContext, key_id: &str) -> Result<(), ServiceError> {
        self.modify_key(ctx, key_id, |key| {
            authorize(&ctx.principal, "kms:EnableKey", key)?;
            apply_state(key, Action::EnableKey)?;
            Ok(Some(self.api_event(ctx, "EnableKey", key)))
        })
        .await?;
        Ok(())
    }
}
