//! Audit events as stores take them: each as its journal entry (the bytes the journal holds, the segment keeps and
//! the chain hashes: an owned event's record serialised once, or an API call's compact fields), with its time and key,
//! and the batch's usage evidence beside them. The key and the usage evidence are read from the entry (a record through
//! a borrowed view, a call from its fields), or, for a call being journaled, taken from the fields it is written from
//! ([`EventBatch::push_call_record`]), so a journaled event crosses threads as bytes and sums, not as dozens of small
//! allocations.

use std::borrow::Cow;
use std::fmt::Write;
use std::ops::Range;

use serde::Deserialize;

use crate::call_record::CallRecord;
use crate::journal::{self, Entry};
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

    /// The view of a record whose writer noted where its members are, without parsing it: `None` when a place is
    /// not in `text` or not between quotes, as a string member's text is (the offsets are from `text`'s start).
    pub fn noted(text: &'a str, noted: &Noted) -> Option<Self> {
        let at = |span: &Range<u32>| {
            let (start, end) = (span.start as usize, span.end as usize);
            let quoted = |index: usize| text.as_bytes().get(index) == Some(&b'"');
            (quoted(start.checked_sub(1)?) && quoted(end)).then(|| text.get(start..end).map(Cow::Borrowed))?
        };
        let optional = |span: &Option<Range<u32>>| optional(span, at);
        Some(Self {
            event_id: at(&noted.event_id)?,
            event_name: at(&noted.event_name)?,
            aws_region: at(&noted.aws_region)?,
            source_ip_address: optional(&noted.source_ip_address)?,
            user_identity: IdentityView { principal_id: at(&noted.principal_id)?, arn: optional(&noted.arn)? },
            error_code: optional(&noted.error_code)?,
            error_message: optional(&noted.error_message)?,
            request_id: optional(&noted.request_id)?,
            event_type: noted.event_type,
            resources: optional(&noted.resource)?.map(|arn| ResourceView { arn }).into_iter().collect(),
            recipient_account_id: at(&noted.recipient_account_id)?,
        })
    }

    /// Who acted: the principal's ARN, else its ID.
    pub fn principal(&self) -> &str {
        self.user_identity.arn.as_deref().unwrap_or(&self.user_identity.principal_id)
    }
}

/// Where the members a [`RecordView`] reads sit in a record's text (byte offsets), noted by its writer as it wrote
/// them ([`crate::record::Record::write_json`]), so the importer of the journal need not parse the record again.
/// Only a record whose members needed no escaping and that names at most one resource is noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    /// `eventID`.
    pub event_id: Range<u32>,
    /// `eventName`.
    pub event_name: Range<u32>,
    /// `awsRegion`.
    pub aws_region: Range<u32>,
    /// `sourceIPAddress`, when present.
    pub source_ip_address: Option<Range<u32>>,
    /// `userIdentity.principalId`.
    pub principal_id: Range<u32>,
    /// `userIdentity.arn`, when present.
    pub arn: Option<Range<u32>>,
    /// `errorCode`, when present.
    pub error_code: Option<Range<u32>>,
    /// `errorMessage`, when present.
    pub error_message: Option<Range<u32>>,
    /// `requestID`, when present.
    pub request_id: Option<Range<u32>>,
    /// The ARN of the one resource, when there is one.
    pub resource: Option<Range<u32>>,
    /// `eventType`.
    pub event_type: EventType,
    /// `recipientAccountId`.
    pub recipient_account_id: Range<u32>,
}

/// `read` of an optional member's place: `Some(None)` when the member is absent, `None` when `read` finds nothing.
fn optional<T>(span: &Option<Range<u32>>, read: impl Fn(&Range<u32>) -> Option<T>) -> Option<Option<T>> {
    span.as_ref().map_or(Some(None), |span| read(span).map(Some))
}

