//! Audit events in CloudTrail's record shape. An event is built only from allow-listed fields, so plaintext,
//! data keys and ciphertext blobs can never appear in one. Stored events form a hash chain ([`chain`]).
#![warn(missing_docs)]

pub mod call_record;
pub mod chain;
pub mod journal;
mod json;
pub mod record;
pub mod segment;
pub mod stored;
pub mod usage;

pub use stored::{EventBatch, JournalLine, LineError, Noted, StoredEvent};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use trent_domain::{AccountId, Region, Timestamp};

/// CloudTrail's record version, as Trent writes it.
const EVENT_VERSION: &str = "1.08";
/// The service an event comes from: AWS's API, and Trent's own events.
pub const EVENT_SOURCE: &str = "kms.amazonaws.com";
/// The service a call through Alibaba's API comes from (Alibaba's endpoint domain), so the one trail says which API
/// was called.
pub const ALIBABA_EVENT_SOURCE: &str = "kms.aliyuncs.com";
/// The resource type of a KMS key.
const KEY_RESOURCE_TYPE: &str = "AWS::KMS::Key";
/// The identity type of an account's administrator.
const ROOT_IDENTITY_TYPE: &str = "Root";
/// The identity type of an account's user.
const USER_IDENTITY_TYPE: &str = "IAMUser";
/// The identity type of a caller refused before it was authenticated.
const UNKNOWN_IDENTITY_TYPE: &str = "Unknown";

/// The ARN of an account's root principal: `arn:aws:iam::<account>:root`.
pub fn root_arn(account: &str) -> String {
    RootArn(account).to_string()
}

/// The ARN of an account's user: `arn:aws:iam::<account>:user/<name>`.
pub fn user_arn(account: &str, name: &str) -> String {
    UserArn { account, name }.to_string()
}

/// A user's ARN, written where it is needed.
pub(crate) struct UserArn<'a> {
    pub(crate) account: &'a str,
    pub(crate) name: &'a str,
}

impl std::fmt::Display for UserArn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "arn:aws:iam::{}:user/{}", self.account, self.name)
    }
}

/// An account's root principal's ARN, written where it is needed.
pub(crate) struct RootArn<'a>(pub(crate) &'a str);

impl std::fmt::Display for RootArn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "arn:aws:iam::{}:root", self.0)
    }
}

/// A time as CloudTrail writes it: `2026-11-23T10:41:11Z`.
pub(crate) struct IsoTime(pub(crate) Timestamp);

impl std::fmt::Display for IsoTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.0.to_utc();
        if !(0..=9999).contains(&t.year) {
            return write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            );
        }
        // Every record is stamped: its digits are written directly rather than through the formatting machinery.
        let two = |value: i64| [b'0' + (value / 10 % 10) as u8, b'0' + (value % 10) as u8];
        let ([y1, y2], [y3, y4], [m1, m2], [d1, d2]) = (two(t.year / 100), two(t.year), two(t.month), two(t.day));
        let ([h1, h2], [n1, n2], [s1, s2]) = (two(t.hour), two(t.minute), two(t.second));
        let text = [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2, b'Z'];
        f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

/// True when a request parameter named `name` may be recorded: the allow-list. Everything else a request carries is
/// dropped. (A `match` rather than a search of a list: every audited call asks.)
fn allowed_parameter(name: &str) -> bool {
    matches!(
        name,
        "acceptPublicKeyRisk"
            | "accessKeyId"
            | "aliasName"
            | "backupId"
            | "customerMasterKeySpec"
            | "description"
            | "destinationKeyId"
            | "enabled"
            | "encapsulationAlgorithm"
            | "encryptionAlgorithm"
            | "force"
            | "keyAgreementAlgorithm"
            | "keyId"
            | "keyPairSpec"
            | "keySpec"
            | "keyUsage"
            | "macAlgorithm"
            | "messageType"
            | "numberOfBytes"
            | "observationPeriodInSeconds"
            | "origin"
            | "pendingWindowInDays"
            | "policyName"
            | "reason"
            | "signingAlgorithm"
            | "sourceKeyId"
            | "targetKeyId"
            | "userName"
    )
}

