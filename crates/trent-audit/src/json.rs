//! The JSON writing a record needs, written straight into a buffer: strings quoted and escaped exactly as serde_json
//! escapes them (a string with nothing to escape, nearly every string of a record, is copied as it is), integers and
//! `Display` values. A string copied as it is says where it sits in the buffer, so its record can be read back
//! without being parsed ([`crate::stored::Noted`]).

use std::fmt::Display;
use std::io::Write;
use std::ops::Range;

/// True when `bytes` hold a character JSON must escape (a quote, a backslash or a control character). Looks at
/// every byte without stopping early, which the compiler turns into wide comparisons (for a record's strings, faster
/// than stopping at the first, or than 16 bytes at a time: 55 ns against 88 ns for nine of them).
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| found | (b < 0x20) | (b == b'"') | (b == b'\\'))
}

/// Writes `text` as a JSON string. Returns where its text sits in `out` when it was copied as it is, `None` when it
/// was escaped.
pub(crate) fn string(out: &mut Vec<u8>, text: &str) -> Option<Range<usize>> {
    if needs_escape(text.as_bytes()) {
        // Rare (a user agent or a message with a quote): serde_json's own escaping, so the text is the same as
        // serde_json writes it. Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
        None
    } else {
        out.reserve(text.len() + 2);
        out.push(b'"');
        let start = out.len();
        out.extend_from_slice(text.as_bytes());
        let end = out.len();
        out.push(b'"');
        Some(start..end)
    }
}

/// Writes a value's `Display` text as a JSON string; returns what [`string`] returns.
pub(crate) fn display(out: &mut Vec<u8>, value: &dyn Display) -> Option<Range<usize>> {
    out.push(b'"');
    let start = out.len();
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{value}");
    if out.get(start..).is_some_and(needs_escape) {
        let written = out.split_off(start);
        out.pop();
        string(out, &String::from_utf8_lossy(&written))
    } else {
        let end = out.len();
        out.push(b'"');
        Some(start..end)
    }
}

/// Writes an integer.
pub(crate) fn integer(out: &mut Vec<u8>, value: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_exactly_as_serde_json_writes_them() {
        let mut every_byte: String = (0u8..0x80).map(char::from).collect();
        every_byte.push_str("é\u{2028}😀");
        for text in ["", "plain arn:aws:kms:eu-west-1:111122223333:key/k", "a \"quote\"", "back\\slash", &every_byte] {
            let escaped = text.contains(['"', '\\', '\n', '\u{1}']);
            let mut out = b"x".to_vec();
            let span = string(&mut out, text);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), format!("x{}", serde_json::to_string(text).unwrap()));
            assert_eq!(span.map(|span| &out[span]), (!escaped).then_some(text.as_bytes()), "{text:?}");
            let mut out = b"x".to_vec();
            let span = display(&mut out, &text);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), format!("x{}", serde_json::to_string(text).unwrap()));
            assert_eq!(span.map(|span| &out[span]), (!escaped).then_some(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn integers_are_written_in_decimal() {
        for value in [0, -1, 7, i64::MIN, i64::MAX, 1_700_000_000_123] {
            let mut out = Vec::new();
            integer(&mut out, value);
            assert_eq!(String::from_utf8(out).unwrap(), value.to_string());
        }
    }
}
