//! DescribeKey: a key's metadata, in any state.

use trent_domain::{Action, Key};

use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::resolve::{Aliases, Reach};
use crate::Service;

impl Service {
    /// DescribeKey.
    pub async fn describe_key(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        let loaded = self.load_reaching(ctx, key_id, Aliases::Accepted, Reach::CrossAccount).await?;
        self.authorize_key_use(ctx, "kms:DescribeKey".into(), &loaded).await?;
        check_state(&loaded.key, Action::DescribeKey)?;
        Ok(loaded.key.clone())
    }
}
