//! The audit journal's entries, as a node's calls write them, the trail's segments keep them and both are read back
//! (a journal not yet imported at a stop, at the next start; a segment, when the trail is queried). An entry is either
//! a record's JSON line (`millis TAB record NEWLINE`, as an owned event writes it), or a call's fields, framed and
//! compact ([`write_call`]), from which the record the call would have written is rendered when it is read
//! ([`render_call`], through [`CallRecord::write_journal_line`]). A call's own thread thus writes less than half the
//! bytes and no JSON, and the importer stores them as they are.
//!
//! A compact call is the byte [`CALL_TAG`] (a JSON line starts with a digit), its body's length (4 bytes, little
//! endian), then the body: a layout version, the time, the event's ID, then each field in a fixed order. A string is
//! its length (4 bytes, little endian) then its UTF-8 bytes; an absent one is the length [`ABSENT`]. Bodies are kept
//! in the trail for good and the chain covers them, so every later version reads every layout written before: a new
//! layout is added, never changed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::value::RawValue;
use trent_domain::Timestamp;

use crate::allowed_parameter;
use crate::call_record::{cut_user_agent, CallRecord, Caller};
use crate::stored::{LineError, Noted};

/// The first byte of a compact call's entry.
pub const CALL_TAG: u8 = 0x01;
/// The layout of a compact call's body written here: the event's ID follows the time and `readOnly`.
const CALL_LAYOUT: u8 = 2;
/// The layout written before, without the event's ID (chosen when the call is stored): a journal left by that
/// version is still read. A body of any other layout is not.
const CALL_LAYOUT_WITHOUT_ID: u8 = 1;
/// The bytes before a compact call's body: [`CALL_TAG`] and the body's length.
pub const CALL_HEADER_BYTES: usize = 5;
/// The length that marks an absent string.
const ABSENT: u32 = u32::MAX;
/// The length that marks a response's key ID that is the call's key ARN, written once, at the end (a successful
/// call's response names the key it used by its ARN: the same 75 bytes twice, otherwise).
const SAME_AS_KEY_ARN: u32 = u32::MAX - 1;

