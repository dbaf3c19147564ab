//! The retirement worker: runs every active retirement plan on the service's clock. While a plan observes, the key
//! leaving `Disabled` outside the plan halts it; when observation ends quietly, the worker schedules the deletion with
//! the plan's window and arms cancel-on-use, in one transaction with the plan and a service event. While the deletion
//! is pending, a cancellation made outside the plan halts it; the key's deletion completes it. A multi-Region
//! primary's plan schedules only once each of its replicas is pending deletion, and while its deletion waits for them
//! a replica taken back into use cancels it. An attempted use of
//! the key halts the plan at once, in the request that attempted it ([`Service::halt_retirement_on_use`]), whether
//! or not every call is audited.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use trent_audit::{iso8601, AuditEvent, EventType};
use trent_domain::{
    Action, Api, Arn, Key, KeyState, MultiRegionKeyType, RetirementEvent, RetirementPlan, RetirementStep, StateError,
    Timestamp,
};
use trent_store::StoreError;

use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::worker::{StatusBook, WorkState, Worker, WorkerStatus};
use crate::{Service, WRITE_ATTEMPTS};

/// How often plans are looked at when nothing wakes the worker.
const POLL: Duration = Duration::from_millis(500);

/// The retirement worker.
pub struct RetirementWorker {
    service: Arc<Service>,
    status: StatusBook,
}

impl RetirementWorker {
    /// A worker running `service`'s plans.
    pub fn new(service: Arc<Service>) -> Self {
        Self { service, status: StatusBook::new("retirement") }
    }

