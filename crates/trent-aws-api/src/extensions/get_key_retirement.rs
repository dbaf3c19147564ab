//! The edge of `Trent.GetKeyRetirement`: `{"KeyId": …}` answers `{"Retirement": <plan>, "Attempts": [<refused
//! attempt>…]}`: the plan's step, dates and reason, and the attempted uses seen since it started. A completed plan is
//! still readable (by key ID or ARN) after its key is gone.

use serde_json::{json, Map, Value};
use trent_domain::{Arn, RetirementPlan};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::extensions::get_key_usage::refused_attempt;
use crate::shapes::{epoch, required_key_id};

/// A retirement plan on the wire.
pub fn plan(plan: &RetirementPlan) -> Value {
    let mut m = Map::new();
    m.insert("KeyId".into(), json!(Arn::key(&plan.region, &plan.account, plan.key_id).to_string()));
    m.insert("Step".into(), json!(plan.step.as_str()));
    m.insert("ObservationPeriodInSeconds".into(), json!(plan.observe_millis / 1000));
    m.insert("PendingWindowInDays".into(), json!(plan.pending_window_days));
    m.insert("StartedAt".into(), epoch(plan.started_at));
    m.insert("StartedBy".into(), json!(plan.started_by));
    m.insert("ObserveUntil".into(), epoch(plan.observe_until));
    for (member, date) in
        [("ScheduledAt", plan.scheduled_at), ("DeletionDate", plan.deletion_date), ("FinishedAt", plan.finished_at)]
    {
        if let Some(date) = date {
            m.insert(member.into(), epoch(date));
        }
    }
    m.insert("Reason".into(), json!(plan.reason));
    Value::Object(m)
}

/// Handles `Trent.GetKeyRetirement`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let status = service.get_key_retirement(ctx, &required_key_id(body)?).await?;
    Ok(
        json!({ "Retirement": plan(&status.plan), "Attempts": status.attempts.iter().map(refused_attempt).collect::<Vec<_>>() }),
    )
}
