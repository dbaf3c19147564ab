//! DescribeKey: a key's metadata, in any state.

use trent_domain::{Action, Key};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// DescribeKey.
    pub async fn describe_key(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Accepted).await?;
        authorize(&ctx.principal, "kms:DescribeKey", &loaded.key)?;
        check_state(&loaded.key, Action::DescribeKey)?;
        Ok(loaded.key.clone())
    }
}
