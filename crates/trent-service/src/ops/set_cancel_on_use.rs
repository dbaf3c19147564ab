//! SetCancelOnUse (Trent's extension, `Trent.SetCancelOnUse`): arms or disarms a key's safety net. While armed, any
//! attempted use of the key while it is pending deletion cancels the deletion (see `alarm.rs`). Allowed in every
//! state, pending deletion included (that is when it matters); audited.

use trent_domain::{Action, Key};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

impl Service {
    /// SetCancelOnUse. Returns the key as now stored.
    pub async fn set_cancel_on_use(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        enabled: bool,
    ) -> Result<Key, ServiceError> {
        self.modify_key(ctx, key_id, |key| {
            authorize(ctx, "trent:SetCancelOnUse", key)?;
            apply_state(key, Action::SetCancelOnUse)?;
            key.cancel_on_use = enabled;
            Ok(Some(self.api_event(ctx, "SetCancelOnUse", key).with_parameter("enabled", enabled)))
        })
        .await
    }
}
