//! AbortKeyRetirement (Trent's extension, `Trent.AbortKeyRetirement`): stops a running plan and leaves the key
//! `Disabled`; a deletion the plan scheduled is cancelled in the same transaction.

use trent_domain::{Action, Api, RetirementEvent, RetirementPlan};
use trent_store::StoreError;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::{Service, WRITE_ATTEMPTS};

impl Service {
    /// AbortKeyRetirement. Returns the plan as stored.
    pub async fn abort_key_retirement(
        &self,
        ctx: &RequestContext,
        key_id: &str,
    ) -> Result<RetirementPlan, ServiceError> {
        for _ in 0..WRITE_ATTEMPTS {
            let mark = self.cache.mark();
            let mut key = self.load_for_write(ctx, key_id).await?;
            authorize(ctx, "kms:CancelKeyDeletion", &key)?;
            let no_plan = || ServiceError::NotFound(format!("No retirement plan is running for key '{}'.", key.arn()));
            let mut plan =
                self.store.get_retirement_plan(&key.account, &key.region, key.id).await?.ok_or_else(no_plan)?;
            plan.advance(RetirementEvent::Abort, self.clock.now(), format!("aborted by {}", ctx.principal.arn()))
                .map_err(|_| no_plan())?;
            if key.state.is_pending_deletion() {
                apply_state(&mut key, Action::CancelKeyDeletion(Api::Aws))?;
                key.cancel_on_use = false;
            }
            let event = self.api_event(ctx, "AbortKeyRetirement", &key).with_response("keyState", key.state.as_str());
            match self.store.save_retirement_plan(&plan, Some(&key), Some(&event)).await {
                Ok((plan, stored_key)) => {
                    if let Some(stored_key) = &stored_key {
                        self.cache.remember(stored_key, &self.root_key, mark)?;
                    }
                    tracing::info!(event = "AbortKeyRetirement", key_arn = %key.arn(), "retirement aborted; key is Disabled");
                    return Ok(plan);
                }
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Internal("too many concurrent changes to one key".to_owned()))
    }
}
