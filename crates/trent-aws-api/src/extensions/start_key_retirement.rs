//! The edge of `Trent.StartKeyRetirement`: `{"KeyId", "ObservationPeriodInSeconds" (0 to 366 days, default 14 days),
//! "PendingWindowInDays" (7 to 30, default 30), "Force", "AcceptPublicKeyRisk"}` assesses the key's usage (and for a
//! key pair, where its public key went), disables it and starts the plan;
//! answers `{"Retirement": <plan>, "Usage": <usage report>}`, and for a multi-Region primary `"ReplicaRetirements"`:
//! the plans of its replicas, which retire with it (first).

use serde::{Deserialize, Serialize};
use trent_service::ops::schedule_key_deletion::DEFAULT_PENDING_WINDOW_DAYS;
use trent_service::ops::start_key_retirement::{RetirementRequest, MAX_OBSERVATION_SECONDS};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::extensions::get_key_retirement::PlanAnswer;
use crate::extensions::get_key_usage::UsageAnswer;
use crate::shapes::{check_key_id, parse_body, response, Reply, Shape};
use crate::validate::Validator;

/// The observation period when none is given: two weeks.
pub const DEFAULT_OBSERVATION_SECONDS: i64 = 14 * 86_400;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    observation_period_in_seconds: Option<i64>,
    pending_window_in_days: Option<i64>,
    force: Option<bool>,
    accept_public_key_risk: Option<bool>,
}

/// `Trent.StartKeyRetirement`'s answer: the plan and the usage evidence it started from.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    retirement: PlanAnswer<'a>,
    usage: UsageAnswer<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    replica_retirements: Vec<PlanAnswer<'a>>,
}

impl Shape for Answer<'_> {}

/// Handles `Trent.StartKeyRetirement`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.range("observationPeriodInSeconds", request.observation_period_in_seconds, 0, MAX_OBSERVATION_SECONDS).range(
        "pendingWindowInDays",
        request.pending_window_in_days,
        1,
        365,
    );
    v.finish()?;
    let retirement = RetirementRequest {
        observation_seconds: request.observation_period_in_seconds.unwrap_or(DEFAULT_OBSERVATION_SECONDS),
        pending_window_days: request.pending_window_in_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS),
        force: request.force.unwrap_or(false),
        accept_public_key_risk: request.accept_public_key_risk.unwrap_or(false),
    };
    let (started, report, replicas) =
        service.start_key_retirement(ctx, request.key_id.as_deref().unwrap_or_default(), retirement).await?;
    response(&Answer {
        retirement: PlanAnswer::of(&started),
        usage: UsageAnswer::of(&report),
        replica_retirements: replicas.iter().map(PlanAnswer::of).collect(),
    })
}
