//! CancelKeyDeletion: a `PendingDeletion` key comes back `Disabled` on AWS's API (never `Enabled`), `Enabled` on
//! Alibaba's, its deletion date cleared.

use trent_domain::{Action, Key};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

impl Service {
    /// CancelKeyDeletion by the rules of the API called. Returns the key as now stored.
    pub async fn cancel_key_deletion(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        let key = self
            .modify_key(ctx, key_id, |key| {
                authorize(ctx, "kms:CancelKeyDeletion", key)?;
                apply_state(key, Action::CancelKeyDeletion(ctx.api))?;
                Ok(Some(self.api_event(ctx, "CancelKeyDeletion", key).with_response("keyState", key.state.as_str())))
            })
            .await?;
        tracing::info!(event = "CancelKeyDeletion", key_arn = %key.arn(), key_state = key.state.as_str(), "key deletion cancelled");
        Ok(key)
    }
}