/// Whether a person (or program) called the API, or the service acted by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    /// A call made through the API.
    AwsApiCall,
    /// Something the service did by itself, such as the deletion at the end of a waiting period.
    AwsServiceEvent,
}

impl EventType {
    /// The name a record gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::AwsApiCall => "AwsApiCall",
            EventType::AwsServiceEvent => "AwsServiceEvent",
        }
    }
}

/// Who made a call (written as the record's `userIdentity`, [`record::Record`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// `Root` for an account's administrator, `AWSService` for the service itself.
    #[serde(rename = "type")]
    pub kind: String,
    /// The principal's ID.
    pub principal_id: String,
    /// The principal's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The principal's account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The access key that signed the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The user's name, for an account's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

impl UserIdentity {
    /// An account's administrator, signing with `access_key_id`.
    pub fn root(account: &AccountId, access_key_id: &str) -> Self {
        Self {
            kind: ROOT_IDENTITY_TYPE.to_owned(),
            principal_id: account.to_string(),
            arn: Some(root_arn(account.as_str())),
            account_id: Some(account.to_string()),
            access_key_id: Some(access_key_id.to_owned()),
            user_name: None,
        }
    }

    /// A user of an account (`IAMUser`), signing with `access_key_id`.
    pub fn user(account: &AccountId, access_key_id: &str, name: &str, user_id: &str) -> Self {
        Self {
            kind: USER_IDENTITY_TYPE.to_owned(),
            principal_id: user_id.to_owned(),
            arn: Some(user_arn(account.as_str(), name)),
            account_id: Some(account.to_string()),
            access_key_id: Some(access_key_id.to_owned()),
            user_name: Some(name.to_owned()),
        }
    }

    /// A caller refused before it was authenticated, with the access key it named, if any.
    pub fn unknown(access_key_id: Option<&str>) -> Self {
        Self {
            kind: UNKNOWN_IDENTITY_TYPE.to_owned(),
            principal_id: String::new(),
            arn: None,
            account_id: None,
            access_key_id: access_key_id.map(str::to_owned),
            user_name: None,
        }
    }
}

/// One audit event, serialised as a CloudTrail record (through [`record::Record`], the record's one definition;
/// the names here are those it is read back with).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// CloudTrail's record version.
    pub event_version: String,
    /// When it happened, ISO 8601 UTC.
    pub event_time: String,
    /// When it happened, milliseconds since the epoch (for ordering and queries).
    #[serde(skip)]
    pub event_millis: i64,
    /// The API called: `kms.amazonaws.com` (and Trent's own events), or `kms.aliyuncs.com` for Alibaba's.
    pub event_source: String,
    /// The operation, e.g. `ScheduleKeyDeletion` or `DeleteKey`.
    pub event_name: String,
    /// The region of the key or request.
    pub aws_region: String,
    /// The caller's address, when there was a caller.
    #[serde(rename = "sourceIPAddress", skip_serializing_if = "Option::is_none")]
    pub source_ip_address: Option<String>,
    /// The caller's `User-Agent`, when there was a caller.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user_agent: Option<String>,
    /// Who acted.
    pub user_identity: UserIdentity,
    /// The allow-listed request parameters.
    pub request_parameters: Map<String, Value>,
    /// Selected response elements (allow-listed like the parameters).
    pub response_elements: Map<String, Value>,
    /// The error code, for a failed call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error message, for a failed call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The request ID returned to the caller (absent for service events).
    #[serde(rename = "requestID", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// This event's unique ID.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// True for calls that change nothing.
    pub read_only: bool,
    /// The key ARNs the event is about.
    pub resources: Vec<Resource>,
    /// `AwsApiCall` or `AwsServiceEvent`.
    pub event_type: EventType,
    /// The account that owns the resources.
    pub recipient_account_id: String,
}

/// A resource an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Resource {
    /// The resource's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// The account that owns it.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// Always `AWS::KMS::Key` for now.
    #[serde(rename = "type")]
    pub kind: String,
}

impl Serialize for AuditEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.record().serialize(serializer)
    }
}