impl Noted {
    /// The same places, counted from `origin` in the text instead of from its start (`None` when one is before it).
    pub fn from(&self, origin: usize) -> Option<Self> {
        let origin = u32::try_from(origin).ok()?;
        let shift = |span: &Range<u32>| Some(span.start.checked_sub(origin)?..span.end.checked_sub(origin)?);
        let optional = |span: &Option<Range<u32>>| optional(span, shift);
        Some(Self {
            event_id: shift(&self.event_id)?,
            event_name: shift(&self.event_name)?,
            aws_region: shift(&self.aws_region)?,
            source_ip_address: optional(&self.source_ip_address)?,
            principal_id: shift(&self.principal_id)?,
            arn: optional(&self.arn)?,
            error_code: optional(&self.error_code)?,
            error_message: optional(&self.error_message)?,
            request_id: optional(&self.request_id)?,
            resource: optional(&self.resource)?,
            event_type: self.event_type,
            recipient_account_id: shift(&self.recipient_account_id)?,
        })
    }
}

/// One event of an [`EventBatch`]: when it happened, the key it is about (for the trail's index by key), and where
/// its entry and the bytes the chain hashes are in the batch's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// When, ms since the epoch.
    pub millis: i64,
    /// The first key ARN the event is about.
    pub key_arn: Option<String>,
    /// Its entry in [`EventBatch::entries`]: a line (newline included), or a call's framed compact body.
    pub entry: Range<usize>,
    /// What the chain hashes, in [`EventBatch::entries`]: a line's record, or a call's compact body.
    pub chained: Range<usize>,
}

/// An event's journal line (without its newline) with where its record's members sit in it, as its writer noted them:
/// what a batch takes without parsing the record it has just written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    /// `millis TAB record`.
    pub text: String,
    /// Where the record's members sit in `text`, when they could be noted.
    pub noted: Option<Noted>,
}

impl JournalLine {
    /// `event`'s line.
    pub fn of(event: &AuditEvent) -> Result<Self, LineError> {
        let mut line = Vec::with_capacity(1024);
        let noted = event.write_journal_line(&mut line);
        line.pop();
        Ok(Self { text: String::from_utf8(line).map_err(|_| LineError::Malformed)?, noted })
    }
}

/// Why a journal line could not join a batch.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The line is not `millis TAB record`.
    #[error("not a journal line (millis, a tab, a record)")]
    Malformed,
    /// The record is not a CloudTrail record.
    #[error("unreadable record: {0}")]
    Record(#[from] serde_json::Error),
}

/// Events to append to the chain in order, as their journal entries (the form a segment stores: a record's line,
/// `millis TAB record NEWLINE`, or a call's compact entry, [`crate::journal`]), with their usage evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventBatch {
    /// The events' entries, in order.
    pub entries: Vec<u8>,
    /// The events, in order.
    pub events: Vec<StoredEvent>,
    /// What they say about key usage.
    pub usage: UsageBatch,
    /// Room to write a call's principal ARN and address in for its usage evidence, kept between calls.
    call_text: CallText,
}

/// Text written for one call at a time and kept for the next: room, not part of a batch's value (two batches of the
/// same events are equal whatever their room holds).
#[derive(Clone, Default)]
struct CallText {
    principal_arn: String,
    source_ip: String,
    /// The address `source_ip` holds as text: calls from one address follow each other, formatted once.
    source_ip_of: Option<std::net::IpAddr>,
}

impl PartialEq for CallText {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for CallText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallText")
    }
}

impl EventBatch {
    /// Adds a journal line (without its newline) and its usage evidence; a line that cannot be read changes nothing.
    pub fn push_line(&mut self, line: &str) -> Result<(), LineError> {
        self.push_noted_line(line, None)
    }

    /// [`EventBatch::push_line`] for a line whose writer noted where its record's members are (offsets from the
    /// line's start, as [`crate::AuditEvent::write_journal_line`] returns them): the record is read without being
    /// parsed, unless the places are not in it.
    pub fn push_noted_line(&mut self, line: &str, noted: Option<&Noted>) -> Result<(), LineError> {
        let (millis, record) = line.split_once('\t').ok_or(LineError::Malformed)?;
        let millis: i64 = millis.parse().map_err(|_| LineError::Malformed)?;
        if record.contains('\n') {
            return Err(LineError::Malformed);
        }
        // One reading serves both the usage evidence and the key index.
        let view = match noted.and_then(|noted| RecordView::noted(line, noted)) {
            Some(view) => view,
            None => RecordView::parse(record)?,
        };
        self.usage.add(&view, millis);
        let key_arn = view.resources.first().map(|r| r.arn.to_string());
        let start = self.entries.len();
        let record_start = start + line.len() - record.len();
        self.entries.extend_from_slice(line.as_bytes());
        self.entries.push(b'\n');
        self.events.push(StoredEvent {
            millis,
            key_arn,
            entry: start..self.entries.len(),
            chained: record_start..self.entries.len() - 1,
        });
        Ok(())
    }

