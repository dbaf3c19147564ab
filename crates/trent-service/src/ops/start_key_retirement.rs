//! StartKeyRetirement (Trent's extension, `Trent.StartKeyRetirement`): step 1 of a guided retirement. Assesses the
//! key's usage evidence and refuses (with the evidence) if the key was used within the observation period, unless
//! forced; refuses an encryption, key agreement or key encapsulation key pair whose public key has left the service
//! unless that risk is accepted (whoever holds the public key can keep protecting data with it that nobody will
//! recover after the deletion); otherwise disables the key and stores the plan in one transaction. The retirement
//! worker does the rest, and halts the plan if a download that raced this check shows up before it schedules.

use trent_audit::iso8601;
use trent_audit::AuditEvent;
use trent_domain::{
    Action, Api, Key, KeyState, KeyUsage, MultiRegionKeyType, RetirementPlan, RetirementStep, Timestamp,
};
use trent_store::StoreError;

use crate::authorize::{authorize, authorize_with, Permission};
use crate::context::RequestContext;
use crate::error::{apply_state, check_state, ServiceError};
use crate::ops::get_key_usage::UsageReport;
use crate::{Service, WRITE_ATTEMPTS};

/// The longest observation period accepted: a year.
pub const MAX_OBSERVATION_SECONDS: i64 = 366 * 86_400;

/// What a retirement is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetirementRequest {
    /// How long to observe the disabled key, in seconds.
    pub observation_seconds: i64,
    /// The waiting period of the deletion, 7 to 30 days.
    pub pending_window_days: i64,
    /// Start even though the key was used within the observation period.
    pub force: bool,
    /// Retire an encryption, key agreement or key encapsulation key pair even though its public key was downloaded.
    pub accept_public_key_risk: bool,
}

/// Why the assessment refuses, in words that carry the evidence.
fn in_use_message(report: &UsageReport, since: Timestamp, uses: i64) -> String {
    let arn = report.key.arn();
    let last = report
        .usage
        .last_use
        .as_ref()
        .map(|last| {
            format!(
                " The last was {} at {} (event {}).",
                last.operation,
                iso8601(Timestamp(last.millis)),
                last.event_id
            )
        })
        .unwrap_or_default();
    format!(
        "{arn} was used {uses} time(s) since {}, within the observation period.{last} Find what still uses it (Trent.GetKeyUsage), or start anyway with Force.",
        iso8601(since)
    )
}

/// The refusal of a key pair whose public key left the service and protects data (an encryption, key agreement or
/// key encapsulation key; a signing key's public key only verifies), with the evidence.
fn public_key_risk(report: &UsageReport) -> Option<String> {
    if report.key.usage == KeyUsage::SignVerify || report.key.spec.secret_len().is_some() {
        return None;
    }
    let downloads = report.public_key.summary()?;
    Some(format!(
        "The public key of {} was {downloads}. Whoever holds it can still protect data with it that nobody will be able to recover once the key is deleted. Make sure nothing uses it any more, then start with AcceptPublicKeyRisk.",
        report.key.arn()
    ))
}

/// A plan about to be stored: the plan, its key disabled, the key's event, and the evidence it was assessed on.
struct NewPlan {
    plan: RetirementPlan,
    key: Key,
    event: AuditEvent,
    report: UsageReport,
}