impl AuditEvent {
    /// The event as its record, borrowed.
    pub fn record(&self) -> record::Record<'_> {
        record::Record {
            event_version: &self.event_version,
            event_time: &self.event_time,
            event_source: &self.event_source,
            event_name: &self.event_name,
            aws_region: &self.aws_region,
            source_ip_address: self.source_ip_address.as_ref().map(|ip| ip as &dyn std::fmt::Display),
            user_agent: self.user_agent.as_deref(),
            user_identity: record::Identity::of(&self.user_identity),
            request_parameters: record::Members::Map(&self.request_parameters),
            response_elements: record::Members::Map(&self.response_elements),
            error_code: self.error_code.as_deref(),
            error_message: self.error_message.as_deref(),
            request_id: self.request_id.as_deref(),
            event_id: &self.event_id,
            read_only: self.read_only,
            resources: record::Resources::List(&self.resources),
            event_type: self.event_type,
            recipient_account_id: &self.recipient_account_id,
        }
    }

    /// A new event about one key in one account and region, with no parameters yet.
    pub fn new(
        event_name: &str,
        event_type: EventType,
        at: Timestamp,
        account: &AccountId,
        region: &Region,
        identity: UserIdentity,
        key_arn: Option<String>,
    ) -> Self {
        Self::raw(event_name, event_type, at, account.as_str(), region.as_str(), identity, key_arn)
    }

    /// A new event where the account or region may be unknown (a call refused before it was authenticated):
    /// they are given as text, empty when unknown.
    pub fn raw(
        event_name: &str,
        event_type: EventType,
        at: Timestamp,
        account: &str,
        region: &str,
        identity: UserIdentity,
        key_arn: Option<String>,
    ) -> Self {
        Self {
            event_version: EVENT_VERSION.to_owned(),
            event_time: iso8601(at),
            event_millis: at.0,
            event_source: EVENT_SOURCE.to_owned(),
            event_name: event_name.to_owned(),
            aws_region: region.to_string(),
            source_ip_address: None,
            user_agent: None,
            user_identity: identity,
            request_parameters: Map::new(),
            response_elements: Map::new(),
            error_code: None,
            error_message: None,
            request_id: None,
            event_id: uuid::Uuid::new_v4().to_string(),
            read_only: false,
            resources: key_arn
                .into_iter()
                .map(|arn| Resource { arn, account_id: account.to_owned(), kind: KEY_RESOURCE_TYPE.to_owned() })
                .collect(),
            event_type,
            recipient_account_id: account.to_owned(),
        }
    }

    /// Records a failed call's error code and message.
    pub fn with_error(mut self, code: &str, message: &str) -> Self {
        self.error_code = Some(code.to_owned());
        self.error_message = Some(message.to_owned());
        self
    }

    /// Marks the call as one that changes nothing.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Sets the caller's `User-Agent`.
    pub fn with_user_agent(mut self, user_agent: Option<String>) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// Records a request parameter if its name is on the allow-list; any other name is dropped.
    pub fn with_parameter(mut self, name: &str, value: impl Into<Value>) -> Self {
        if allowed_parameter(name) {
            self.request_parameters.insert(name.to_owned(), value.into());
        }
        self
    }

    /// Records a response element if its name is on the allow-list; any other name is dropped.
    pub fn with_response(mut self, name: &str, value: impl Into<Value>) -> Self {
        const ALLOWED_RESPONSE: &[&str] = &["keyId", "deletionDate", "keyState", "pendingWindowInDays"];
        if ALLOWED_RESPONSE.contains(&name) {
            self.response_elements.insert(name.to_owned(), value.into());
        }
        self
    }

    /// Sets the request ID and caller address of an API call.
    pub fn with_request(mut self, request_id: &str, source_ip: Option<String>) -> Self {
        self.request_id = Some(request_id.to_owned());
        self.source_ip_address = source_ip;
        self
    }

    /// Writes the event's journal line into `out`, the form the audit journal and the stored segments hold (the event
    /// time in ms, a tab, the record, a newline); returns where the record's members sit in the line
    /// ([`stored::Noted`], offsets from the line's start), when they could be noted.
    pub fn write_journal_line(&self, out: &mut Vec<u8>) -> Option<stored::Noted> {
        self.record().write_journal_line(self.event_millis, out)
    }

    /// The key ARN the event is about, if any.
    pub fn key_arn(&self) -> Option<&str> {
        self.resources.first().map(|r| r.arn.as_str())
    }

    /// The identity of the service acting by itself.
    pub fn service_identity() -> UserIdentity {
        UserIdentity {
            kind: "AWSService".to_owned(),
            principal_id: "kms.amazonaws.com".to_owned(),
            arn: None,
            account_id: None,
            access_key_id: None,
            user_name: None,
        }
    }
}