    /// Adds a call's compact journal entry (the body of an [`Entry::Call`]) as it is, with its usage evidence read from
    /// its fields: the record is rendered only when it is read back. A body of the layout without an event ID is
    /// written again with one. A body that cannot be read changes nothing.
    pub fn push_call(&mut self, body: &[u8]) -> Result<(), LineError> {
        let mut parameters = Vec::new();
        let call = journal::read_call(body, &mut parameters).ok_or(LineError::Malformed)?;
        match call.event_id {
            Some(event_id) => {
                let start = self.entries.len();
                journal::frame_call(body, &mut self.entries);
                self.add_call(&call, event_id, start);
            }
            None => self.push_call_record(&call),
        }
        Ok(())
    }

    /// Adds the call `record` as its compact journal entry ([`journal::write_call`], with the event ID chosen here
    /// when it has none) with its usage evidence, taken from its fields: what [`EventBatch::push_call`] adds for the
    /// same entry, without reading it back.
    pub fn push_call_record(&mut self, record: &CallRecord<'_>) {
        let event_id = record.event_id.unwrap_or_else(uuid::Uuid::new_v4);
        let start = self.entries.len();
        journal::write_call(&CallRecord { event_id: Some(event_id), ..*record }, &mut self.entries);
        debug_assert!(
            self.entries.get(start + journal::CALL_HEADER_BYTES..).is_some_and(|body| {
                journal::read_call(body, &mut Vec::new()).is_some_and(|read| read.event_id == Some(event_id))
            }),
            "a call's entry reads back, as a journal's recovery reads it"
        );
        self.add_call(record, event_id, start);
    }

    /// The event and usage evidence of `call`, journaled with `event_id` in the entry that starts at `start` in the
    /// entries.
    fn add_call(&mut self, call: &CallRecord<'_>, event_id: uuid::Uuid, start: usize) {
        let mut event_id_text = [0; uuid::fmt::Hyphenated::LENGTH];
        let event_id = event_id.hyphenated().encode_lower(&mut event_id_text);
        let CallText { principal_arn, source_ip, source_ip_of } = &mut self.call_text;
        let principal_arn = call.caller.write_arn(principal_arn);
        let source_ip = call.source_ip.map(|ip| {
            if *source_ip_of != Some(ip) {
                source_ip.clear();
                let _ = write!(source_ip, "{ip}");
                *source_ip_of = Some(ip);
            }
            source_ip.as_str()
        });
        self.usage.add(&call.view(event_id, principal_arn, source_ip), call.at.0);
        let body_start = start + journal::CALL_HEADER_BYTES;
        self.events.push(StoredEvent {
            millis: call.at.0,
            key_arn: call.key_arn.map(str::to_owned),
            entry: start..self.entries.len(),
            chained: body_start.min(self.entries.len())..self.entries.len(),
        });
    }

    /// Moves `other`'s events and usage evidence after this batch's, leaving it empty (its room kept): the batch is
    /// then what pushing both batches' entries into this one would have made.
    pub fn append(&mut self, other: &mut EventBatch) {
        let shift = self.entries.len();
        self.entries.extend_from_slice(&other.entries);
        self.events.extend(other.events.drain(..).map(|event| StoredEvent {
            entry: event.entry.start + shift..event.entry.end + shift,
            chained: event.chained.start + shift..event.chained.end + shift,
            ..event
        }));
        self.usage.append(&mut other.usage);
        other.entries.clear();
    }

    /// Adds a journal entry: a line through [`EventBatch::push_noted_line`], a call through
    /// [`EventBatch::push_call`].
    pub fn push_entry(&mut self, entry: Entry<'_>) -> Result<(), LineError> {
        match entry {
            Entry::Line(line) => self.push_line(std::str::from_utf8(line).map_err(|_| LineError::Malformed)?),
            Entry::Call(body) => self.push_call(body),
        }
    }

    /// Serialises `event` into the batch.
    pub fn push(&mut self, event: &AuditEvent) -> Result<(), LineError> {
        self.push_journal_line(&JournalLine::of(event)?)
    }

