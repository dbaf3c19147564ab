//! GetKeyRetirement (Trent's extension, `Trent.GetKeyRetirement`): a key's retirement plan (step, dates, reason) and
//! the attempted uses seen since it started.

use trent_audit::usage::RefusedUse;
use trent_domain::{Action, RetirementPlan};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// A plan and what it has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetirementStatus {
    /// The plan.
    pub plan: RetirementPlan,
    /// Attempted uses refused since the plan started.
    pub attempts: Vec<RefusedUse>,
}

impl Service {
    /// GetKeyRetirement. The plan outlives its key: a completed plan is shown after the key is gone.
    pub async fn get_key_retirement(
        &self,
        ctx: &RequestContext,
        key_id: &str,
    ) -> Result<RetirementStatus, ServiceError> {
        let id = match self.load(ctx, key_id, Aliases::Accepted).await {
            Ok(loaded) => {
                authorize(ctx, "trent:GetKeyRetirement", &loaded.key)?;
                check_state(&loaded.key, Action::DescribeKey)?;
                loaded.key.id
            }
            // A deleted key's plan is still there to read, by key ID or ARN.
            Err(ServiceError::NotFound(message)) => {
                self.resolve_id(ctx, key_id, Aliases::Refused).await.map_err(|_| ServiceError::NotFound(message))?
            }
            Err(other) => return Err(other),
        };
        let plan = self.store.get_retirement_plan(ctx.account(), &ctx.region, id).await?.ok_or_else(|| {
            ServiceError::NotFound(format!(
                "No retirement plan was started for key '{}'.",
                trent_domain::Arn::key(&ctx.region, ctx.account(), id)
            ))
        })?;
        self.flush_audit().await;
        let arn = trent_domain::Arn::key(&plan.region, &plan.account, plan.key_id).to_string();
        let attempts =
            self.store.key_usage(&arn).await?.refused.into_iter().filter(|a| a.millis >= plan.started_at.0).collect();
        Ok(RetirementStatus { plan, attempts })
    }
}
