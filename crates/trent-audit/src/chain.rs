//! The tamper-evident chain of stored audit events: each event's hash covers the previous event's hash and its own
//! record, and the store keeps the chain's head (last sequence number and hash) beside the events. Changing, removing
//! or reordering any event, or cutting events off the end, breaks the chain at a point [`verify`] names.

use aws_lc_rs::digest;

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The length of an event's hash in bytes.
pub const HASH_BYTES: usize = 32;

/// The hash of an event: SHA-256 over the previous hash (as hex), a newline and what the event stores (a record's
/// JSON text, or an API call's compact journal body: [`crate::segment`]), as lowercase hex.
pub fn link(previous: &str, chained: &[u8]) -> String {
    trent_domain::hex::lower_hex(&link_bytes(previous, chained))
}

/// [`link`] as the digest's bytes.
pub fn link_bytes(previous: &str, chained: &[u8]) -> [u8; HASH_BYTES] {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(previous.as_bytes());
    context.update(b"\n");
    context.update(chained);
    let mut bytes = [0; HASH_BYTES];
    bytes.copy_from_slice(context.finish().as_ref());
    bytes
}

/// One stored event, as the chain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent {
    /// Its position.
    pub seq: i64,
    /// Its event ID.
    pub event_id: String,
    /// When it happened, ms since the epoch (an index kept beside the record; the record's `eventTime` is chained).
    pub millis: i64,
    /// Its CloudTrail record (an API call's rendered from its stored entry).
    pub record: String,
    /// What its hash covers: the record's text as stored, or an API call's compact journal body.
    pub chained: Vec<u8>,
    /// The hash it was chained to.
    pub previous_hash: String,
    /// Its own hash.
    pub hash: String,
}

/// The chain's head as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// The last event's sequence number (0 before any).
    pub seq: i64,
    /// The last event's hash ([`GENESIS`] before any).
    pub hash: String,
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The event's record or hash no longer matches what was chained.
    #[error("event {seq} ({event_id}) was changed: its record does not match its hash")]
    Changed {
        /// The event's position.
        seq: i64,
        /// Its event ID.
        event_id: String,
    },
    /// The event does not follow the one before it: events between were removed, or the order was changed.
    #[error(
        "event {seq} ({event_id}) does not follow the event before it: events were removed or reordered before it"
    )]
    Broken {
        /// The event's position.
        seq: i64,
        /// Its event ID.
        event_id: String,
    },
    /// The last event is not the chain's recorded head: events were removed from the end.
    #[error("the chain ends at event {found} but its head records event {expected}: events were removed from the end")]
    Truncated {
        /// The last event's position (0 for none).
        found: i64,
        /// The head's position.
        expected: i64,
    },
}

/// The stored chain, read consistently: where it starts (the last pruned event, or [`GENESIS`] at 0), its events in
/// sequence order, and its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditChain {
    /// The last event removed by retention (seq 0 and [`GENESIS`] when none was).
    pub anchor: ChainHead,
    /// The stored events, in sequence order.
    pub events: Vec<ChainedEvent>,
    /// The head.
    pub head: ChainHead,
}

impl AuditChain {
    /// Checks the chain from its anchor to its head; see [`verify_from`].
    pub fn verify(&self) -> Result<usize, ChainBreak> {
        verify_from(&self.anchor, &self.events, &self.head)
    }
}

/// Checks a whole chain, events in sequence order, against its head. Returns how many events were checked.
pub fn verify(events: &[ChainedEvent], head: &ChainHead) -> Result<usize, ChainBreak> {
    verify_from(&ChainHead { seq: 0, hash: GENESIS.to_owned() }, events, head)
}

/// Checks a chain whose events before `anchor` were pruned: the first event must follow the anchor.
pub fn verify_from(anchor: &ChainHead, events: &[ChainedEvent], head: &ChainHead) -> Result<usize, ChainBreak> {
    let mut previous = anchor.hash.clone();
    for event in events {
        if event.previous_hash != previous {
            return Err(ChainBreak::Broken { seq: event.seq, event_id: event.event_id.clone() });
        }
        if link(&event.previous_hash, &event.chained) != event.hash {
            return Err(ChainBreak::Changed { seq: event.seq, event_id: event.event_id.clone() });
        }
        previous.clone_from(&event.hash);
    }
    let last_seq = events.last().map_or(anchor.seq, |e| e.seq);
    if last_seq != head.seq || previous != head.hash {
        return Err(ChainBreak::Truncated { found: last_seq, expected: head.seq });
    }
    Ok(events.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(records: &[&str]) -> (Vec<ChainedEvent>, ChainHead) {
        let mut previous = GENESIS.to_owned();
        let mut events = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let hash = link(&previous, record.as_bytes());
            events.push(ChainedEvent {
                seq: i as i64 + 1,
                event_id: format!("e{i}"),
                millis: 0,
                record: (*record).to_owned(),
                chained: record.as_bytes().to_vec(),
                previous_hash: previous.clone(),
                hash: hash.clone(),
            });
            previous = hash;
        }
        let head = ChainHead { seq: records.len() as i64, hash: previous };
        (events, head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (events, head) = chain(&["a", "b", "c"]);
        assert_eq!(verify(&events, &head), Ok(3));
        assert_eq!(verify(&[], &ChainHead { seq: 0, hash: GENESIS.to_owned() }), Ok(0));
    }

    #[test]
    fn a_changed_event_is_named() {
        let (mut events, head) = chain(&["a", "b", "c"]);
        events[1].chained = b"B".to_vec();
        assert_eq!(verify(&events, &head), Err(ChainBreak::Changed { seq: 2, event_id: "e1".to_owned() }));
    }

    #[test]
    fn a_removed_or_reordered_event_is_found() {
        let (events, head) = chain(&["a", "b", "c"]);
        let removed = vec![events[0].clone(), events[2].clone()];
        assert_eq!(verify(&removed, &head), Err(ChainBreak::Broken { seq: 3, event_id: "e2".to_owned() }));
        let reordered = vec![events[1].clone(), events[0].clone(), events[2].clone()];
        assert!(matches!(verify(&reordered, &head), Err(ChainBreak::Broken { seq: 2, .. })));
        assert_eq!(verify(&events[..2], &head), Err(ChainBreak::Truncated { found: 2, expected: 3 }));
    }

    #[test]
    fn a_pruned_chain_verifies_from_its_anchor_and_a_gap_after_it_is_found() {
        let (events, head) = chain(&["a", "b", "c", "d"]);
        let anchor = ChainHead { seq: 2, hash: events[1].hash.clone() };
        let pruned = AuditChain { anchor: anchor.clone(), events: events[2..].to_vec(), head: head.clone() };
        assert_eq!(pruned.verify(), Ok(2));
        let gap = AuditChain { anchor, events: events[3..].to_vec(), head };
        assert!(matches!(gap.verify(), Err(ChainBreak::Broken { seq: 4, .. })));
    }

    #[test]
    fn a_rehashed_forgery_still_breaks_the_next_link() {
        let (mut events, head) = chain(&["a", "b", "c"]);
        events[1].chained = b"B".to_vec();
        events[1].hash = link(&events[1].previous_hash, b"B");
        assert!(matches!(verify(&events, &head), Err(ChainBreak::Broken { seq: 3, .. })));
    }
}