    /// Adds an event's journal line, read from its notes where it has them.
    pub fn push_journal_line(&mut self, line: &JournalLine) -> Result<(), LineError> {
        self.push_noted_line(&line.text, line.noted.as_ref())
    }

    /// A batch of these events.
    pub fn of(events: &[AuditEvent]) -> Result<Self, LineError> {
        let mut batch = Self::default();
        for event in events {
            batch.push(event)?;
        }
        Ok(batch)
    }

    /// The bytes `range` of [`EventBatch::entries`] spans (empty for a range outside it).
    pub fn bytes(&self, range: Range<usize>) -> &[u8] {
        self.entries.get(range).unwrap_or_default()
    }

    /// Empties the batch, keeping its buffers' room: a batch refilled again and again touches no fresh memory.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.events.clear();
        self.usage.clear();
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
    fn a_batch_keeps_each_events_line_record_and_key() {
        let identity = UserIdentity {
            kind: "Root".into(),
            principal_id: "111122223333".into(),
            arn: Some("arn:aws:iam::111122223333:root".into()),
            account_id: None,
            access_key_id: None,
            user_name: None,
        };
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
        let mut batch = EventBatch::of(&[event.clone(), event.clone()]).unwrap();
        let second = &batch.events[1];
        let record = serde_json::to_string(&event).unwrap();
        assert_eq!(
            (second.millis, second.key_arn.as_deref()),
            (1_700_000_000_123, Some("arn:aws:kms:eu-west-1:111122223333:key/k"))
        );
        assert_eq!(batch.bytes(second.chained.clone()), record.as_bytes());
        assert_eq!(batch.bytes(second.entry.clone()), format!("1700000000123\t{record}\n").as_bytes());
        assert_eq!(batch.usage.refused.len(), 2);
        let view = RecordView::parse(std::str::from_utf8(batch.bytes(second.chained.clone())).unwrap()).unwrap();
        assert_eq!(view.error_message.as_deref(), Some("a \"quoted\" message"));
        assert_eq!(view.principal(), "arn:aws:iam::111122223333:root");
        for bad in ["no tab", "12x\t{}", "5\t{\"not\":\"a record\"}"] {
            assert!(batch.push_line(bad).is_err(), "{bad}");
        }
        assert_eq!(batch.events.len(), 2, "a bad line changes nothing");
        assert_eq!(batch.entries.iter().filter(|b| **b == b'\n').count(), 2);
    }

    /// Events of every shape the importer meets: calls by each kind of caller, refusals, service events, events with
    /// no resource and with several.
    fn events_of_every_shape() -> Vec<AuditEvent> {
        let account = AccountId::parse("111122223333").unwrap();
        let region = Region::parse("eu-west-1").unwrap();
        let arn = "arn:aws:kms:eu-west-1:111122223333:key/k".to_owned();
        let call = |name: &str, identity: UserIdentity, key: Option<String>| {
            AuditEvent::new(name, EventType::AwsApiCall, Timestamp(1_700_000_000_123), &account, &region, identity, key)
                .with_request("req-1", Some("10.1.2.3".to_owned()))
        };
        let mut several = call("ReEncrypt", UserIdentity::root(&account, "AKID"), Some(arn.clone()));
        several.resources.push(several.resources[0].clone());
        several.resources[1].arn.push('2');
        vec![
            call("Encrypt", UserIdentity::root(&account, "AKID"), Some(arn.clone())),
            call("Decrypt", UserIdentity::user(&account, "AKIAUSER", "alice", "AIDA"), Some(arn.clone()))
                .with_error("DisabledException", "arn:aws:kms:eu-west-1:111122223333:key/k is disabled."),
            call("Decrypt", UserIdentity::unknown(Some("nobody")), None)
                .with_error("UnrecognizedClientException", "The security token included in the request is invalid."),
            call("Sign", UserIdentity::root(&account, "AKID"), Some(arn.clone()))
                .with_error("KMSInvalidStateException", "a \"quoted\" message"),
            AuditEvent::new(
                "DeleteKey",
                EventType::AwsServiceEvent,
                Timestamp(5),
                &account,
                &region,
                AuditEvent::service_identity(),
                Some(arn),
            ),
            several,
        ]
    }

