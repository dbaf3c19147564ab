//! Audit events as stores take them: each record serialised once (the text the chain hashes and the journal holds),
//! with the columns queries use, and the batch's usage evidence beside them.

use crate::usage::UsageBatch;
use crate::AuditEvent;

/// An event serialised for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event's ID.
    pub event_id: String,
    /// When, ms since the epoch.
    pub millis: i64,
    /// The operation.
    pub event_name: String,
    /// The owning account (empty when unknown).
    pub account: String,
    /// The region (empty when unknown).
    pub region: String,
    /// The first key ARN the event is about.
    pub key_arn: Option<String>,
    /// The CloudTrail record, exactly as chained.
    pub record: String,
}

impl StoredEvent {
    /// Serialises `event`.
    pub fn encode(event: &AuditEvent) -> Result<Self, serde_json::Error> {
        let record = serde_json::to_string(event)?;
        Ok(Self::with_record(event, record))
    }

    /// The stored form of `event` whose record text is `record` (already serialised, e.g. read from a journal).
    pub fn with_record(event: &AuditEvent, record: String) -> Self {
        Self {
            event_id: event.event_id.clone(),
            millis: event.event_millis,
            event_name: event.event_name.clone(),
            account: event.recipient_account_id.clone(),
            region: event.aws_region.clone(),
            key_arn: event.key_arn().map(str::to_owned),
            record,
        }
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
    /// A batch of already serialised events.
    pub fn push_stored(&mut self, event: &AuditEvent, stored: StoredEvent) {
        self.usage.add(event);
        self.events.push(stored);
    }

    /// Serialises `event` into the batch.
    pub fn push(&mut self, event: &AuditEvent) -> Result<(), serde_json::Error> {
        let stored = StoredEvent::encode(event)?;
        self.push_stored(event, stored);
        Ok(())
    }

    /// A batch of these events.
    pub fn of(events: &[AuditEvent]) -> Result<Self, serde_json::Error> {
        let mut batch = Self::default();
        for event in events {
            batch.push(event)?;
        }
        Ok(batch)
    }

    /// Appends another batch after this one.
    pub fn extend(&mut self, other: EventBatch) {
        self.events.extend(other.events);
        for (key, count) in other.usage.counts {
            self.usage.counts.entry(key).and_modify(|sum| sum.absorb(&count)).or_insert(count);
        }
        for (arn, last) in other.usage.last_uses {
            let newer = self.usage.last_uses.get(&arn).is_none_or(|mine| mine.millis <= last.millis);
            if newer {
                self.usage.last_uses.insert(arn, last);
            }
        }
        self.usage.refused.extend(other.usage.refused);
    }

    /// True when there is nothing to append.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}
