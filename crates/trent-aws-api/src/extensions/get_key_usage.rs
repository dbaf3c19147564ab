//! The edge of `Trent.GetKeyUsage`: `{"KeyId": …}` (any identifier form) answers the key's usage evidence: first and
//! last use, calls split by outcome per operation, day, principal and source address, ciphertexts and data keys
//! produced, failures by error code, every attempt refused because the key was `Disabled` or `PendingDeletion`, and
//! every material the key holds or held (ID, origin, when it came, when imported material expires).

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use trent_audit::usage::RefusedUse;
use trent_domain::{MaterialSummary, RotationType, Timestamp};
use trent_service::ops::get_key_usage::{Calls, PublicKeyDownloads, UsageReport};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::get_key_last_usage::LastUsage;
use crate::shapes::{names_key, required_key_id, response, Reply};

/// Calls split by outcome.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CallCounts {
    succeeded: i64,
    failed: i64,
}

impl From<&Calls> for CallCounts {
    fn from(calls: &Calls) -> Self {
        Self { succeeded: calls.succeeded, failed: calls.failed }
    }
}

/// Calls split by outcome, per name (operation, principal, address).
struct CallsBy<'a>(&'a BTreeMap<String, Calls>);

impl Serialize for CallsBy<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, calls)| (name, CallCounts::from(calls))))
    }
}

/// Calls per day, per operation.
struct CallsByDay<'a>(&'a BTreeMap<String, BTreeMap<String, Calls>>);

impl Serialize for CallsByDay<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(day, operations)| (day, CallsBy(operations))))
    }
}

/// One refused attempt: who, when, from where, which operation, and the state that refused it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefusedAttempt<'a> {
    time: f64,
    operation: &'a str,
    principal: &'a str,
    #[serde(rename = "SourceIPAddress")]
    source_ip_address: &'a str,
    key_state: &'static str,
    error_code: &'a str,
    error_message: &'a str,
    cloud_trail_event_id: &'a str,
}

impl<'a> RefusedAttempt<'a> {
    /// The wire form of `attempt`.
    pub fn of(attempt: &'a RefusedUse) -> Self {
        Self {
            time: Timestamp(attempt.millis).epoch_seconds(),
            operation: &attempt.operation,
            principal: &attempt.principal,
            source_ip_address: &attempt.source_ip,
            key_state: if attempt.error_code == "DisabledException" { "Disabled" } else { "PendingDeletion" },
            error_code: &attempt.error_code,
            error_message: &attempt.error_message,
            cloud_trail_event_id: &attempt.event_id,
        }
    }
}

/// Where a key pair's public key went.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Downloads<'a> {
    count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_principal: Option<&'a str>,
    #[serde(rename = "LastSourceIPAddress", skip_serializing_if = "Option::is_none")]
    last_source_ip_address: Option<&'a str>,
}

impl<'a> Downloads<'a> {
    fn of(downloads: &'a PublicKeyDownloads) -> Self {
        let last = downloads.last.as_ref();
        Self {
            count: downloads.count,
            last_time: last.map(|l| l.at.epoch_seconds()),
            last_principal: last.map(|l| l.principal.as_str()),
            last_source_ip_address: last.map(|l| l.source_ip.as_str()),
        }
    }
}

/// A usage report on the wire.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsageAnswer<'a> {
    key_id: String,
    key_state: &'static str,
    key_creation_date: f64,
    tracking: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_start_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_call: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_call: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_use: Option<LastUsage<'a>>,
    calls: CallCounts,
    ciphertexts_produced: i64,
    data_keys_produced: i64,
    by_operation: CallsBy<'a>,
    by_day: CallsByDay<'a>,
    by_principal: CallsBy<'a>,
    #[serde(rename = "BySourceIPAddress")]
    by_source_ip_address: CallsBy<'a>,
    failures_by_error_code: &'a BTreeMap<String, i64>,
    refused_attempts: Vec<RefusedAttempt<'a>>,
    /// Key pairs only.
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key_downloads: Option<Downloads<'a>>,
    /// Every material the key holds or held, oldest first.
    materials: Vec<Material>,
}

/// One of the key's materials.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Material {
    key_material_id: String,
    origin: &'static str,
    creation_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_to: Option<f64>,
    /// `IMPORTED` or `PENDING_IMPORT`, as ListKeyRotations says of imported material; absent for generated material.
    #[serde(skip_serializing_if = "Option::is_none")]
    import_state: Option<&'static str>,
    key_material_state: &'static str,
}

impl Material {
    fn of(material: MaterialSummary) -> Self {
        Self {
            import_state: material.import_state(),
            key_material_state: material.state.as_str(),
            key_material_id: material.key_material_id,
            origin: material.origin.as_str(),
            creation_date: material.created_at.epoch_seconds(),
            rotation_type: material.rotation_type.map(RotationType::as_str),
            valid_to: material.imported.as_ref().and_then(|imported| imported.valid_to).map(Timestamp::epoch_seconds),
        }
    }
}

names_key!(UsageAnswer<'_>);

impl<'a> UsageAnswer<'a> {
    /// The wire form of `report`.
    pub fn of(report: &'a UsageReport) -> Self {
        Self {
            key_id: report.key.arn().to_string(),
            key_state: report.key.state.as_str(),
            key_creation_date: report.key.created_at.epoch_seconds(),
            tracking: report.tracking_start.is_some(),
            tracking_start_date: report.tracking_start.map(Timestamp::epoch_seconds),
            first_call: report.first_use.map(Timestamp::epoch_seconds),
            last_call: report.last_call.map(Timestamp::epoch_seconds),
            last_use: report.usage.last_use.as_ref().map(LastUsage::of),
            calls: CallCounts::from(&report.total),
            ciphertexts_produced: report.ciphertexts,
            data_keys_produced: report.data_keys,
            by_operation: CallsBy(&report.by_operation),
            by_day: CallsByDay(&report.by_day),
            by_principal: CallsBy(&report.by_principal),
            by_source_ip_address: CallsBy(&report.by_source),
            failures_by_error_code: &report.failures,
            refused_attempts: report.usage.refused.iter().map(RefusedAttempt::of).collect(),
            public_key_downloads: report.key.spec.secret_len().is_none().then(|| Downloads::of(&report.public_key)),
            materials: report.key.materials().into_iter().map(Material::of).collect(),
        }
    }
}

/// Handles `Trent.GetKeyUsage`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let report = service.get_key_usage(ctx, &required_key_id(body)?).await?;
    response(&UsageAnswer::of(&report))
}
