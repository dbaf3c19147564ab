//! An operation's parameters as they arrived (query then form body, decoded), read by name into the types each
//! operation needs, refusing with Alibaba's `MissingParameter` or `InvalidParameter` naming the parameter. Neither
//! official SDK checks required parameters (`alibaba-kms-api.md` §3 notes), so these checks are the only ones.

use std::collections::BTreeMap;

use crate::error::WireError;

/// The parameters of one request.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a>(pub &'a [(String, String)]);

impl<'a> Params<'a> {
    /// The value of `name`, if sent (the last one, if sent twice: the form body's over the query's).
    pub fn optional(&self, name: &str) -> Option<&'a str> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, value)| value.as_str())
    }

    /// The value of `name`, which must be sent and not be empty.
    pub fn required(&self, name: &str) -> Result<&'a str, WireError> {
        self.optional(name).filter(|value| !value.is_empty()).ok_or_else(|| WireError::missing_parameter(name))
    }

    /// The bytes of a required base64 parameter (standard alphabet, padded).
    pub fn base64(&self, name: &str) -> Result<Vec<u8>, WireError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(self.required(name)?)
            .map_err(|_| WireError::invalid_parameter(name))
    }

    /// A decimal integer within `range`, if sent.
    pub fn integer(&self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, WireError> {
        match self.optional(name) {
            None | Some("") => Ok(None),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|value| range.contains(value))
                .map(Some)
                .ok_or_else(|| WireError::invalid_parameter(name)),
        }
    }

    /// A boolean, if sent: `true` or `false` in any case (the Python SDKs send `True` and `False`).
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, WireError> {
        match self.optional(name) {
            None | Some("") => Ok(None),
            Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(WireError::invalid_parameter(name)),
        }
    }

    /// An encryption context: a JSON object sent as a string, compared as a map (`alibaba-kms-api.md` §4). String
    /// values are kept as they are; any other value by its compact JSON text, so `{"n":1}` and `{"n": 1}` agree.
    pub fn encryption_context(&self, name: &str) -> Result<BTreeMap<String, String>, WireError> {
        let Some(text) = self.optional(name).filter(|text| !text.is_empty()) else {
            return Ok(BTreeMap::new());
        };
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|_| WireError::invalid_parameter(name))?;
        Ok(object
            .into_iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => (key, text),
                other => (key, other.to_string()),
            })
            .collect())
    }

    /// Values sent as `Name.1`, `Name.2`, … (the Tea SDK's flattening of a list), in their numbered order.
    pub fn numbered(&self, name: &str) -> Vec<(u32, &'a str)> {
        let mut found: Vec<(u32, &str)> = self
            .0
            .iter()
            .filter_map(|(n, value)| {
                let index = n.strip_prefix(name)?.strip_prefix('.')?;
                index.parse::<u32>().ok().map(|index| (index, value.as_str()))
            })
            .collect();
        found.sort_by_key(|(index, _)| *index);
        found
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn missing_and_malformed_parameters_are_named() {
        let sent = params(&[("PendingWindowInDays", "seven"), ("KeyId", ""), ("Flag", "maybe")]);
        let p = Params(&sent);
        let missing = p.required("KeyId").unwrap_err();
        assert_eq!((missing.status, missing.code), (400, "MissingParameter"));
        assert!(missing.message.contains("\"KeyId\""), "{}", missing.message);
        let invalid = p.integer("PendingWindowInDays", 7..=366).unwrap_err();
        assert_eq!((invalid.status, invalid.code), (400, "InvalidParameter"));
        assert!(invalid.message.contains("\"PendingWindowInDays\""), "{}", invalid.message);
        assert_eq!(p.boolean("Flag").unwrap_err().code, "InvalidParameter");
    }

    #[test]
    fn integers_outside_their_range_are_invalid() {
        let sent = params(&[("A", "6"), ("B", "7"), ("C", "366"), ("D", "367")]);
        let p = Params(&sent);
        assert!(p.integer("A", 7..=366).is_err());
        assert_eq!(p.integer("B", 7..=366).unwrap(), Some(7));
        assert_eq!(p.integer("C", 7..=366).unwrap(), Some(366));
        assert!(p.integer("D", 7..=366).is_err());
        assert_eq!(p.integer("E", 7..=366).unwrap(), None);
    }

    #[test]
    fn booleans_come_in_any_case() {
        let sent = params(&[("A", "True"), ("B", "false")]);
        let p = Params(&sent);
        assert_eq!((p.boolean("A").unwrap(), p.boolean("B").unwrap()), (Some(true), Some(false)));
    }

    #[test]
    fn encryption_contexts_compare_as_maps() {
        let compact = params(&[("EncryptionContext", r#"{"a":"b c","n":1}"#)]);
        let spaced = params(&[("EncryptionContext", r#"{"n": 1, "a": "b c"}"#)]);
        let a = Params(&compact).encryption_context("EncryptionContext").unwrap();
        assert_eq!(a, Params(&spaced).encryption_context("EncryptionContext").unwrap());
        assert_eq!(a.get("n").map(String::as_str), Some("1"));
        let bad = params(&[("EncryptionContext", "[1]")]);
        assert_eq!(Params(&bad).encryption_context("EncryptionContext").unwrap_err().code, "InvalidParameter");
    }

    #[test]
    fn numbered_values_come_in_order() {
        let sent = params(&[("ResourceId.2", "b"), ("ResourceId.1", "a"), ("ResourceIds", "x")]);
        assert_eq!(Params(&sent).numbered("ResourceId"), [(1, "a"), (2, "b")]);
    }
}