/// One entry of the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A record's line, without its newline.
    Line(&'a [u8]),
    /// A call's compact body ([`write_call`]).
    Call(&'a [u8]),
}

/// The complete entries of `bytes` from `start`, each with the offset just past it. A torn last entry (a write cut by
/// a crash) was never acknowledged, so it is left out.
pub fn entries(bytes: &[u8], start: usize) -> Vec<(Entry<'_>, u64)> {
    let mut found = Vec::new();
    let mut offset = start;
    while let Some(rest) = bytes.get(offset..).filter(|rest| !rest.is_empty()) {
        let (entry, length) = if rest.first() == Some(&CALL_TAG) {
            let Some(length) = rest.get(1..CALL_HEADER_BYTES).and_then(|length| <[u8; 4]>::try_from(length).ok())
            else {
                break;
            };
            let length = u32::from_le_bytes(length) as usize;
            let Some(body) = CALL_HEADER_BYTES.checked_add(length).and_then(|end| rest.get(CALL_HEADER_BYTES..end))
            else {
                break;
            };
            (Entry::Call(body), CALL_HEADER_BYTES + length)
        } else {
            let Some(end) = memchr::memchr(b'\n', rest) else {
                break;
            };
            (Entry::Line(rest.get(..end).unwrap_or_default()), end + 1)
        };
        offset += length;
        found.push((entry, offset as u64));
    }
    found
}

/// Writes `record` as a compact call's entry. The `User-Agent` is cut and the parameters off the allow-list dropped
/// here, as the record would; the event's ID is the record's, or chosen here when it has none.
pub fn write_call(record: &CallRecord<'_>, out: &mut Vec<u8>) {
    out.push(CALL_TAG);
    let length_at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(CALL_LAYOUT);
    out.extend_from_slice(&record.at.0.to_le_bytes());
    out.push(u8::from(record.read_only));
    out.extend_from_slice(record.event_id.unwrap_or_else(uuid::Uuid::new_v4).as_bytes());
    for text in [record.event_name, record.event_source, record.account, record.region] {
        text_into(out, Some(text));
    }
    match record.source_ip {
        None => out.push(0),
        Some(IpAddr::V4(ip)) => {
            out.push(4);
            out.extend_from_slice(&ip.octets());
        }
        Some(IpAddr::V6(ip)) => {
            out.push(6);
            out.extend_from_slice(&ip.octets());
        }
    }
    text_into(out, record.user_agent.map(cut_user_agent));
    match record.caller {
        Caller::Root { account, access_key_id } => {
            out.push(0);
            text_into(out, Some(account));
            text_into(out, Some(access_key_id));
        }
        Caller::User { account, access_key_id, name, user_id } => {
            out.push(1);
            for text in [account, access_key_id, name, user_id] {
                text_into(out, Some(text));
            }
        }
        Caller::Unknown { access_key_id } => {
            out.push(2);
            text_into(out, access_key_id);
        }
    }
    // The count goes before the parameters kept, and is known once they are written.
    let count_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut kept: u32 = 0;
    for (name, value) in record.parameters.iter().filter(|(name, _)| allowed_parameter(name)) {
        text_into(out, Some(name));
        text_into(out, Some(value.get()));
        kept += 1;
    }
    if let Some(slot) = out.get_mut(count_at..count_at + 4) {
        slot.copy_from_slice(&kept.to_le_bytes());
    }
    match record.response_key_id {
        Some(key_id) if record.key_arn == Some(key_id) => out.extend_from_slice(&SAME_AS_KEY_ARN.to_le_bytes()),
        key_id => text_into(out, key_id),
    }
    text_into(out, record.error.map(|(code, _)| code));
    text_into(out, record.error.map(|(_, message)| message));
    text_into(out, Some(record.request_id));
    text_into(out, record.key_arn);
    let length = (out.len() - length_at - 4) as u32;
    if let Some(slot) = out.get_mut(length_at..length_at + 4) {
        slot.copy_from_slice(&length.to_le_bytes());
    }
}

/// Writes a compact call's entry around its `body` (as [`entries`] found it).
pub fn frame_call(body: &[u8], out: &mut Vec<u8>) {
    out.push(CALL_TAG);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
}

/// Writes a string's length and bytes, or [`ABSENT`]. Every string of a call is bounded by the request's size, far
/// below 4 GiB.
fn text_into(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        None => out.extend_from_slice(&ABSENT.to_le_bytes()),
    }
}

/// Writes the journal line of the call whose compact body is `body` ([`Entry::Call`]) into `out`: the line the call
/// would have written itself ([`CallRecord::write_journal_line`]). Returns where the record's members sit in it.
pub fn render_call(body: &[u8], out: &mut Vec<u8>) -> Result<Option<Noted>, LineError> {
    let mut parameters = Vec::new();
    let record = read_call(body, &mut parameters).ok_or(LineError::Malformed)?;
    Ok(record.write_journal_line(out))
}