    #[test]
    fn a_noted_line_is_read_exactly_as_its_parse_reads_it() {
        let mut noted_lines = 0;
        for event in events_of_every_shape() {
            let mut line = b"previous line\n".to_vec();
            let start = line.len();
            let noted = event.write_journal_line(&mut line);
            let line = std::str::from_utf8(&line[start..line.len() - 1]).unwrap();
            let record = line.split_once('\t').unwrap().1;
            let parsed = format!("{:?}", RecordView::parse(record).unwrap());
            if let Some(noted) = &noted {
                noted_lines += 1;
                assert_eq!(format!("{:?}", RecordView::noted(line, noted).unwrap()), parsed, "{line}");
            }
            let (mut by_notes, mut by_parse) = (EventBatch::default(), EventBatch::default());
            by_notes.push_noted_line(line, noted.as_ref()).unwrap();
            by_parse.push_line(line).unwrap();
            assert_eq!(by_notes, by_parse, "{line}");
            let mut by_push = EventBatch::default();
            by_push.push(&event).unwrap();
            assert_eq!(by_push, by_parse, "an event pushed is read from its notes, as parsed: {line}");
        }
        assert_eq!(noted_lines, 4, "all but the escaped message and the two resources are noted");
    }

    /// A call's compact journal entry, and its body.
    fn call_entry(record: &CallRecord<'_>) -> (Vec<u8>, Vec<u8>) {
        let mut entry = Vec::new();
        journal::write_call(record, &mut entry);
        let body = entry[journal::CALL_HEADER_BYTES..].to_vec();
        (entry, body)
    }

