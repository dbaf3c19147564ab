//! Usage evidence: what audit events say about the use of the keys they name, summed per key, day, operation,
//! principal, source address and outcome. Stores keep these sums beside the events, updated in the transaction that
//! stores the events, so the evidence always agrees with the trail.

use crate::stored::RecordView;
use crate::EventType;

/// Milliseconds in a day: usage is summed per UTC day.
pub const DAY_MILLIS: i64 = 86_400_000;

/// Operations AWS tracks for `GetKeyLastUsage` (the model's `KeyLastUsageTrackingOperation`).
pub const TRACKED_OPERATIONS: &[&str] = &[
    "Decrypt",
    "DeriveSharedSecret",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "ReEncrypt",
    "Sign",
    "Verify",
    "VerifyMac",
    "Encapsulate",
    "Decapsulate",
];

/// The operation of AWS's `KeyLastUsageTrackingOperation` that a call counts as a use of its key as: AWS's own
/// operations, and the Alibaba API's cryptographic calls under the AWS operation they are (AsymmetricSign is a Sign),
/// so that a key used only through Alibaba's API is in use all the same, and `GetKeyLastUsage` names an operation of
/// AWS's enum whichever API was called. `None` for calls that are no use of a key.
pub fn tracked_operation(event_name: &str) -> Option<&'static str> {
    if let Some(name) = TRACKED_OPERATIONS.iter().find(|name| **name == event_name) {
        return Some(name);
    }
    ALIBABA_USES.iter().find(|(alibaba, _)| *alibaba == event_name).map(|(_, aws)| *aws)
}

/// The Alibaba API's cryptographic calls, each with the AWS operation it counts as.
pub const ALIBABA_USES: &[(&str, &str)] = &[
    ("AsymmetricSign", "Sign"),
    ("AsymmetricVerify", "Verify"),
    ("AsymmetricEncrypt", "Encrypt"),
    ("AsymmetricDecrypt", "Decrypt"),
    ("ExportDataKey", "Decrypt"),
    ("GenerateAndExportDataKey", "GenerateDataKey"),
];

/// Operations whose success produces a ciphertext under the key they name first (Alibaba's among them).
const PRODUCES_CIPHERTEXT: &[&str] = &[
    "AsymmetricEncrypt",
    "GenerateAndExportDataKey",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "ReEncrypt",
];

/// Error codes that mean the key exists but its state refused the use: `Disabled` or `PendingDeletion` (or waiting
/// for material), on AWS's API and on Alibaba's.
pub const REFUSED_BY_STATE: &[&str] = &[
    "DisabledException",
    "KMSInvalidStateException",
    "Rejected.Disabled",
    "Rejected.PendingDeletion",
    "Rejected.PendingImport",
];

/// What one usage sum is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    /// The key's ARN.
    pub key_arn: String,
    /// Days since the epoch (UTC).
    pub day: i64,
    /// The operation.
    pub operation: String,
    /// Who called: the principal's ARN (or ID).
    pub principal: String,
    /// From where; empty when unknown.
    pub source_ip: String,
    /// The error code; empty for a success.
    pub error_code: String,
}

/// A usage sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageCount {
    /// Calls.
    pub calls: i64,
    /// Ciphertexts produced under the key (successful Encrypt, GenerateDataKey*, ReEncrypt to the key).
    pub ciphertexts: i64,
    /// The first call, ms since the epoch.
    pub first_millis: i64,
    /// The last call, ms since the epoch.
    pub last_millis: i64,
}

impl UsageCount {
    /// Adds `other` to this sum.
    pub fn absorb(&mut self, other: &UsageCount) {
        self.calls += other.calls;
        self.ciphertexts += other.ciphertexts;
        self.first_millis = self.first_millis.min(other.first_millis);
        self.last_millis = self.last_millis.max(other.last_millis);
    }
}

/// The last successful tracked operation on a key (what `GetKeyLastUsage` answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUse {
    /// The key's ARN.
    pub key_arn: String,
    /// The operation.
    pub operation: String,
    /// When, ms since the epoch.
    pub millis: i64,
    /// The audit event's ID.
    pub event_id: String,
    /// The call's request ID.
    pub request_id: String,
}

/// An attempted use of a key refused because it was `Disabled` or `PendingDeletion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedUse {
    /// The key's ARN.
    pub key_arn: String,
    /// When, ms since the epoch.
    pub millis: i64,
    /// The operation attempted.
    pub operation: String,
    /// Who attempted it.
    pub principal: String,
    /// From where; empty when unknown.
    pub source_ip: String,
    /// The error returned.
    pub error_code: String,
    /// The error message (it names the key's state).
    pub error_message: String,
    /// The audit event's ID.
    pub event_id: String,
}

