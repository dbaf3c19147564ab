//! Condition blocks: `{"StringEquals": {"kms:CallerAccount": "111122223333"}}`, each operator (with IAM's
//! `…IfExists` suffix and `ForAnyValue:`/`ForAllValues:` set prefixes) applied to the request's values of a key.
//!
//! IAM's rules, from "IAM JSON policy elements: Condition operators": several operators, and several keys under one
//! operator, must all hold; several values for one key match when any does. A key the request does not have matches
//! nothing, so the condition is false, except that negated operators (`StringNotEquals`, `ArnNotLike`, …) are then
//! true, `…IfExists` is then true, `Null` tests exactly that, and `ForAllValues` holds for an empty set while
//! `ForAnyValue` does not. Condition key names ignore case; values do not, unless the operator says so.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::pattern::matches;

/// The request's values of each condition key (a key may have several: `kms:EncryptionContextKeys`), by the key's
/// name in lower case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    values: BTreeMap<String, Vec<String>>,
}

impl RequestContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value` to the values of the condition key `key`.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.values.entry(key.to_ascii_lowercase()).or_default().push(value.into());
        self
    }

    /// The values of `key`; empty when the request has none.
    pub fn get(&self, key: &str) -> &[String] {
        self.values.get(&key.to_ascii_lowercase()).map_or(&[], Vec::as_slice)
    }
}

/// How an operator compares a request value with a policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    ArnLike,
}

/// Whether the operator applies a set prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetRule {
    /// A single-valued operator.
    Single,
    /// `ForAnyValue:`: some request value matches.
    AnyValue,
    /// `ForAllValues:`: every request value matches.
    AllValues,
}

/// One operator applied to one condition key, with the policy's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    operator: Operator,
    key: String,
    values: Vec<String>,
}

/// A parsed operator name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    /// `Null`: true for `"true"` when the key is absent, for `"false"` when present.
    Null,
    /// Any other operator.
    Compare { comparison: Comparison, negated: bool, if_exists: bool, set: SetRule },
}

impl Operator {
    fn parse(name: &str) -> Option<Self> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (SetRule::AnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (SetRule::AllValues, rest)
        } else {
            (SetRule::Single, name)
        };
        if rest == "Null" && set == SetRule::Single {
            return Some(Operator::Null);
        }
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        use Comparison as C;
        let (comparison, negated) = match rest {
            "StringEquals" => (C::StringEquals, false),
            "StringNotEquals" => (C::StringEquals, true),
            "StringEqualsIgnoreCase" => (C::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (C::StringEqualsIgnoreCase, true),
            "StringLike" => (C::StringLike, false),
            "StringNotLike" => (C::StringLike, true),
            "NumericEquals" => (C::NumericEquals, false),
            "NumericNotEquals" => (C::NumericEquals, true),
            "NumericLessThan" => (C::NumericLessThan, false),
            "NumericLessThanEquals" => (C::NumericLessThanEquals, false),
            "NumericGreaterThan" => (C::NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (C::NumericGreaterThanEquals, false),
            "DateEquals" => (C::DateEquals, false),
            "DateNotEquals" => (C::DateEquals, true),
            "DateLessThan" => (C::DateLessThan, false),
            "DateLessThanEquals" => (C::DateLessThanEquals, false),
            "DateGreaterThan" => (C::DateGreaterThan, false),
            "DateGreaterThanEquals" => (C::DateGreaterThanEquals, false),
            "Bool" => (C::Bool, false),
            "IpAddress" => (C::IpAddress, false),
            "NotIpAddress" => (C::IpAddress, true),
            "ArnEquals" | "ArnLike" => (C::ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (C::ArnLike, true),
            _ => return None,
        };
        Some(Operator::Compare { comparison, negated, if_exists, set })
    }
}

impl Condition {
    /// Reads a statement's `Condition` block.
    pub(crate) fn parse_block(block: &Map<String, Value>) -> Result<Vec<Self>, String> {
        let mut conditions = Vec::new();
        for (name, keys) in block {
            let operator = Operator::parse(name).ok_or_else(|| format!("unknown condition operator {name}"))?;
            let keys = keys.as_object().ok_or_else(|| format!("{name} must map condition keys to values"))?;
            for (key, values) in keys {
                let values = match values {
                    Value::Array(many) => many.iter().map(scalar).collect::<Option<Vec<_>>>(),
                    one => scalar(one).map(|one| vec![one]),
                }
                .ok_or_else(|| format!("the values of {key} must be strings, numbers or booleans"))?;
                conditions.push(Condition { operator, key: key.to_ascii_lowercase(), values });
            }
        }
        Ok(conditions)
    }

    /// Whether the condition holds for `context`.
    pub fn holds(&self, context: &RequestContext) -> bool {
        let present = context.get(&self.key);
        match self.operator {
            Operator::Null => {
                let absent = present.is_empty();
                self.values.iter().any(|value| value.eq_ignore_ascii_case(if absent { "true" } else { "false" }))
            }
            Operator::Compare { comparison, negated, if_exists, set } => {
                if present.is_empty() {
                    return match set {
                        SetRule::AllValues => true,
                        SetRule::AnyValue => false,
                        SetRule::Single => if_exists || negated,
                    };
                }
                // One request value against the policy's: a positive operator matches if any policy value does; a
                // negated one if none does.
                let one = |request: &str| {
                    let any = self.values.iter().any(|policy| compare(comparison, request, policy));
                    any != negated
                };
                match set {
                    SetRule::AllValues => present.iter().all(|value| one(value)),
                    SetRule::AnyValue | SetRule::Single => present.iter().any(|value| one(value)),
                }
            }
        }
    }
}

/// A JSON scalar as the string IAM compares.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// One request value against one policy value. A value that does not parse as the operator needs never matches.
fn compare(comparison: Comparison, request: &str, policy: &str) -> bool {
    use Comparison as C;
    let numbers = || Some((request.trim().parse::<f64>().ok()?, policy.trim().parse::<f64>().ok()?));
    let dates = || Some((epoch_seconds(request)?, epoch_seconds(policy)?));
    match comparison {
        C::StringEquals => request == policy,
        C::StringEqualsIgnoreCase => request.eq_ignore_ascii_case(policy),
        C::StringLike | C::ArnLike => matches(policy, request, false),
        C::NumericEquals => numbers().is_some_and(|(r, p)| r == p),
        C::NumericLessThan => numbers().is_some_and(|(r, p)| r < p),
        C::NumericLessThanEquals => numbers().is_some_and(|(r, p)| r <= p),
        C::NumericGreaterThan => numbers().is_some_and(|(r, p)| r > p),
        C::NumericGreaterThanEquals => numbers().is_some_and(|(r, p)| r >= p),
        C::DateEquals => dates().is_some_and(|(r, p)| r == p),
        C::DateLessThan => dates().is_some_and(|(r, p)| r < p),
        C::DateLessThanEquals => dates().is_some_and(|(r, p)| r <= p),
        C::DateGreaterThan => dates().is_some_and(|(r, p)| r > p),
        C::DateGreaterThanEquals => dates().is_some_and(|(r, p)| r >= p),
        C::Bool => request.eq_ignore_ascii_case(policy),
        C::IpAddress => in_cidr(request, policy),
    }
}

/// A date as IAM writes them (ISO 8601 `2026-12-04T10:00:00Z`, or epoch seconds), in seconds since the epoch.
fn epoch_seconds(text: &str) -> Option<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    // YYYY-MM-DDTHH:MM:SSZ (optionally with fractional seconds), UTC only.
    let (date, time) = text.trim_end_matches('Z').split_once('T')?;
    let mut date_parts = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date_parts.next()??, date_parts.next()??, date_parts.next()??);
    let time = time.split('.').next()?;
    let mut time_parts = time.splitn(3, ':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (time_parts.next()??, time_parts.next()??, time_parts.next().unwrap_or(Some(0))?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Whether the address `request` is in the block `policy` (`203.0.113.0/24`, or one address).
fn in_cidr(request: &str, policy: &str) -> bool {
    let Ok(address) = request.parse::<IpAddr>() else { return false };
    let (network, bits) = match policy.split_once('/') {
        Some((network, bits)) => (network, bits.parse::<u32>().ok()),
        None => (policy, None),
    };
    let Ok(network) = network.parse::<IpAddr>() else { return false };
    let (address, network, width) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(u32::from(a)), u128::from(u32::from(n)), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let bits = bits.unwrap_or(width);
    if bits > width {
        return false;
    }
    let shift = width - bits;
    let mask = if shift >= 128 { 0 } else { (u128::MAX << shift) & (u128::MAX >> (128 - width)) };
    address & mask == network & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_iam_writes_them() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_seconds("2026-12-04T10:00:00Z"), Some(1_796_378_400));
        assert_eq!(epoch_seconds("2026-12-04T10:00:00.500Z"), Some(1_796_378_400));
        assert_eq!(epoch_seconds("1796378400"), Some(1_796_378_400));
        assert_eq!(epoch_seconds("yesterday"), None);
        assert_eq!(epoch_seconds("2026-13-04T10:00:00Z"), None);
    }

    #[test]
    fn addresses_fall_in_their_blocks() {
        assert!(in_cidr("203.0.113.7", "203.0.113.0/24"));
        assert!(!in_cidr("203.0.114.7", "203.0.113.0/24"));
        assert!(in_cidr("10.1.2.3", "0.0.0.0/0"));
        assert!(in_cidr("10.1.2.3", "10.1.2.3"));
        assert!(in_cidr("2001:db8::1", "2001:db8::/32"));
        assert!(!in_cidr("2001:db9::1", "2001:db8::/32"));
        assert!(!in_cidr("10.1.2.3", "2001:db8::/32"));
        assert!(!in_cidr("not an address", "10.0.0.0/8"));
        assert!(!in_cidr("10.1.2.3", "10.0.0.0/33"));
    }
}
