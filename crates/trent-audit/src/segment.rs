//! Segments: how stores keep the audit trail. A segment is a run of consecutive chained events: their journal
//! entries as the journal holds them ([`crate::journal`]: a record's line, `millis TAB record NEWLINE`, or an API
//! call's compact entry), compressed with LZ4, each event's chain hash (32 bytes), the hash the run follows, and the
//! keys it names. A batch of calls stored as a few segments costs the database a few pages, where a row per event
//! cost a page per few events. A call's record is rendered from its entry when it is read; the chain covers the
//! entry's body, so the stored facts are what is tamper-evident, whatever version renders them.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::chain::{self, ChainHead, ChainedEvent, HASH_BYTES};
use crate::journal::{self, Entry};
use crate::stored::{EventBatch, RecordView};
use crate::AuditEvent;

/// Events in one segment at most: queries read whole segments, so they stay small enough to read quickly.
pub const MAX_EVENTS: usize = 1024;

/// A segment ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The sequence number of its first event.
    pub first_seq: i64,
    /// The sequence number of its last event.
    pub last_seq: i64,
    /// Its earliest event time, ms since the epoch.
    pub earliest_millis: i64,
    /// Its latest event time, ms since the epoch.
    pub latest_millis: i64,
    /// The hash of the event before its first one.
    pub previous_hash: String,
    /// Its entries, compressed ([`compress`]).
    pub records: Vec<u8>,
    /// Its events' hashes, [`HASH_BYTES`] each, in order.
    pub hashes: Vec<u8>,
    /// The keys its events are about.
    pub key_arns: BTreeSet<String>,
}

/// Chains a batch's events after `head` into segments of at most [`MAX_EVENTS`]; returns them and the chain's new
/// head. A segment's entries are the batch's entries as they are.
pub fn chain(batch: &EventBatch, head: &ChainHead) -> (Vec<Segment>, ChainHead) {
    let mut segments = Vec::with_capacity(batch.events.len().div_ceil(MAX_EVENTS));
    let mut previous = head.hash.clone();
    let mut seq = head.seq;
    for run in batch.events.chunks(MAX_EVENTS) {
        let previous_hash = previous.clone();
        let first_seq = seq + 1;
        let mut hashes = Vec::with_capacity(run.len() * HASH_BYTES);
        let mut key_arns = BTreeSet::new();
        let (mut earliest_millis, mut latest_millis) = (i64::MAX, i64::MIN);
        for event in run {
            let hash = chain::link_bytes(&previous, batch.bytes(event.chained.clone()));
            hashes.extend_from_slice(&hash);
            // Written over the last hash's text: no allocation per event.
            previous.clear();
            previous.push_str(trent_domain::hex::sha256_hex_into(&hash, &mut [0; 64]));
            if let Some(arn) = &event.key_arn {
                if !key_arns.contains(arn) {
                    key_arns.insert(arn.clone());
                }
            }
            earliest_millis = earliest_millis.min(event.millis);
            latest_millis = latest_millis.max(event.millis);
            seq += 1;
        }
        let entries = match (run.first(), run.last()) {
            (Some(first), Some(last)) => batch.bytes(first.entry.start..last.entry.end),
            _ => &[],
        };
        segments.push(Segment {
            first_seq,
            last_seq: seq,
            earliest_millis,
            latest_millis,
            previous_hash,
            records: compress(entries),
            hashes,
            key_arns,
        });
    }
    (segments, ChainHead { seq, hash: previous })
}

/// Segments holding events stored before segments existed, their hashes kept exactly as stored (recomputing them
/// would hide any tampering). A new segment starts wherever the stored events do not run on from each other.
pub fn regroup(events: &[ChainedEvent]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut lines = Vec::new();
    let mut previous: Option<&ChainedEvent> = None;
    for event in events {
        let runs_on = previous.is_some_and(|p| p.seq + 1 == event.seq && p.hash == event.previous_hash);
        let has_room = segments.last().is_some_and(|s| s.last_seq - s.first_seq + 1 < MAX_EVENTS as i64);
        if !(runs_on && has_room) {
            if let Some(done) = segments.last_mut() {
                done.records = compress(&lines);
            }
            lines.clear();
            segments.push(Segment {
                first_seq: event.seq,
                last_seq: event.seq,
                earliest_millis: event.millis,
                latest_millis: event.millis,
                previous_hash: event.previous_hash.clone(),
                records: Vec::new(),
                hashes: Vec::new(),
                key_arns: BTreeSet::new(),
            });
        }
        let Some(segment) = segments.last_mut() else {
            continue;
        };
        segment.last_seq = event.seq;
        segment.earliest_millis = segment.earliest_millis.min(event.millis);
        segment.latest_millis = segment.latest_millis.max(event.millis);
        segment.hashes.extend_from_slice(&unhex(&event.hash));
        if let Ok(view) = RecordView::parse(&event.record) {
            segment.key_arns.extend(view.resources.first().map(|r| r.arn.to_string()));
        }
        lines.extend_from_slice(format!("{}\t{}\n", event.millis, event.record).as_bytes());
        previous = Some(event);
    }
    if let Some(last) = segments.last_mut() {
        last.records = compress(&lines);
    }
    segments
}