/// A [`UsageKey`] borrowed from a record, to find a sum without allocating; it hashes exactly as the owned key.
#[derive(Hash)]
struct UsageKeyRef<'a> {
    key_arn: &'a str,
    day: i64,
    operation: &'a str,
    principal: &'a str,
    source_ip: &'a str,
    error_code: &'a str,
}

impl hashbrown::Equivalent<UsageKey> for UsageKeyRef<'_> {
    fn equivalent(&self, key: &UsageKey) -> bool {
        self.day == key.day
            && self.key_arn == key.key_arn
            && self.operation == key.operation
            && self.principal == key.principal
            && self.source_ip == key.source_ip
            && self.error_code == key.error_code
    }
}

impl UsageKeyRef<'_> {
    fn to_owned_key(&self) -> UsageKey {
        UsageKey {
            key_arn: self.key_arn.to_owned(),
            day: self.day,
            operation: self.operation.to_owned(),
            principal: self.principal.to_owned(),
            source_ip: self.source_ip.to_owned(),
            error_code: self.error_code.to_owned(),
        }
    }
}

/// The usage evidence of a batch of events, ready to be added to a store's sums.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageBatch {
    /// Sums to add.
    pub counts: hashbrown::HashMap<UsageKey, UsageCount>,
    /// The latest tracked use per key in the batch.
    pub last_uses: hashbrown::HashMap<String, LastUse>,
    /// Refused attempts, in order.
    pub refused: Vec<RefusedUse>,
}

impl UsageBatch {
    /// Empties the batch, keeping the room its maps and list have for the next one.
    pub fn clear(&mut self) {
        self.counts.clear();
        self.last_uses.clear();
        self.refused.clear();
    }

    /// Adds what the record at `millis` says about key usage: API calls naming a key count; the service's own events
    /// do not. Allocates only for a sum or a key not seen before in the batch.
    pub fn add(&mut self, event: &RecordView<'_>, millis: i64) {
        if event.event_type != EventType::AwsApiCall {
            return;
        }
        let principal = event.principal();
        let source_ip = event.source_ip_address.as_deref().unwrap_or("");
        let error_code = event.error_code.as_deref().unwrap_or("");
        let succeeded = event.error_code.is_none();
        let operation: &str = &event.event_name;
        for (index, resource) in event.resources.iter().enumerate() {
            let arn: &str = &resource.arn;
            let produced = succeeded && index == 0 && PRODUCES_CIPHERTEXT.contains(&operation);
            let count =
                UsageCount { calls: 1, ciphertexts: i64::from(produced), first_millis: millis, last_millis: millis };
            let key = UsageKeyRef {
                key_arn: arn,
                day: millis.div_euclid(DAY_MILLIS),
                operation,
                principal,
                source_ip,
                error_code,
            };
            match self.counts.get_mut(&key) {
                Some(sum) => sum.absorb(&count),
                None => {
                    self.counts.insert(key.to_owned_key(), count);
                }
            }
            if let Some(tracked) = tracked_operation(operation).filter(|_| succeeded) {
                let request_id = event.request_id.as_deref().unwrap_or("");
                match self.last_uses.get_mut(arn) {
                    Some(last) if last.millis <= millis => {
                        // Reuses the strings' buffers: no allocation per event.
                        for (kept, text) in [
                            (&mut last.operation, tracked),
                            (&mut last.event_id, &*event.event_id),
                            (&mut last.request_id, request_id),
                        ] {
                            kept.clear();
                            kept.push_str(text);
                        }
                        last.millis = millis;
                    }
                    Some(_) => {}
                    None => {
                        let last = LastUse {
                            key_arn: arn.to_owned(),
                            operation: tracked.to_owned(),
                            millis,
                            event_id: event.event_id.to_string(),
                            request_id: request_id.to_owned(),
                        };
                        self.last_uses.insert(arn.to_owned(), last);
                    }
                }
            }
            if REFUSED_BY_STATE.contains(&error_code) {
                self.refused.push(RefusedUse {
                    key_arn: arn.to_owned(),
                    millis,
                    operation: operation.to_owned(),
                    principal: principal.to_owned(),
                    source_ip: source_ip.to_owned(),
                    error_code: error_code.to_owned(),
                    error_message: event.error_message.as_deref().unwrap_or("").to_owned(),
                    event_id: event.event_id.to_string(),
                });
            }
        }
    }

