//! The edge of `Trent.GetKeyUsage`: `{"KeyId": …}` (any identifier form) answers the key's usage evidence: first and
//! last use, calls split by outcome per operation, day, principal and source address, ciphertexts and data keys
//! produced, failures by error code, and every attempt refused because the key was `Disabled` or `PendingDeletion`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use trent_audit::usage::{LastUse, RefusedUse};
use trent_domain::Timestamp;
use trent_service::ops::get_key_usage::{Calls, UsageReport};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{epoch, required_key_id};

fn calls(calls: &Calls) -> Value {
    json!({ "Succeeded": calls.succeeded, "Failed": calls.failed })
}

fn calls_by(map: &BTreeMap<String, Calls>) -> Value {
    Value::Object(map.iter().map(|(name, c)| (name.clone(), calls(c))).collect())
}

/// The last successful cryptographic use, in GetKeyLastUsage's member names.
pub fn last_use(last: &LastUse) -> Value {
    json!({
        "Operation": last.operation,
        "Timestamp": epoch(Timestamp(last.millis)),
        "CloudTrailEventId": last.event_id,
        "KmsRequestId": last.request_id,
    })
}

/// One refused attempt: who, when, from where, which operation, and the state that refused it.
pub fn refused_attempt(attempt: &RefusedUse) -> Value {
    let state = if attempt.error_code == "DisabledException" { "Disabled" } else { "PendingDeletion" };
    json!({
        "Time": epoch(Timestamp(attempt.millis)),
        "Operation": attempt.operation,
        "Principal": attempt.principal,
        "SourceIPAddress": attempt.source_ip,
        "KeyState": state,
        "ErrorCode": attempt.error_code,
        "ErrorMessage": attempt.error_message,
        "CloudTrailEventId": attempt.event_id,
    })
}

/// A usage report on the wire.
pub fn usage_report(report: &UsageReport) -> Value {
    let mut m = Map::new();
    m.insert("KeyId".into(), json!(report.key.arn().to_string()));
    m.insert("KeyState".into(), json!(report.key.state.as_str()));
    m.insert("KeyCreationDate".into(), epoch(report.key.created_at));
    m.insert("Tracking".into(), json!(report.tracking_start.is_some()));
    if let Some(start) = report.tracking_start {
        m.insert("TrackingStartDate".into(), epoch(start));
    }
    if let Some(first) = report.first_use {
        m.insert("FirstCall".into(), epoch(first));
    }
    if let Some(last) = report.last_call {
        m.insert("LastCall".into(), epoch(last));
    }
    if let Some(last) = &report.usage.last_use {
        m.insert("LastUse".into(), last_use(last));
    }
    m.insert("Calls".into(), calls(&report.total));
    m.insert("CiphertextsProduced".into(), json!(report.ciphertexts));
    m.insert("DataKeysProduced".into(), json!(report.data_keys));
    m.insert("ByOperation".into(), calls_by(&report.by_operation));
    m.insert(
        "ByDay".into(),
        Value::Object(report.by_day.iter().map(|(day, ops)| (day.clone(), calls_by(ops))).collect()),
    );
    m.insert("ByPrincipal".into(), calls_by(&report.by_principal));
    m.insert("BySourceIPAddress".into(), calls_by(&report.by_source));
    m.insert("FailuresByErrorCode".into(), json!(report.failures));
    m.insert("RefusedAttempts".into(), Value::Array(report.usage.refused.iter().map(refused_attempt).collect()));
    if report.key.spec.secret_len().is_none() {
        let mut downloads = Map::new();
        downloads.insert("Count".into(), json!(report.public_key.count));
        if let Some(last) = &report.public_key.last {
            downloads.insert("LastTime".into(), epoch(last.at));
            downloads.insert("LastPrincipal".into(), json!(last.principal));
            downloads.insert("LastSourceIPAddress".into(), json!(last.source_ip));
        }
        m.insert("PublicKeyDownloads".into(), Value::Object(downloads));
    }
    Value::Object(m)
}

/// Handles `Trent.GetKeyUsage`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let report = service.get_key_usage(ctx, &required_key_id(body)?).await?;
    Ok(usage_report(&report))
}
