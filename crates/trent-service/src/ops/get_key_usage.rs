//! GetKeyUsage (Trent's extension, `Trent.GetKeyUsage`): what AWS cannot say about a key. First and last use,
//! calls per day, operation, principal and source address, ciphertexts and data keys produced, failures by error
//! code, and every attempt refused because the key was `Disabled` or `PendingDeletion`. The figures are the sums kept
//! beside the audit trail, updated in the transactions that store its events, so they agree with it.

use std::collections::BTreeMap;

use trent_audit::usage::{KeyUsage, DAY_MILLIS};
use trent_domain::{Action, Key, Timestamp};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// Operations whose success hands out a data key.
const DATA_KEY_OPERATIONS: &[&str] = &[
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
];

/// Calls, split by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    /// Calls that succeeded.
    pub succeeded: i64,
    /// Calls that failed.
    pub failed: i64,
}

impl Calls {
    fn add(&mut self, error_code: &str, calls: i64) {
        if error_code.is_empty() {
            self.succeeded += calls;
        } else {
            self.failed += calls;
        }
    }
}

/// The last successful GetPublicKey on a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub principal: String,
    /// From where; empty when unknown.
    pub source_ip: String,
}

/// Where an asymmetric key's public key went: evidence that matters before deleting it, since whoever holds the public
/// key can still encrypt data (or trust signatures) after the private key is gone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeyDownloads {
    /// Successful GetPublicKey calls.
    pub count: i64,
    /// The last of them.
    pub last: Option<Download>,
}

impl PublicKeyDownloads {
    /// "downloaded 3 time(s), last by arn:… at 2026-12-03T06:00:00Z from 10.0.0.1", or `None` if never.
    pub fn summary(&self) -> Option<String> {
        let last = self.last.as_ref()?;
        let from = if last.source_ip.is_empty() { String::new() } else { format!(" from {}", last.source_ip) };
        Some(format!(
            "downloaded {} time(s), last by {} at {}{from}",
            self.count,
            last.principal,
            trent_audit::iso8601(last.at)
        ))
    }
}

/// A key's usage evidence, summed for people and scripts.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageReport {
    /// The key.
    pub key: Key,
    /// When tracking started (see GetKeyLastUsage); `None` when calls are not recorded.
    pub tracking_start: Option<Timestamp>,
    /// The first call naming the key.
    pub first_use: Option<Timestamp>,
    /// The last call naming the key.
    pub last_call: Option<Timestamp>,
    /// All calls.
    pub total: Calls,
    /// Ciphertexts produced under the key.
    pub ciphertexts: i64,
    /// Data keys handed out under the key.
    pub data_keys: i64,
    /// Calls per operation.
    pub by_operation: BTreeMap<String, Calls>,
    /// Calls per UTC day (`YYYY-MM-DD`), then operation.
    pub by_day: BTreeMap<String, BTreeMap<String, Calls>>,
    /// Calls per principal.
    pub by_principal: BTreeMap<String, Calls>,
    /// Calls per source address.
    pub by_source: BTreeMap<String, Calls>,
    /// Failed calls per error code.
    pub failures: BTreeMap<String, i64>,
    /// Where the public key went (asymmetric keys).
    pub public_key: PublicKeyDownloads,
    /// The raw evidence, including the last use and the refused attempts.
    pub usage: KeyUsage,
}

impl UsageReport {
    /// Sums `usage` for `key`.
    pub fn new(key: Key, tracking_start: Option<Timestamp>, usage: KeyUsage) -> Self {
        let mut report = UsageReport {
            key,
            tracking_start,
            first_use: None,
            last_call: None,
            total: Calls::default(),
            ciphertexts: 0,
            data_keys: 0,
            by_operation: BTreeMap::new(),
            by_day: BTreeMap::new(),
            by_principal: BTreeMap::new(),
            by_source: BTreeMap::new(),
            failures: BTreeMap::new(),
            public_key: PublicKeyDownloads::default(),
            usage: KeyUsage::default(),
        };
        for (k, c) in &usage.counts {
            report.first_use =
                Some(report.first_use.map_or(Timestamp(c.first_millis), |t| t.min(Timestamp(c.first_millis))));
            report.last_call =
                Some(report.last_call.map_or(Timestamp(c.last_millis), |t| t.max(Timestamp(c.last_millis))));
            report.total.add(&k.error_code, c.calls);
            report.ciphertexts += c.ciphertexts;
            if k.error_code.is_empty() && DATA_KEY_OPERATIONS.contains(&k.operation.as_str()) {
                report.data_keys += c.calls;
            }
            report.by_operation.entry(k.operation.clone()).or_default().add(&k.error_code, c.calls);
            let day = Timestamp(k.day * DAY_MILLIS).to_utc();
            let day = format!("{:04}-{:02}-{:02}", day.year, day.month, day.day);
            report.by_day.entry(day).or_default().entry(k.operation.clone()).or_default().add(&k.error_code, c.calls);
            report.by_principal.entry(k.principal.clone()).or_default().add(&k.error_code, c.calls);
            let source = if k.source_ip.is_empty() { "unknown".to_owned() } else { k.source_ip.clone() };
            report.by_source.entry(source).or_default().add(&k.error_code, c.calls);
            if !k.error_code.is_empty() {
                *report.failures.entry(k.error_code.clone()).or_default() += c.calls;
            }
            if k.error_code.is_empty() && k.operation == "GetPublicKey" {
                report.public_key.count += c.calls;
                if report.public_key.last.as_ref().is_none_or(|last| last.at.0 < c.last_millis) {
                    report.public_key.last = Some(Download {
                        at: Timestamp(c.last_millis),
                        principal: k.principal.clone(),
                        source_ip: k.source_ip.clone(),
                    });
                }
            }
        }
        report.usage = usage;
        report
    }

