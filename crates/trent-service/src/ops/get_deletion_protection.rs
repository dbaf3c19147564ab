//! GetDeletionProtection (Trent's extension, `Trent.GetDeletionProtection`): whether a key's deletion protection is
//! on. Allowed in every state, like DescribeKey.

use trent_domain::{Action, Key};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// GetDeletionProtection. Returns the key.
    pub async fn get_deletion_protection(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Accepted).await?;
        authorize(ctx, "trent:GetDeletionProtection", &loaded.key)?;
        check_state(&loaded.key, Action::DescribeKey)?;
        Ok(loaded.key.clone())
    }
}