impl Service {
    /// StartKeyRetirement. Returns the plan as stored and the evidence assessed, and for a multi-Region primary the
    /// plans of its replicas: a primary's retirement retires its whole set, every key disabled and observed at once,
    /// the replicas scheduled first and the primary only once every replica is (its deletion then waits for theirs,
    /// see [`trent_domain::DeletionSchedule`]). All the plans start in one transaction, or none does.
    pub async fn start_key_retirement(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        request: RetirementRequest,
    ) -> Result<(RetirementPlan, UsageReport, Vec<RetirementPlan>), ServiceError> {
        if !Api::Aws.pending_window_days().contains(&request.pending_window_days) {
            return Err(ServiceError::Validation("PendingWindowInDays must be between 7 and 30".to_owned()));
        }
        if !(0..=MAX_OBSERVATION_SECONDS).contains(&request.observation_seconds) {
            return Err(ServiceError::Validation(format!(
                "ObservationPeriodInSeconds must be between 0 and {MAX_OBSERVATION_SECONDS}"
            )));
        }
        for _ in 0..WRITE_ATTEMPTS {
            let mark = self.cache.mark();
            let key = self.load_for_write(ctx, key_id).await?;
            let now = self.clock.now();
            let replicas = match key.multi_region {
                Some(MultiRegionKeyType::Primary) => self.replicas_to_retire(&key).await?,
                _ => Vec::new(),
            };
            let mut planned = Vec::with_capacity(replicas.len() + 1);
            for member in replicas.into_iter().chain(std::iter::once(key)) {
                planned.push(self.new_retirement_plan(ctx, member, &request, now).await?);
            }
            let writes: Vec<_> =
                planned.iter().map(|new| (new.plan.clone(), Some(new.key.clone()), Some(new.event.clone()))).collect();
            match self.store.save_retirement_plans(&writes).await {
                Ok(stored) => {
                    let mut plans = Vec::with_capacity(stored.len());
                    for (plan, stored_key) in stored {
                        if let Some(stored_key) = &stored_key {
                            self.cache.remember(stored_key, &self.root_key, mark)?;
                            tracing::info!(event = "StartKeyRetirement", key_arn = %stored_key.arn(), observe_until = plan.observe_until.0, "retirement started; key disabled");
                        }
                        plans.push(plan);
                    }
                    self.wake_retirement_worker();
                    let own = plans.pop().ok_or_else(|| ServiceError::Internal("no plan was stored".to_owned()))?;
                    let report = planned
                        .pop()
                        .map(|new| new.report)
                        .ok_or_else(|| ServiceError::Internal("no evidence was assessed".to_owned()))?;
                    return Ok((own, report, plans));
                }
                Err(StoreError::Conflict) => {
                    for new in &planned {
                        let running =
                            self.store.get_retirement_plan(&new.key.account, &new.key.region, new.key.id).await?;
                        if running.is_some_and(|p| p.step.is_active()) {
                            return Err(ServiceError::AlreadyExists(format!(
                                "A retirement plan for {} is already running.",
                                new.key.arn()
                            )));
                        }
                    }
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Internal("too many concurrent changes to one key".to_owned()))
    }

    /// The replicas of `primary` that its retirement plans: every one but those already on their way (pending
    /// deletion, or retired by a plan of their own).
    async fn replicas_to_retire(&self, primary: &Key) -> Result<Vec<Key>, ServiceError> {
        let mut replicas = Vec::new();
        for member in self.multi_region_set(primary).await? {
            if member.region == primary.region || member.state.is_pending_deletion() {
                continue;
            }
            let plan = self.store.get_retirement_plan(&member.account, &member.region, member.id).await?;
            if !plan.is_some_and(|plan| plan.step.is_active()) {
                replicas.push(member);
            }
        }
        Ok(replicas)
    }

    /// The plan `request` asks for `key` (read fresh), the key disabled: or why it cannot start now (permissions, the
    /// key's state or deletion protection, use within the observation period unless forced, a public key that left).
    async fn new_retirement_plan(
        &self,
        ctx: &RequestContext,
        mut key: Key,
        request: &RetirementRequest,
        now: Timestamp,
    ) -> Result<NewPlan, ServiceError> {
        authorize(ctx, "kms:DisableKey", &key)?;
        let permission = Permission {
            pending_window_days: Some(request.pending_window_days),
            ..Permission::from("kms:ScheduleKeyDeletion")
        };
        authorize_with(ctx, permission, &key)?;
        apply_state(&mut key, Action::DisableKey)?;
        // The plan will schedule the deletion: a key that refuses it now (deletion protection) is refused at once.
        let schedule = self.deletion_schedule(&key, now, request.pending_window_days).await?;
        check_state(&key, Action::ScheduleKeyDeletion(schedule))?;
        let observe_millis = request.observation_seconds * 1000;
        let report = self.usage_report(key.clone()).await?;
        if !request.force {
            if report.tracking_start.is_none() {
                return Err(ServiceError::KeyInUse(format!(
                    "{} has no usage evidence: this server does not record calls (--audit-calls false). Start anyway with Force.",
                    key.arn()
                )));
            }
            let since = Timestamp(now.0 - observe_millis);
            let uses = report.tracked_uses_since(since);
            if uses > 0 {
                return Err(ServiceError::KeyInUse(in_use_message(&report, since, uses)));
            }
        }
        if !request.accept_public_key_risk {
            if let Some(risk) = public_key_risk(&report) {
                return Err(ServiceError::KeyInUse(risk));
            }
        }
        let plan = RetirementPlan {
            account: key.account.clone(),
            region: key.region.clone(),
            key_id: key.id,
            step: RetirementStep::Observing,
            observe_millis,
            pending_window_days: request.pending_window_days,
            started_at: now,
            observe_until: Timestamp(now.0 + observe_millis),
            scheduled_at: None,
            deletion_date: None,
            finished_at: None,
            reason: "observing the disabled key for attempted use".to_owned(),
            started_by: ctx.principal.arn(),
            version: 0,
        };
        debug_assert_eq!(key.state, KeyState::Disabled);
        let event = self
            .api_event(ctx, "StartKeyRetirement", &key)
            .with_parameter("observationPeriodInSeconds", request.observation_seconds)
            .with_parameter("pendingWindowInDays", request.pending_window_days)
            .with_parameter("force", request.force)
            .with_parameter("acceptPublicKeyRisk", request.accept_public_key_risk)
            .with_response("keyState", key.state.as_str());
        Ok(NewPlan { plan, key, event, report })
    }
}

#[cfg(test)]
mod tests {
    use trent_domain::{KeyState, StateError};

    use super::RetirementRequest;
    use crate::test_support::TestService;
    use crate::ServiceError;

    #[tokio::test]
    async fn a_protected_key_cannot_start_a_retirement() {
        let t = TestService::new();
        let key = t.create_key().await;
        t.service.set_deletion_protection(&t.ctx, &key.id.to_string(), true, None).await.unwrap();
        let request = RetirementRequest {
            observation_seconds: 0,
            pending_window_days: 7,
            force: true,
            accept_public_key_risk: false,
        };
        let refusal = t.service.start_key_retirement(&t.ctx, &key.id.to_string(), request).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::KeyState { error: StateError::DeletionProtected, .. }), "{refusal:?}");
        assert_eq!(t.stored(&key).await.state, KeyState::Enabled, "the key was not disabled");
        assert!(t.service.store.get_retirement_plan(&key.account, &key.region, key.id).await.unwrap().is_none());
    }
}
