//! ListKeyPolicies: the names of a key's policies, which is always just `default`.

use trent_domain::Action;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::{page, DEFAULT_POLICY_NAME};
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// ListKeyPolicies.
    pub async fn list_key_policies(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Refused).await?;
        authorize(ctx, "kms:ListKeyPolicies", &loaded.key)?;
        check_state(&loaded.key, Action::ManageKeyPolicy)?;
        page(&[DEFAULT_POLICY_NAME.to_owned()], limit, marker)
    }
}
