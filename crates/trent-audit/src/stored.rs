//! Audit events as stores take them: each record serialised once (the text the journal holds and the chain hashes),
//! with its time and key, and the batch's usage evidence beside them. After an event is built, its record is its only
//! form: the key and the usage evidence are read back from the record through a borrowed view, so a journaled event
//! crosses threads as text, not as dozens of small allocations.

use std::borrow::Cow;

use serde::Deserialize;

use crate::usage::UsageBatch;
use crate::{AuditEvent, EventType};

/// Who acted, as far as a [`RecordView`] needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityView<'a> {
    /// The principal's ID.
    #[serde(borrow)]
    pub principal_id: Cow<'a, str>,
    /// The principal's ARN.
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
}

/// A resource, as far as a [`RecordView`] needs.
#[derive(Debug, Deserialize)]
pub struct ResourceView<'a> {
    /// The resource's ARN.
    #[serde(rename = "ARN", borrow)]
    pub arn: Cow<'a, str>,
}

/// The members of a stored record that the key index and usage evidence need, borrowed from the record's text
/// (copied only where the JSON escapes a character). Every other member is skipped unread.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordView<'a> {
    /// The event's ID.
    #[serde(rename = "eventID", borrow)]
    pub event_id: Cow<'a, str>,
    /// The operation.
    #[serde(borrow)]
    pub event_name: Cow<'a, str>,
    /// The region (empty when unknown).
    #[serde(borrow)]
    pub aws_region: Cow<'a, str>,
    /// The caller's address.
    #[serde(rename = "sourceIPAddress", borrow, default)]
    pub source_ip_address: Option<Cow<'a, str>>,
    /// Who acted.
    #[serde(borrow)]
    pub user_identity: IdentityView<'a>,
    /// The error code of a failed call.
    #[serde(borrow, default)]
    pub error_code: Option<Cow<'a, str>>,
    /// The error message of a failed call.
    #[serde(borrow, default)]
    pub error_message: Option<Cow<'a, str>>,
    /// The request ID of a call.
    #[serde(rename = "requestID", borrow, default)]
    pub request_id: Option<Cow<'a, str>>,
    /// `AwsApiCall` or `AwsServiceEvent`.
    pub event_type: EventType,
    /// The keys the event is about.
    #[serde(borrow)]
    pub resources: Vec<ResourceView<'a>>,
    /// The owning account (empty when unknown).
    #[serde(borrow)]
    pub recipient_account_id: Cow<'a, str>,
}

impl<'a> RecordView<'a> {
    /// Reads the view of a record.
    pub fn parse(record: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(record)
    }

    /// Who acted: the principal's ARN, else its ID.
    pub fn principal(&self) -> &str {
        self.user_identity.arn.as_deref().unwrap_or(&self.user_identity.principal_id)
    }
}

/// An event serialised for storage: its record (the text the chain hashes), when it happened, and the key it is about
/// (for the trail's index by key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// When, ms since the epoch.
    pub millis: i64,
    /// The first key ARN the event is about.
    pub key_arn: Option<String>,
    /// The CloudTrail record, exactly as chained.
    pub record: String,
}

impl StoredEvent {
    /// Serialises `event`.
    pub fn encode(event: &AuditEvent) -> Result<Self, serde_json::Error> {
        Self::from_record(event.event_millis, serde_json::to_string(event)?)
    }

    /// The stored form of a record serialised earlier (e.g. read from a journal).
    pub fn from_record(millis: i64, record: String) -> Result<Self, serde_json::Error> {
        let key_arn = RecordView::parse(&record)?.resources.first().map(|r| r.arn.to_string());
        Ok(Self { millis, key_arn, record })
    }
}

/// Events to append to the chain in order, with their usage evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventBatch {
    /// The events, in order.
    pub events: Vec<StoredEvent>,
    /// What they say about key usage.
    pub usage: UsageBatch,
}

impl EventBatch {
    /// Adds a record serialised earlier, at `millis`, with its usage evidence.
    pub fn push_record(&mut self, millis: i64, record: String) -> Result<(), serde_json::Error> {
        // One parse serves both the usage evidence and the key index.
        let key_arn = {
            let view = RecordView::parse(&record)?;
            self.usage.add(&view, millis);
            view.resources.first().map(|r| r.arn.to_string())
        };
        self.events.push(StoredEvent { millis, key_arn, record });
        Ok(())
    }

    /// Serialises `event` into the batch.
    pub fn push(&mut self, event: &AuditEvent) -> Result<(), serde_json::Error> {
        self.push_record(event.event_millis, serde_json::to_string(event)?)
    }

    /// A batch of these events.
    pub fn of(events: &[AuditEvent]) -> Result<Self, serde_json::Error> {
        let mut batch = Self::default();
        for event in events {
            batch.push(event)?;
        }
        Ok(batch)
    }

    /// True when there is nothing to append.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserIdentity;
    use trent_domain::{AccountId, Region, Timestamp};

    #[test]
    fn a_stored_event_reads_its_key_back_from_its_record() {
        let identity = UserIdentity { kind: "Root".into(), principal_id: "111122223333".into(), arn: Some("arn:aws:iam::111122223333:root".into()), account_id: None, access_key_id: None };
        let event = AuditEvent::new(
            "Encrypt",
            EventType::AwsApiCall,
            Timestamp(1_700_000_000_123),
            &AccountId::parse("111122223333").unwrap(),
            &Region::parse("eu-west-1").unwrap(),
            identity,
            Some("arn:aws:kms:eu-west-1:111122223333:key/k".into()),
        )
        .with_error("DisabledException", "a \"quoted\" message");
        let stored = StoredEvent::encode(&event).unwrap();
        assert_eq!(stored.millis, 1_700_000_000_123);
        assert_eq!(stored.key_arn.as_deref(), Some("arn:aws:kms:eu-west-1:111122223333:key/k"));
        let view = RecordView::parse(&stored.record).unwrap();
        assert_eq!((view.event_id.as_ref(), view.event_name.as_ref()), (event.event_id.as_str(), "Encrypt"));
        assert_eq!((view.recipient_account_id.as_ref(), view.aws_region.as_ref()), ("111122223333", "eu-west-1"));
        assert_eq!(view.error_message.as_deref(), Some("a \"quoted\" message"));
        assert_eq!(view.principal(), "arn:aws:iam::111122223333:root");
    }
}