/// The bytes of a stored hex hash; a malformed one (only tampering makes one) reads as zeros, which no event matches.
fn unhex(hash: &str) -> [u8; HASH_BYTES] {
    let mut bytes = [0; HASH_BYTES];
    if hex::decode_to_slice(hash, &mut bytes).is_err() {
        bytes = [0; HASH_BYTES];
    }
    bytes
}

/// The events of a stored segment's entries, in order; with `key_arn`, only those about that key (a call about
/// another key is not rendered).
pub fn events_of(records: &[u8], key_arn: Option<&str>) -> Result<Vec<AuditEvent>, String> {
    let text = decompress(records).ok_or("an audit segment cannot be read")?;
    let entries = journal::entries(&text, 0);
    if entries.last().map_or(0, |(_, end)| *end) != text.len() as u64 {
        return Err("an audit segment holds a malformed entry".to_owned());
    }
    let mut events = Vec::new();
    for (entry, _) in entries {
        if let (Some(arn), Entry::Call(body)) = (key_arn, entry) {
            let mut parameters = Vec::new();
            if journal::read_call(body, &mut parameters).is_some_and(|call| call.key_arn != Some(arn)) {
                continue;
            }
        }
        let read = read_entry(entry).ok_or("an audit segment holds a malformed entry")?;
        let mut event: AuditEvent = serde_json::from_str(&read.record).map_err(|e| format!("audit record: {e}"))?;
        if key_arn.is_none_or(|arn| event.key_arn() == Some(arn)) {
            event.event_millis = read.millis;
            events.push(event);
        }
    }
    Ok(events)
}

/// A stored entry read back.
struct ReadEntry<'a> {
    /// The event's time, ms since the epoch.
    millis: i64,
    /// What its chain hash covers: a line's record, a call's compact body.
    chained: &'a [u8],
    /// Its CloudTrail record: a line's own, a call's rendered ([`journal::render_call`]).
    record: Cow<'a, str>,
}

/// Reads a stored entry; `None` when it is not one (damaged or tampered with).
fn read_entry(entry: Entry<'_>) -> Option<ReadEntry<'_>> {
    match entry {
        Entry::Line(line) => {
            let (millis, record) = std::str::from_utf8(line).ok()?.split_once('\t')?;
            // A record is a JSON object: a call's body dressed as a line (its hash covers only the body) is not one.
            if !record.starts_with('{') {
                return None;
            }
            Some(ReadEntry { millis: millis.parse().ok()?, chained: record.as_bytes(), record: Cow::Borrowed(record) })
        }
        Entry::Call(body) => {
            let mut line = Vec::new();
            journal::render_call(body, &mut line).ok()?;
            let line = String::from_utf8(line).ok()?;
            let (millis, record) = line.strip_suffix('\n')?.split_once('\t')?;
            Some(ReadEntry { millis: millis.parse().ok()?, chained: body, record: Cow::Owned(record.to_owned()) })
        }
    }
}

/// Compresses a segment's entries.
pub fn compress(entries: &[u8]) -> Vec<u8> {
    lz4_flex::compress_prepend_size(entries)
}

/// A segment's entries; `None` when they cannot be read (the stored bytes were damaged or tampered with).
pub fn decompress(records: &[u8]) -> Option<Vec<u8>> {
    lz4_flex::decompress_size_prepended(records).ok()
}

/// The hash of a segment's last event, as hex.
pub fn last_hash(hashes: &[u8]) -> Option<String> {
    let start = hashes.len().checked_sub(HASH_BYTES)?;
    hashes.get(start..).map(trent_domain::hex::lower_hex)
}

/// A record's event ID, read without the rest of it.
#[derive(serde::Deserialize)]
struct EventId<'a> {
    #[serde(rename = "eventID", borrow)]
    event_id: std::borrow::Cow<'a, str>,
}