    #[test]
    fn a_call_is_stored_as_its_entry_with_the_evidence_and_key_its_rendered_record_holds() {
        let parameters = [("keyId", serde_json::from_str(r#""k""#).unwrap())];
        let agent = crate::call_record::fixtures::long_agent();
        let calls = crate::call_record::fixtures::calls(&parameters, &agent);
        // Every call alone, then all of them in one batch, from each address in turn and back to the first.
        let (mut all_by_entry, mut all_by_record) = (EventBatch::default(), EventBatch::default());
        for record in calls.iter().chain(&calls) {
            let (entry, body) = call_entry(record);
            let mut rendered = Vec::new();
            journal::render_call(&body, &mut rendered).unwrap();
            let line = std::str::from_utf8(rendered.strip_suffix(b"\n").unwrap()).unwrap();
            let (mut by_entry, mut by_record) = (EventBatch::default(), EventBatch::default());
            by_entry.push_call(&body).unwrap();
            by_record.push_line(line).unwrap();
            assert_eq!(by_entry.entries, entry, "the entry is stored as it was journaled");
            assert_eq!(by_entry.bytes(by_entry.events[0].chained.clone()), body, "the chain covers its body");
            assert_eq!(by_entry.usage, by_record.usage, "{line}");
            let (stored, parsed) = (&by_entry.events[0], &by_record.events[0]);
            assert_eq!((stored.millis, &stored.key_arn), (parsed.millis, &parsed.key_arn), "{line}");
            let mut again = Vec::new();
            journal::render_call(&body, &mut again).unwrap();
            assert_eq!(again, rendered, "the entry holds its event ID: it renders the same record every time");
            all_by_entry.push_call(&body).unwrap();
            all_by_record.push_line(line).unwrap();
        }
        assert_eq!(all_by_entry.usage, all_by_record.usage, "calls after one another keep their own addresses");
    }

    #[test]
    fn a_call_pushed_as_it_is_journaled_makes_the_batch_its_entry_makes_when_read_back() {
        let parameters = [("keyId", serde_json::from_str(r#""k""#).unwrap())];
        let agent = crate::call_record::fixtures::long_agent();
        let mut calls = crate::call_record::fixtures::calls(&parameters, &agent);
        calls.push(refused_by_state(calls[2]));
        let (mut live, mut read_back) = (EventBatch::default(), EventBatch::default());
        for record in calls.iter().chain(&calls) {
            let start = live.entries.len();
            live.push_call_record(record);
            read_back.push_entry(journal::entries(&live.entries, start)[0].0).unwrap();
        }
        assert_eq!(live.events.len(), calls.len() * 2);
        assert_eq!(live.usage.refused.len(), 2, "the attempts on a disabled key are evidence");
        assert_eq!(live, read_back, "the same entries, events and usage evidence");
    }

    /// `call` refused because its key is disabled.
    fn refused_by_state(call: CallRecord<'_>) -> CallRecord<'_> {
        CallRecord { error: Some(("DisabledException", "The key is disabled.")), response_key_id: None, ..call }
    }

    #[test]
    fn batches_appended_make_the_batch_of_all_their_events_in_order() {
        let mut calls = crate::call_record::fixtures::calls(&[], "");
        calls.push(refused_by_state(calls[0]));
        let events = events_of_every_shape();
        let mut whole = EventBatch::default();
        let mut parts: Vec<EventBatch> = Vec::new();
        // Parts of one, two and three events, calls and owned events, the same key's use in several parts.
        for (index, record) in calls.iter().chain(&calls).enumerate() {
            if index % 3 != 1 {
                parts.push(EventBatch::default());
            }
            let part = parts.last_mut().unwrap();
            let event_id = uuid::Uuid::new_v4();
            let record = CallRecord { event_id: Some(event_id), at: Timestamp(index as i64 % 4), ..*record };
            whole.push_call_record(&record);
            part.push_call_record(&record);
            let event = &events[index % events.len()];
            whole.push(event).unwrap();
            part.push(event).unwrap();
        }
        let mut appended = EventBatch::default();
        for part in &mut parts {
            appended.append(part);
            assert!(part.is_empty() && part.entries.is_empty() && part.usage.is_empty(), "a part is left empty");
        }
        assert_eq!(appended, whole);
    }

    #[test]
    fn a_call_journaled_without_an_event_id_is_stored_with_one() {
        let calls = crate::call_record::fixtures::calls(&[], "");
        let (_, body) = call_entry(&calls[0]);
        // The layout before: the layout byte 1, and no event ID after the time and readOnly.
        let old = [&[1], &body[1..10], &body[26..]].concat();
        let mut batch = EventBatch::default();
        batch.push_call(&old).unwrap();
        let stored = batch.bytes(batch.events[0].chained.clone()).to_vec();
        assert_eq!((stored.len(), stored[0]), (body.len(), body[0]), "written again in today's layout");
        let (mut first, mut second) = (Vec::new(), Vec::new());
        journal::render_call(&stored, &mut first).unwrap();
        journal::render_call(&stored, &mut second).unwrap();
        assert_eq!(first, second);
        assert!(batch.push_call(&body[..body.len() - 1]).is_err(), "a damaged body is refused");
        assert_eq!(batch.events.len(), 1, "and changes nothing");
    }

    #[test]
    fn notes_that_do_not_fit_the_line_are_not_trusted() {
        let event = events_of_every_shape().remove(0);
        let mut line = Vec::new();
        let mut noted = event.write_journal_line(&mut line).unwrap();
        let line = std::str::from_utf8(&line[..line.len() - 1]).unwrap();
        let mut shifted = noted.clone();
        shifted.event_name = shifted.event_name.start + 1..shifted.event_name.end + 1;
        assert!(RecordView::noted(line, &shifted).is_none(), "a place off by one is not between quotes");
        noted.event_id = noted.event_id.start..u32::try_from(line.len()).unwrap() + 5;
        assert!(RecordView::noted(line, &noted).is_none());
        let (mut by_notes, mut by_parse) = (EventBatch::default(), EventBatch::default());
        by_notes.push_noted_line(line, Some(&noted)).unwrap();
        by_parse.push_line(line).unwrap();
        assert_eq!(by_notes, by_parse, "read by parsing instead");
    }

    #[test]
    fn a_cleared_batch_is_an_empty_one() {
        let mut batch = EventBatch::default();
        let mut event = AuditEvent::new(
            "Encrypt",
            crate::EventType::AwsApiCall,
            Timestamp(1),
            &AccountId::parse("111122223333").unwrap(),
            &Region::parse("us-east-1").unwrap(),
            UserIdentity::root(&AccountId::parse("111122223333").unwrap(), "AKID"),
            Some("arn:aws:kms:us-east-1:111122223333:key/k".to_owned()),
        );
        batch.push(&event).unwrap();
        event.error_code = Some("DisabledException".to_owned());
        batch.push(&event).unwrap();
        assert!(!batch.usage.counts.is_empty() && !batch.events.is_empty());
        batch.clear();
        assert_eq!(batch, EventBatch::default());
    }
}
