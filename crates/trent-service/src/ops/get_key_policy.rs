//! GetKeyPolicy: the stored key policy (only the policy named `default` exists).

use trent_domain::Action;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::DEFAULT_POLICY_NAME;
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// GetKeyPolicy. Returns the policy document and its name.
    pub async fn get_key_policy(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        policy_name: Option<&str>,
    ) -> Result<(String, String), ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Refused).await?;
        authorize(ctx, "kms:GetKeyPolicy", &loaded.key)?;
        check_state(&loaded.key, Action::ManageKeyPolicy)?;
        let name = policy_name.unwrap_or(DEFAULT_POLICY_NAME);
        if name != DEFAULT_POLICY_NAME {
            return Err(ServiceError::NotFound(format!("No such policy exists: {name}")));
        }
        Ok((loaded.key.policy.clone(), name.to_owned()))
    }
}