    /// Moves every active plan on as far as it can go now; returns how many plans changed step.
    pub async fn run_plans(&self) -> Result<u64, ServiceError> {
        let plans = self.service.store.active_retirement_plans().await?;
        if plans.is_empty() {
            return Ok(0);
        }
        let mut moved = 0;
        for plan in plans {
            match self.service.advance_retirement(plan).await {
                Ok(true) => moved += 1,
                Ok(false) | Err(ServiceError::AlreadyExists(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(moved)
    }
}

/// Why a plan halted when its key refused to be scheduled for deletion.
fn schedule_refused(refusal: StateError, state: KeyState) -> String {
    match refusal {
        StateError::DeletionProtected => format!(
            "deletion protection was turned on; the deletion was not scheduled and the key stays {}",
            state.as_str()
        ),
        other => format!("the key refused to be scheduled for deletion (it {other}); the key stays {}", state.as_str()),
    }
}

/// Where the replicas of a multi-Region primary whose plan is about to schedule its deletion stand.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ReplicaReadiness {
    /// Every replica is pending deletion (or there is none): the primary may be scheduled.
    Scheduled,
    /// Some replica is still observed by its own plan: the primary waits for it.
    Observed,
    /// The replicas in these regions are neither pending deletion nor being retired: the primary's plan halts.
    Kept(Vec<String>),
}

/// A service event about a retirement plan's key.
fn plan_event(name: &str, now: Timestamp, plan: &RetirementPlan, reason: &str) -> AuditEvent {
    let arn = Arn::key(&plan.region, &plan.account, plan.key_id).to_string();
    AuditEvent::new(
        name,
        EventType::AwsServiceEvent,
        now,
        &plan.account,
        &plan.region,
        AuditEvent::service_identity(),
        Some(arn.clone()),
    )
    .with_parameter("keyId", arn)
    .with_parameter("reason", reason)
}

impl Service {
    /// Wakes the retirement worker (a plan started, or the dev clock moved).
    pub fn wake_retirement_worker(&self) {
        self.retirement_wakeup.notify_one();
    }

    /// Where `primary`'s replicas stand (see [`ReplicaReadiness`]).
    async fn replica_readiness(&self, primary: &Key) -> Result<ReplicaReadiness, ServiceError> {
        let (mut observed, mut kept) = (false, Vec::new());
        let set = self.multi_region_set(primary).await?;
        for replica in set.iter().filter(|member| member.multi_region == Some(MultiRegionKeyType::Replica)) {
            if replica.state.is_pending_deletion() {
                continue;
            }
            let plan = self.store.get_retirement_plan(&replica.account, &replica.region, replica.id).await?;
            if plan.is_some_and(|plan| plan.step == RetirementStep::Observing) {
                observed = true;
            } else {
                kept.push(replica.region.to_string());
            }
        }
        Ok(match (kept.is_empty(), observed) {
            (false, _) => ReplicaReadiness::Kept(kept),
            (true, true) => ReplicaReadiness::Observed,
            (true, false) => ReplicaReadiness::Scheduled,
        })
    }

    /// Moves one plan on, if anything is due. Returns whether its step changed. Conflicting writes (another node
    /// moved it first) leave it for the next round.
    async fn advance_retirement(&self, mut plan: RetirementPlan) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        let arn = Arn::key(&plan.region, &plan.account, plan.key_id).to_string();
        let key = self.store.get_key(&plan.account, &plan.region, plan.key_id).await?;
        // A GetPublicKey that passed its state check just before the plan disabled the key is recorded after the start
        // assessed the evidence: before scheduling, any download since the start halts the plan like any other use.
        let late_download = match (&plan.step, &key) {
            (RetirementStep::Observing, Some(key)) if now >= plan.observe_until && key.spec.secret_len().is_none() => {
                let report = self.usage_report(key.clone()).await?;
                report.public_key.last.filter(|download| download.at >= plan.started_at).map(|download| {
                    format!(
                        "the public key was downloaded by {} at {} after the plan started; the key stays Disabled",
                        download.principal,
                        iso8601(download.at)
                    )
                })
            }
            _ => None,
        };
        // A multi-Region primary is scheduled only once each of its replicas is: its deletion waits for theirs.
        // While it waits for them, a replica taken back into use (its deletion cancelled) shows that the set's
        // material is still needed: the primary's deletion is cancelled too.
        let replicas = match (&plan.step, &key) {
            (RetirementStep::Observing, Some(key))
                if now >= plan.observe_until && key.multi_region == Some(MultiRegionKeyType::Primary) =>
            {
                self.replica_readiness(key).await?
            }
            (RetirementStep::PendingDeletion, Some(key))
                if matches!(key.state, KeyState::PendingReplicaDeletion { .. }) =>
            {
                self.replica_readiness(key).await?
            }
            _ => ReplicaReadiness::Scheduled,
        };
        let kept_replicas = match &replicas {
            ReplicaReadiness::Kept(regions) => regions.clone(),
            ReplicaReadiness::Scheduled | ReplicaReadiness::Observed => Vec::new(),
        };
        let (event, reason, key_change) = match (plan.step, key) {
            (RetirementStep::PendingDeletion, None) => {
                (RetirementEvent::Deleted, "the key was deleted at the end of its waiting period".to_owned(), None)
            }
            (_, None) => (RetirementEvent::Halt, "the key was deleted outside the plan".to_owned(), None),
            (RetirementStep::Observing, Some(key)) if key.state != KeyState::Disabled => {
                (RetirementEvent::Halt, format!("the key became {} outside the plan", key.state.as_str()), None)
            }
            (RetirementStep::Observing, Some(_)) if late_download.is_some() => {
                (RetirementEvent::Halt, late_download.unwrap_or_default(), None)
            }
            (RetirementStep::Observing, Some(_)) if replicas == ReplicaReadiness::Observed => return Ok(false),
            (RetirementStep::Observing, Some(key)) if !kept_replicas.is_empty() => {
                let reason = format!(
                    "its replicas in {} are neither pending deletion nor being retired; the primary key stays {}",
                    kept_replicas.join(", "),
                    key.state.as_str()
                );
                (RetirementEvent::Halt, reason, None)
            }
            (RetirementStep::Observing, Some(mut key)) if now >= plan.observe_until => {
                let schedule = self.deletion_schedule(&key, now, plan.pending_window_days).await?;
                match key.apply(Action::ScheduleKeyDeletion(schedule)) {
                    // The key refuses to be scheduled (its deletion protection was turned on while it was observed):
                    // the plan halts and the key stays as it is.
                    Err(refusal) => (RetirementEvent::Halt, schedule_refused(refusal, key.state), None),
                    Ok(()) => {
                        key.cancel_on_use = true;
                        plan.scheduled_at = Some(now);
                        plan.deletion_date = key.state.scheduled_deletion().map(|deletion| deletion.deletion_date);
                        let reason = match plan.deletion_date {
                            Some(date) => format!(
                                "no attempted use while observed; deletion scheduled for {} with cancel-on-use armed",
                                iso8601(date)
                            ),
                            None => "no attempted use while observed; deletion scheduled to start when the last replica is deleted, with cancel-on-use armed".to_owned(),
                        };
                        (RetirementEvent::Scheduled, reason, Some(key))
                    }
                }
            }
            (RetirementStep::PendingDeletion, Some(mut key)) if !kept_replicas.is_empty() => {
                let cancel = Action::CancelKeyDeletion(Api::Aws);
                key.apply(cancel).map_err(|e| ServiceError::key_state(e, cancel, &arn))?;
                key.cancel_on_use = false;
                let reason = format!(
                    "its replicas in {} were taken back into use; the primary key's deletion is cancelled and it stays Disabled",
                    kept_replicas.join(", ")
                );
                (RetirementEvent::Halt, reason, Some(key))
            }
            (RetirementStep::PendingDeletion, Some(key)) if !key.state.is_pending_deletion() => (
                RetirementEvent::Halt,
                format!("the deletion was cancelled outside the plan; the key is {}", key.state.as_str()),
                None,
            ),
            _ => return Ok(false),
        };
        plan.advance(event, now, reason.clone()).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let name = match plan.step {
            RetirementStep::PendingDeletion => "ScheduleKeyDeletion",
            RetirementStep::Completed => "KeyRetirementCompleted",
            RetirementStep::Observing | RetirementStep::Halted | RetirementStep::Aborted => "KeyRetirementHalted",
        };
        let mut audit = plan_event(name, now, &plan, &reason);
        if let Some(key) = &key_change {
            audit = audit
                .with_parameter("pendingWindowInDays", plan.pending_window_days)
                .with_response("keyState", key.state.as_str());
        }
        let mark = self.cache.mark();
        match self.store.save_retirement_plan(&plan, key_change.as_ref(), Some(&audit)).await {
            Ok((plan, stored_key)) => {
                if let Some(stored_key) = &stored_key {
                    self.cache.remember(stored_key, &self.root_key, mark)?;
                    self.wake_deletion_worker();
                }
                match plan.step {
                    RetirementStep::Halted => {
                        tracing::warn!(event = "KeyRetirementHalted", key_arn = %arn, reason = %plan.reason, "retirement halted")
                    }
                    _ => {
                        tracing::info!(event = name, key_arn = %arn, reason = %plan.reason, "retirement moved on")
                    }
                }
                Ok(true)
            }
            Err(StoreError::Conflict) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    /// Halts `key`'s retirement plan, if one is running, because of an attempted `operation` by `ctx`'s caller: the
    /// plan stops and the key stays `Disabled` (a deletion the plan scheduled is cancelled in the same transaction).
    /// Any attempt counts, whatever the plan's step: it proves something still depends on the key.
    pub(crate) async fn halt_retirement_on_use(&self, ctx: &RequestContext, key: &Key, operation: &str) {
        let now = self.clock.now();
        let reason = format!(
            "attempted {operation} by {} from {} at {} while the key was {}; the key stays Disabled",
            ctx.principal.arn(),
            ctx.source_ip.as_deref().unwrap_or("-"),
            iso8601(now),
            key.state.as_str()
        );
        for _ in 0..WRITE_ATTEMPTS {
            let outcome = async {
                let Some(mut plan) = self.store.get_retirement_plan(&key.account, &key.region, key.id).await? else { return Ok(true) };
                if !plan.step.is_active() {
                    return Ok(true);
                }
                let mark = self.cache.mark();
                let Some(mut current) = self.store.get_key(&key.account, &key.region, key.id).await? else { return Ok(true) };
                let cancels = current.state.is_pending_deletion();
                if cancels {
                    let cancel = Action::CancelKeyDeletion(Api::Aws);
                    current.apply(cancel).map_err(|e| ServiceError::key_state(e, cancel, &current.arn().to_string()))?;
                }
                plan.advance(RetirementEvent::Halt, now, reason.clone()).map_err(|e| ServiceError::Internal(e.to_string()))?;
                let audit = plan_event("KeyRetirementHalted", now, &plan, &reason).with_response("keyState", current.state.as_str());
                match self.store.save_retirement_plan(&plan, cancels.then_some(&current), Some(&audit)).await {
                    Ok((_, stored_key)) => {
                        if let Some(stored_key) = &stored_key {
                            self.cache.remember(stored_key, &self.root_key, mark)?;
                        }
                        tracing::warn!(event = "KeyRetirementHalted", key_arn = %key.arn(), reason = %reason, "retirement halted by an attempted use");
                        Ok(true)
                    }
                    Err(StoreError::Conflict) => Ok(false),
                    Err(other) => Err(ServiceError::from(other)),
                }
            }
            .await;
            match outcome {
                Ok(true) => return,
                Ok(false) => continue,
                Err(error) => {
                    tracing::error!(key_arn = %key.arn(), %error, "could not halt the key's retirement plan after an attempted use");
                    return;
                }
            }
        }
    }
}

impl Worker for RetirementWorker {
    fn name(&self) -> &'static str {
        "retirement"
    }

    async fn work(&self) -> WorkState {
        let outcome = self.run_plans().await;
        self.status.finish(self.service.clock.now(), outcome).await;
        WorkState::Idle
    }

    async fn wait_for_work(&self) {
        let wakeup: &Notify = &self.service.retirement_wakeup;
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = wakeup.notified() => {}
        }
    }

    fn status(&self) -> WorkerStatus {
        self.status.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use trent_domain::{Key, KeyState, RetirementPlan, RetirementStep};

    use super::RetirementWorker;
    use crate::ops::start_key_retirement::RetirementRequest;
    use crate::test_support::TestService;

    /// A retirement of `key` observing it for one day, then scheduling its deletion with a 7-day window.
    async fn retire(t: &TestService, key: &Key) {
        let request = RetirementRequest {
            observation_seconds: 86_400,
            pending_window_days: 7,
            force: true,
            accept_public_key_risk: false,
        };
        t.service.start_key_retirement(&t.ctx, &key.id.to_string(), request).await.unwrap();
    }

    async fn plan(t: &TestService, key: &Key) -> RetirementPlan {
        t.service.store.get_retirement_plan(&key.account, &key.region, key.id).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn a_quiet_observation_schedules_the_deletion_with_the_plans_window() {
        let t = TestService::new();
        let key = t.create_key().await;
        retire(&t, &key).await;
        t.advance_days(2);
        RetirementWorker::new(Arc::clone(&t.service)).run_plans().await.unwrap();
        assert_eq!(plan(&t, &key).await.step, RetirementStep::PendingDeletion);
        let stored = t.stored(&key).await;
        assert_eq!(stored.state.scheduled_deletion().map(|d| d.pending_window_days), Some(7));
        assert!(stored.cancel_on_use);
    }

    #[tokio::test]
    async fn protection_turned_on_while_observed_halts_the_plan_and_keeps_the_key_disabled() {
        let t = TestService::new();
        let key = t.create_key().await;
        retire(&t, &key).await;
        t.service.set_deletion_protection(&t.ctx, &key.id.to_string(), true, None).await.unwrap();
        t.advance_days(2);
        RetirementWorker::new(Arc::clone(&t.service)).run_plans().await.unwrap();
        let plan = plan(&t, &key).await;
        assert_eq!(plan.step, RetirementStep::Halted);
        assert!(plan.reason.contains("deletion protection was turned on"), "{}", plan.reason);
        let stored = t.stored(&key).await;
        assert_eq!(stored.state, KeyState::Disabled);
        assert!(stored.deletion_protection);
    }
}