/// The call a compact body holds (without an event ID when its layout had none); `None` when the body is not one
/// (torn, damaged, or of another layout). Its parameters are pushed onto `parameters`.
pub(crate) fn read_call<'a>(
    body: &'a [u8],
    parameters: &'a mut Vec<(&'a str, &'a RawValue)>,
) -> Option<CallRecord<'a>> {
    let mut read = Reader(body);
    let layout = read.byte()?;
    if layout != CALL_LAYOUT && layout != CALL_LAYOUT_WITHOUT_ID {
        return None;
    }
    let at = Timestamp(i64::from_le_bytes(read.array()?));
    let read_only = read.byte()? != 0;
    let event_id = match layout {
        CALL_LAYOUT => Some(uuid::Uuid::from_bytes(read.array()?)),
        _ => None,
    };
    let (event_name, event_source, account, region) = (read.text()?, read.text()?, read.text()?, read.text()?);
    let source_ip = match read.byte()? {
        0 => None,
        4 => Some(IpAddr::V4(Ipv4Addr::from(read.array::<4>()?))),
        6 => Some(IpAddr::V6(Ipv6Addr::from(read.array::<16>()?))),
        _ => return None,
    };
    let user_agent = read.optional()?;
    let caller = match read.byte()? {
        0 => Caller::Root { account: read.text()?, access_key_id: read.text()? },
        1 => Caller::User {
            account: read.text()?,
            access_key_id: read.text()?,
            name: read.text()?,
            user_id: read.text()?,
        },
        2 => Caller::Unknown { access_key_id: read.optional()? },
        _ => return None,
    };
    let count = u32::from_le_bytes(read.array()?);
    for _ in 0..count {
        let name = read.text()?;
        let value: &RawValue = serde_json::from_str(read.text()?).ok()?;
        parameters.push((name, value));
    }
    let response_is_key_arn = read.marker(SAME_AS_KEY_ARN);
    let response_key_id = if response_is_key_arn { None } else { read.optional()? };
    let error = match (read.optional()?, read.optional()?) {
        (Some(code), Some(message)) => Some((code, message)),
        (None, None) => None,
        _ => return None,
    };
    let (request_id, key_arn) = (read.text()?, read.optional()?);
    let response_key_id = if response_is_key_arn { Some(key_arn?) } else { response_key_id };
    if !read.0.is_empty() {
        return None;
    }
    Some(CallRecord {
        event_name,
        event_source,
        at,
        account,
        region,
        source_ip,
        user_agent,
        caller,
        parameters,
        response_key_id,
        error,
        request_id,
        read_only,
        key_arn,
        event_id,
    })
}

