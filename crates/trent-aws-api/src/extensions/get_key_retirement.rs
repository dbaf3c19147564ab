//! The edge of `Trent.GetKeyRetirement`: `{"KeyId": …}` answers `{"Retirement": <plan>, "Attempts": [<refused
//! attempt>…]}`: the plan's step, dates and reason, and the attempted uses seen since it started. A completed plan is
//! still readable (by key ID or ARN) after its key is gone.

use serde::Serialize;
use trent_domain::{Arn, RetirementPlan, Timestamp};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::extensions::get_key_usage::RefusedAttempt;
use crate::shapes::{required_key_id, response, Reply, Shape};

/// A retirement plan on the wire.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlanAnswer<'a> {
    key_id: String,
    step: &'static str,
    observation_period_in_seconds: i64,
    pending_window_in_days: i64,
    started_at: f64,
    started_by: &'a str,
    observe_until: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduled_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<f64>,
    reason: &'a str,
}

impl<'a> PlanAnswer<'a> {
    /// The wire form of `plan`.
    pub fn of(plan: &'a RetirementPlan) -> Self {
        Self {
            key_id: Arn::key(&plan.region, &plan.account, plan.key_id).to_string(),
            step: plan.step.as_str(),
            observation_period_in_seconds: plan.observe_millis / 1000,
            pending_window_in_days: plan.pending_window_days,
            started_at: plan.started_at.epoch_seconds(),
            started_by: &plan.started_by,
            observe_until: plan.observe_until.epoch_seconds(),
            scheduled_at: plan.scheduled_at.map(Timestamp::epoch_seconds),
            deletion_date: plan.deletion_date.map(Timestamp::epoch_seconds),
            finished_at: plan.finished_at.map(Timestamp::epoch_seconds),
            reason: &plan.reason,
        }
    }
}

/// `Trent.GetKeyRetirement`'s answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    retirement: PlanAnswer<'a>,
    attempts: Vec<RefusedAttempt<'a>>,
}

impl Shape for Answer<'_> {}

/// Handles `Trent.GetKeyRetirement`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let status = service.get_key_retirement(ctx, &required_key_id(body)?).await?;
    response(&Answer {
        retirement: PlanAnswer::of(&status.plan),
        attempts: status.attempts.iter().map(RefusedAttempt::of).collect(),
    })
}