/// A segment as read back from a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSegment {
    /// The sequence number of its first event.
    pub first_seq: i64,
    /// The hash of the event before its first one.
    pub previous_hash: String,
    /// Its compressed entries.
    pub records: Vec<u8>,
    /// Its events' hashes.
    pub hashes: Vec<u8>,
}

impl StoredSegment {
    /// The segment's events as the chain checks them. A segment read back damaged still yields an event per stored
    /// hash (an unreadable line as an empty record), so verification names the first event that no longer matches
    /// instead of failing to read the trail.
    pub fn chained(&self) -> Vec<ChainedEvent> {
        let text = decompress(&self.records).unwrap_or_default();
        let mut entries = journal::entries(&text, 0).into_iter();
        let mut hashes = self.hashes.chunks(HASH_BYTES);
        let mut previous_hash = self.previous_hash.clone();
        let mut events = Vec::new();
        let mut seq = self.first_seq;
        loop {
            let (entry, hash) = (entries.next(), hashes.next());
            if entry.is_none() && hash.is_none() {
                break;
            }
            let read = entry.and_then(|(entry, _)| read_entry(entry));
            let (millis, chained, record) = read.map_or((0, Vec::new(), String::new()), |read| {
                (read.millis, read.chained.to_vec(), read.record.into_owned())
            });
            let hash = hash.map(trent_domain::hex::lower_hex).unwrap_or_default();
            let event_id =
                serde_json::from_str::<EventId<'_>>(&record).map(|id| id.event_id.into_owned()).unwrap_or_default();
            events.push(ChainedEvent { seq, event_id, millis, record, chained, previous_hash, hash: hash.clone() });
            previous_hash = hash;
            seq += 1;
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{verify_from, ChainBreak, GENESIS};

    fn record(i: i64) -> String {
        format!(r#"{{"eventID":"e{i}","n":{i}}}"#)
    }

    /// A batch of `count` events (their records too small for usage evidence; the key given per event).
    fn batch(count: i64, key: impl Fn(i64) -> Option<&'static str>) -> EventBatch {
        let mut batch = EventBatch::default();
        for i in 0..count {
            let start = batch.entries.len();
            batch.entries.extend_from_slice(format!("{}\t{}\n", 1_000 + i, record(i)).as_bytes());
            let entry = start..batch.entries.len();
            let chained = entry.start + entry.len() - 1 - record(i).len()..entry.end - 1;
            batch.events.push(crate::StoredEvent {
                millis: 1_000 + i,
                key_arn: key(i).map(str::to_owned),
                entry,
                chained,
            });
        }
        batch
    }

    fn stored(segment: &Segment) -> StoredSegment {
        StoredSegment {
            first_seq: segment.first_seq,
            previous_hash: segment.previous_hash.clone(),
            records: segment.records.clone(),
            hashes: segment.hashes.clone(),
        }
    }

    fn genesis() -> ChainHead {
        ChainHead { seq: 0, hash: GENESIS.to_owned() }
    }

    #[test]
    fn events_are_chained_into_segments_that_read_back_and_verify() {
        let events = batch(MAX_EVENTS as i64 + 3, |i| if i % 2 == 0 { Some("k-even") } else { None });
        let (segments, head) = chain(&events, &genesis());
        assert_eq!(segments.len(), 2);
        assert_eq!(
            (segments[0].first_seq, segments[0].last_seq, segments[1].first_seq, head.seq),
            (1, MAX_EVENTS as i64, MAX_EVENTS as i64 + 1, MAX_EVENTS as i64 + 3)
        );
        assert_eq!(segments[1].previous_hash, last_hash(&segments[0].hashes).unwrap());
        assert_eq!(segments[0].key_arns.iter().collect::<Vec<_>>(), ["k-even"]);
        assert_eq!((segments[0].earliest_millis, segments[0].latest_millis), (1_000, 1_000 + MAX_EVENTS as i64 - 1));
        let chained: Vec<ChainedEvent> = segments.iter().flat_map(|s| stored(s).chained()).collect();
        assert_eq!(chained.len(), events.events.len());
        assert_eq!(
            (chained[5].seq, chained[5].event_id.as_str(), chained[5].millis, chained[5].record.as_str()),
            (6, "e5", 1_005, record(5).as_str())
        );
        assert_eq!(verify_from(&genesis(), &chained, &head), Ok(events.events.len()));
        // Chaining more continues from the head.
        let (more, _) = chain(&batch(1, |_| None), &head);
        assert_eq!((more[0].first_seq, more[0].previous_hash.as_str()), (head.seq + 1, head.hash.as_str()));
    }

    #[test]
    fn events_stored_before_segments_keep_their_hashes_and_split_where_they_do_not_run_on() {
        let (segments, head) = chain(&batch(5, |_| None), &genesis());
        let mut chained = stored(&segments[0]).chained();
        chained[3].record = r#"{"forged":true}"#.to_owned();
        chained[3].chained = br#"{"forged":true}"#.to_vec();
        chained[3].event_id = String::new();
        chained.remove(1);
        let regrouped = regroup(&chained);
        assert_eq!(regrouped.iter().map(|s| (s.first_seq, s.last_seq)).collect::<Vec<_>>(), [(1, 1), (3, 5)]);
        let read: Vec<ChainedEvent> = regrouped.iter().flat_map(|s| stored(s).chained()).collect();
        assert_eq!(read, chained, "records, times and hashes unchanged");
        assert!(matches!(verify_from(&genesis(), &read, &head), Err(ChainBreak::Broken { seq: 3, .. })));
    }

    #[test]
    fn calls_stored_as_entries_beside_lines_read_back_filter_by_key_and_verify() {
        let agent = crate::call_record::fixtures::long_agent();
        let calls = crate::call_record::fixtures::calls(&[], &agent);
        let account = trent_domain::AccountId::parse("111122223333").unwrap();
        let region = trent_domain::Region::parse("eu-west-1").unwrap();
        let service = crate::AuditEvent::new(
            "DeleteKey",
            crate::EventType::AwsServiceEvent,
            trent_domain::Timestamp(5),
            &account,
            &region,
            crate::AuditEvent::service_identity(),
            None,
        );
        let mut batch = EventBatch::of(&[service]).unwrap();
        for call in &calls {
            let mut entry = Vec::new();
            journal::write_call(call, &mut entry);
            batch.push_call(&entry[journal::CALL_HEADER_BYTES..]).unwrap();
        }
        let (segments, head) = chain(&batch, &genesis());
        let all = events_of(&segments[0].records, None).unwrap();
        let names: Vec<&str> = all.iter().map(|e| e.event_name.as_str()).collect();
        assert_eq!(names, ["DeleteKey", "Encrypt", "Encrypt", "Encrypt", "Encrypt"], "the line first, then the calls");
        assert_eq!(all[2].error_code.as_deref(), Some("UnrecognizedClientException"));
        assert_eq!(all[1].event_millis, 1_700_000_000_123);
        let arn = calls[0].key_arn.unwrap();
        let about_key = events_of(&segments[0].records, Some(arn)).unwrap();
        assert_eq!(about_key.len(), 2, "the successful call and the user's");
        assert!(about_key.iter().all(|e| e.key_arn() == Some(arn)));
        let mut chained = stored(&segments[0]).chained();
        assert_eq!(chained[1].event_id, all[1].event_id, "a call's event ID is read from its rendered record");
        assert_eq!(verify_from(&genesis(), &chained, &head), Ok(5));
        chained[3].chained[20] ^= 1;
        assert!(matches!(verify_from(&genesis(), &chained, &head), Err(ChainBreak::Changed { seq: 4, .. })));
    }

    #[test]
    fn a_line_whose_record_is_not_a_json_object_is_not_read() {
        // A call's body rewritten as a line would still match its hash, which covers only the body.
        let mut entry = Vec::new();
        journal::write_call(&crate::call_record::fixtures::calls(&[], "")[0], &mut entry);
        let forged = [b"5\t".as_slice(), &entry[journal::CALL_HEADER_BYTES..]].concat();
        assert!(read_entry(Entry::Line(&forged)).is_none());
        assert!(read_entry(Entry::Line(b"5\t{\"eventID\":\"e\"}")).is_some());
    }

    #[test]
    fn a_changed_or_unreadable_segment_names_its_event() {
        let (segments, head) = chain(&batch(4, |_| None), &genesis());
        let mut changed = stored(&segments[0]);
        let text = String::from_utf8(decompress(&changed.records).unwrap()).unwrap().replace(r#""n":2"#, r#""n":7"#);
        changed.records = compress(text.as_bytes());
        assert_eq!(
            verify_from(&genesis(), &changed.chained(), &head),
            Err(ChainBreak::Changed { seq: 3, event_id: "e2".to_owned() })
        );
        let mut damaged = stored(&segments[0]);
        damaged.records.truncate(damaged.records.len() / 2);
        assert!(matches!(verify_from(&genesis(), &damaged.chained(), &head), Err(ChainBreak::Changed { seq: 1, .. })));
    }
}
