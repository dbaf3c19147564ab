//! PutKeyPolicy: replaces the stored key policy after checking it is a well-formed policy document.
//! Policies are stored, not yet enforced (authorization is account-wide until policy evaluation lands).

use trent_domain::Action;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::ops::{validate_policy, DEFAULT_POLICY_NAME};
use crate::Service;

impl Service {
    /// PutKeyPolicy.
    pub async fn put_key_policy(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        policy_name: Option<&str>,
        policy: &str,
    ) -> Result<(), ServiceError> {
        let name = policy_name.unwrap_or(DEFAULT_POLICY_NAME);
        if name != DEFAULT_POLICY_NAME {
            return Err(ServiceError::NotFound(format!("No such policy exists: {name}")));
        }
        validate_policy(policy)?;
        self.modify_key(ctx, key_id, |key| {
            authorize(&ctx.principal, "kms:PutKeyPolicy", key)?;
            apply_state(key, Action::ManageKeyPolicy)?;
            policy.clone_into(&mut key.policy);
            Ok(Some(self.api_event(ctx, "PutKeyPolicy", key)))
        })
        .await?;
        Ok(())
    }
}
