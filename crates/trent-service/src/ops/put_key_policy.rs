//! PutKeyPolicy: replaces the key policy, which decides every later call on the key (see `authorize`), after checking
//! it is a key policy and, unless bypassed, that it still lets the caller change it (AWS's lockout safety check).

use trent_domain::Action;

use crate::authorize::{authorize, check_lockout};
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
        bypass_lockout_safety_check: bool,
    ) -> Result<(), ServiceError> {
        let name = policy_name.unwrap_or(DEFAULT_POLICY_NAME);
        if name != DEFAULT_POLICY_NAME {
            return Err(ServiceError::NotFound(format!("No such policy exists: {name}")));
        }
        self.modify_key(ctx, key_id, |key| {
            authorize(ctx, "kms:PutKeyPolicy", key)?;
            apply_state(key, Action::ManageKeyPolicy)?;
            validate_policy(policy)?;
            policy.clone_into(&mut key.policy);
            check_lockout(ctx, key, bypass_lockout_safety_check)?;
            Ok(Some(self.api_event(ctx, "PutKeyPolicy", key)))
        })
        .await?;
        Ok(())
    }
}