    /// Moves `later`'s evidence into this batch's, leaving it empty: the batch is then what adding this batch's
    /// events and then `later`'s would have made (sums added, the latest use kept, refused attempts in order).
    pub fn append(&mut self, later: &mut UsageBatch) {
        for (key, count) in later.counts.drain() {
            match self.counts.get_mut(&key) {
                Some(sum) => sum.absorb(&count),
                None => {
                    self.counts.insert(key, count);
                }
            }
        }
        for (arn, last) in later.last_uses.drain() {
            match self.last_uses.get_mut(&arn) {
                Some(kept) if kept.millis > last.millis => {}
                Some(kept) => *kept = last,
                None => {
                    self.last_uses.insert(arn, last);
                }
            }
        }
        self.refused.append(&mut later.refused);
    }

    /// True when the batch adds nothing.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.last_uses.is_empty() && self.refused.is_empty()
    }
}

/// Everything a store knows about one key's use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyUsage {
    /// The sums, ordered by day, operation, principal, source and outcome.
    pub counts: Vec<(UsageKey, UsageCount)>,
    /// The last successful tracked operation.
    pub last_use: Option<LastUse>,
    /// Refused attempts while `Disabled` or `PendingDeletion`, oldest first.
    pub refused: Vec<RefusedUse>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserIdentity;
    use trent_domain::{AccountId, Region, Timestamp};

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/k";

    #[test]
    fn alibabas_cryptographic_calls_count_as_the_aws_operations_they_are() {
        assert_eq!(tracked_operation("Encrypt"), Some("Encrypt"));
        assert_eq!(tracked_operation("AsymmetricSign"), Some("Sign"));
        assert_eq!(tracked_operation("AsymmetricDecrypt"), Some("Decrypt"));
        assert_eq!(tracked_operation("GenerateAndExportDataKey"), Some("GenerateDataKey"));
        assert_eq!(tracked_operation("DescribeKey"), None);
        assert_eq!(tracked_operation("ScheduleKeyDeletion"), None);
        assert!(REFUSED_BY_STATE.contains(&"Rejected.PendingDeletion"));
    }

    fn call(name: &str, at: i64) -> crate::AuditEvent {
        let identity = UserIdentity {
            kind: "Root".to_owned(),
            principal_id: "111122223333".to_owned(),
            arn: Some("arn:aws:iam::111122223333:root".to_owned()),
            account_id: None,
            access_key_id: None,
            user_name: None,
        };
        crate::AuditEvent::new(
            name,
            EventType::AwsApiCall,
            Timestamp(at),
            &AccountId::parse("111122223333").unwrap(),
            &Region::parse("us-east-1").unwrap(),
            identity,
            Some(ARN.to_owned()),
        )
        .with_request("req", Some("10.0.0.1".to_owned()))
    }

    fn add(batch: &mut UsageBatch, event: &crate::AuditEvent) {
        let record = serde_json::to_string(event).unwrap();
        batch.add(&RecordView::parse(&record).unwrap(), event.event_millis);
    }

    #[test]
    fn calls_are_summed_per_day_operation_and_outcome_and_ciphertexts_counted() {
        let mut batch = UsageBatch::default();
        add(&mut batch, &call("Encrypt", 1_000));
        add(&mut batch, &call("Encrypt", 2_000));
        add(&mut batch, &call("Encrypt", DAY_MILLIS + 5));
        add(&mut batch, &call("Decrypt", 3_000).with_error("DisabledException", "key is disabled"));
        let encrypt_day0 = batch.counts.iter().find(|(k, _)| k.day == 0 && k.operation == "Encrypt").unwrap().1;
        assert_eq!(
            (encrypt_day0.calls, encrypt_day0.ciphertexts, encrypt_day0.first_millis, encrypt_day0.last_millis),
            (2, 2, 1_000, 2_000)
        );
        assert_eq!(batch.counts.len(), 3);
        assert_eq!(batch.last_uses[ARN].millis, DAY_MILLIS + 5, "the last success, not the refused Decrypt");
        assert_eq!(batch.refused.len(), 1);
        assert_eq!(batch.refused[0].operation, "Decrypt");
    }

    #[test]
    fn service_events_and_untracked_operations_do_not_count_as_last_use() {
        let mut batch = UsageBatch::default();
        let mut service = call("DeleteKey", 1);
        service.event_type = EventType::AwsServiceEvent;
        add(&mut batch, &service);
        assert!(batch.is_empty());
        add(&mut batch, &call("DescribeKey", 2));
        assert!(batch.last_uses.is_empty(), "DescribeKey is not a cryptographic operation");
        assert_eq!(batch.counts.len(), 1);
    }
}