/// Formats a timestamp as CloudTrail does: `2026-11-23T10:41:11Z`.
pub fn iso8601(at: Timestamp) -> String {
    IsoTime(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent::new(
            "Encrypt",
            EventType::AwsApiCall,
            Timestamp(1_700_000_000_000),
            &AccountId::parse("111122223333").unwrap(),
            &Region::parse("us-east-1").unwrap(),
            AuditEvent::service_identity(),
            Some("arn:aws:kms:us-east-1:111122223333:key/k".to_owned()),
        )
    }

    #[test]
    fn only_allow_listed_parameters_may_be_recorded() {
        let allowed = [
            "acceptPublicKeyRisk",
            "accessKeyId",
            "aliasName",
            "backupId",
            "customerMasterKeySpec",
            "description",
            "destinationKeyId",
            "enabled",
            "encapsulationAlgorithm",
            "encryptionAlgorithm",
            "force",
            "keyAgreementAlgorithm",
            "keyId",
            "keyPairSpec",
            "keySpec",
            "keyUsage",
            "macAlgorithm",
            "messageType",
            "numberOfBytes",
            "observationPeriodInSeconds",
            "origin",
            "pendingWindowInDays",
            "policyName",
            "reason",
            "signingAlgorithm",
            "sourceKeyId",
            "targetKeyId",
            "userName",
        ];
        for name in allowed {
            assert!(allowed_parameter(name), "{name}");
        }
        for refused in ["plaintext", "ciphertextBlob", "", "keyid", "keyId ", "KeyId"] {
            assert!(!allowed_parameter(refused), "{refused}");
        }
    }

    #[test]
    fn plaintext_and_ciphertext_never_enter_an_event() {
        let e = event()
            .with_parameter("plaintext", "SECRET-PLAINTEXT")
            .with_parameter("ciphertextBlob", "SECRET-BLOB")
            .with_response("plaintext", "SECRET-DATAKEY")
            .with_error("ValidationException", "bad")
            .with_parameter("keyId", "k");
        let text = serde_json::to_string(&e).unwrap();
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("\"keyId\":\"k\""));
    }

    #[test]
    fn events_serialise_in_cloudtrail_shape() {
        let v = serde_json::to_value(event()).unwrap();
        for field in [
            "eventVersion",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "userIdentity",
            "eventID",
            "eventType",
            "recipientAccountId",
            "resources",
            "readOnly",
        ] {
            assert!(v.get(field).is_some(), "{field}");
        }
        assert_eq!(v["eventTime"], "2023-11-14T22:13:20Z");
        assert_eq!(v["eventSource"], "kms.amazonaws.com");
    }

    #[test]
    fn iso8601_handles_leap_years() {
        assert_eq!(iso8601(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(Timestamp(951_782_400_000)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn iso8601_writes_every_time_as_the_formatting_machinery_does() {
        let mut at = -62_200_000_000_000_i64;
        while at < 253_402_300_800_000 {
            let t = Timestamp(at).to_utc();
            let expected =
                format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.year, t.month, t.day, t.hour, t.minute, t.second);
            assert_eq!(iso8601(Timestamp(at)), expected);
            at += 7_777_777_777_777;
        }
        assert_eq!(iso8601(Timestamp(i64::MAX)), "9999-12-31T23:59:59Z");
        assert_eq!(iso8601(Timestamp(-62_200_000_000_000)), "-002-12-17T14:13:20Z");
    }
}