    /// Tracked successful uses (cryptographic operations) since `since`, from the daily sums: the days overlapping
    /// the period count whole, so this errs towards "in use".
    pub fn tracked_uses_since(&self, since: Timestamp) -> i64 {
        self.usage
            .counts
            .iter()
            .filter(|(k, c)| {
                k.error_code.is_empty()
                    && trent_audit::usage::tracked_operation(&k.operation).is_some()
                    && c.last_millis >= since.0
            })
            .map(|(_, c)| c.calls)
            .sum()
    }
}

impl Service {
    /// GetKeyUsage. Works in every state, like DescribeKey.
    pub async fn get_key_usage(&self, ctx: &RequestContext, key_id: &str) -> Result<UsageReport, ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Accepted).await?;
        let key = loaded.key.clone();
        authorize(ctx, "trent:GetKeyUsage", &key)?;
        check_state(&key, Action::DescribeKey)?;
        self.usage_report(key).await
    }

    /// The usage report of `key`, after every call recorded so far has reached the store.
    pub(crate) async fn usage_report(&self, key: Key) -> Result<UsageReport, ServiceError> {
        self.flush_audit().await;
        let usage = self.store.key_usage(&key.arn().to_string()).await?;
        let tracking_start = self.usage_tracking_start().await?.map(|start| start.max(key.created_at));
        Ok(UsageReport::new(key, tracking_start, usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_audit::usage::{UsageCount, UsageKey};

    fn row(day: i64, operation: &str, error: &str, calls: i64, ciphertexts: i64) -> (UsageKey, UsageCount) {
        (
            UsageKey {
                key_arn: "arn".into(),
                day,
                operation: operation.into(),
                principal: "p".into(),
                source_ip: String::new(),
                error_code: error.into(),
            },
            UsageCount { calls, ciphertexts, first_millis: day * DAY_MILLIS + 1, last_millis: day * DAY_MILLIS + 2 },
        )
    }

    #[test]
    fn the_report_sums_by_operation_day_and_outcome() {
        let usage = KeyUsage {
            counts: vec![
                row(0, "Encrypt", "", 3, 3),
                row(0, "GenerateDataKey", "", 2, 2),
                row(1, "Decrypt", "DisabledException", 4, 0),
                row(0, "GetPublicKey", "", 2, 0),
                row(2, "GetPublicKey", "", 1, 0),
                row(3, "GetPublicKey", "DisabledException", 1, 0),
            ],
            last_use: None,
            refused: vec![],
        };
        let report = UsageReport::new(trent_store::conformance::sample_key(), None, usage);
        assert_eq!(report.total, Calls { succeeded: 8, failed: 5 });
        assert_eq!(report.public_key.count, 3, "refused downloads gave nothing away");
        assert_eq!(report.public_key.last.as_ref().map(|d| d.at), Some(Timestamp(2 * DAY_MILLIS + 2)));
        assert_eq!((report.ciphertexts, report.data_keys), (5, 2));
        assert_eq!(report.failures["DisabledException"], 5);
        assert_eq!(report.by_day["1970-01-02"]["Decrypt"].failed, 4);
        assert_eq!(report.by_source["unknown"].succeeded, 8);
        assert_eq!(report.first_use, Some(Timestamp(1)));
        assert_eq!(report.tracked_uses_since(Timestamp(DAY_MILLIS)), 0, "the refused Decrypts are not uses");
        assert_eq!(report.tracked_uses_since(Timestamp(0)), 5);
    }
}