/// Reads a compact body from its start; every read is `None` past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, length: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.0.split_at_checked(length)?;
        self.0 = rest;
        Some(taken)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// True, and read, when the next length is `marker`.
    fn marker(&mut self, marker: u32) -> bool {
        let found = self.0.first_chunk::<4>().is_some_and(|length| u32::from_le_bytes(*length) == marker);
        if found {
            self.0 = self.0.get(4..).unwrap_or_default();
        }
        found
    }

    fn byte(&mut self) -> Option<u8> {
        let [byte] = self.array()?;
        Some(byte)
    }

    /// A string, or `Some(None)` for an absent one.
    fn optional(&mut self) -> Option<Option<&'a str>> {
        match u32::from_le_bytes(self.array()?) {
            ABSENT => Some(None),
            length => std::str::from_utf8(self.take(length as usize)?).ok().map(Some),
        }
    }

    /// A string that must be present.
    fn text(&mut self) -> Option<&'a str> {
        self.optional()?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call_record::fixtures;

    fn raw(text: &str) -> &RawValue {
        serde_json::from_str(text).unwrap()
    }

    /// The text of a journal line, byte for byte, with its event ID (chosen when it is written) replaced by zeros.
    fn without_event_id(line: &[u8]) -> String {
        let mut line = String::from_utf8(line.to_vec()).unwrap();
        let at = line.find(r#""eventID":""#).unwrap() + r#""eventID":""#.len();
        line.replace_range(at..at + 36, &"0".repeat(36));
        line
    }

    #[test]
    fn a_rendered_call_is_the_line_the_call_would_have_written() {
        let parameters = [
            ("keyId", raw(r#""1234abcd-12ab-34cd-56ef-1234567890ab""#)),
            ("plaintext", raw(r#""U0VDUkVU""#)),
            ("encryptionContext", raw("{\n  \"a\": \"b\"\n}")),
        ];
        let agent = fixtures::long_agent();
        for record in fixtures::calls(&parameters, &agent) {
            let mut entry = Vec::new();
            write_call(&record, &mut entry);
            let found = entries(&entry, 0);
            let [(Entry::Call(body), end)] = found.as_slice() else { panic!("one call: {found:?}") };
            assert_eq!(*end, entry.len() as u64);
            let mut rendered = Vec::new();
            let noted = render_call(body, &mut rendered).unwrap();
            let mut direct = Vec::new();
            assert_eq!(noted.is_some(), record.write_journal_line(&mut direct).is_some());
            assert_eq!(without_event_id(&rendered), without_event_id(&direct));
            assert!(
                !String::from_utf8_lossy(&entry).contains("U0VDUkVU"),
                "a member off the allow-list is not journaled"
            );
            assert!(entry.len() < direct.len(), "{} bytes journaled for a {}-byte line", entry.len(), direct.len());
        }
    }

    #[test]
    fn lines_and_calls_are_read_in_order_and_a_torn_last_entry_is_left_out() {
        let records = fixtures::calls(&[], "");
        let mut journal = b"17\t{\"a\":1}\n".to_vec();
        write_call(&records[0], &mut journal);
        let call_end = journal.len();
        journal.extend_from_slice(b"18\t{\"b\":2}\n");
        let all = journal.len();
        assert_eq!(entries(&journal, 0).iter().map(|(_, end)| *end as usize).collect::<Vec<_>>(), [11, call_end, all]);
        assert!(matches!(entries(&journal, 0)[1].0, Entry::Call(_)));
        assert_eq!(entries(&journal, 0)[2].0, Entry::Line(b"18\t{\"b\":2}"));
        assert_eq!(entries(&journal, 11).len(), 2, "reading starts where it is told");
        for torn in [b"19\t{\"c\"".as_slice(), &[CALL_TAG], &[CALL_TAG, 200, 0], &[CALL_TAG, 200, 0, 0, 0, 1, 2]] {
            let mut cut = journal.clone();
            cut.extend_from_slice(torn);
            assert_eq!(entries(&cut, 0).len(), 3, "{torn:?}");
        }
    }

    #[test]
    fn a_responses_key_id_is_journaled_once_when_it_is_the_calls_key_arn() {
        let same = fixtures::calls(&[], "")[0];
        let other = CallRecord { response_key_id: Some("1234abcd-12ab-34cd-56ef-1234567890ab"), ..same };
        let mut written = Vec::new();
        for record in [same, other] {
            let mut entry = Vec::new();
            write_call(&record, &mut entry);
            let mut rendered = Vec::new();
            render_call(&entry[CALL_HEADER_BYTES..], &mut rendered).unwrap();
            let expected = format!(r#""responseElements":{{"keyId":"{}"}}"#, record.response_key_id.unwrap());
            assert!(String::from_utf8_lossy(&rendered).contains(&expected), "{}", String::from_utf8_lossy(&rendered));
            written.push(entry.len());
        }
        assert!(written[0] + 30 < written[1], "the ARN is not written twice: {written:?}");
    }

    #[test]
    fn a_damaged_call_is_refused_not_misread() {
        let mut entry = Vec::new();
        write_call(&fixtures::calls(&[("keyId", raw("\"k\""))], "")[0], &mut entry);
        let body = entry[5..].to_vec();
        let mut out = Vec::new();
        for cut in 0..body.len() {
            assert!(render_call(&body[..cut], &mut out).is_err(), "cut at {cut}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(render_call(&longer, &mut out).is_err(), "bytes after the last field");
        let mut other_layout = body.clone();
        other_layout[0] = CALL_LAYOUT + 1;
        assert!(render_call(&other_layout, &mut out).is_err());
        let bad_json = body.windows(3).position(|w| w == b"\"k\"").unwrap();
        let mut damaged = body.clone();
        damaged[bad_json] = b'{';
        assert!(render_call(&damaged, &mut out).is_err(), "a parameter that is not JSON");
    }
}
