//! The service model's constraints (required, length, range, enum) with AWS's message format:
//! `1 validation error detected: Value '…' at '…' failed to satisfy constraint: …`, several joined by `; `.

use crate::error::{AwsError, AwsErrorCode};

/// Collects constraint violations of one request, in member order.
#[derive(Debug, Default)]
pub struct Validator {
    violations: Vec<String>,
}

/// How a value appears in a message: sensitive and binary members are not echoed.
fn shown(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("Value '{v}' at"),
        None => "Value at".to_owned(),
    }
}

impl Validator {
    /// A validator with no violations.
    pub fn new() -> Self {
        Self::default()
    }

    fn violation(&mut self, value: String, member: &str, constraint: &str) {
        self.violations.push(format!("{value} '{member}' failed to satisfy constraint: {constraint}"));
    }

    /// The member must be present.
    pub fn required<T>(&mut self, member: &str, value: &Option<T>) -> &mut Self {
        if value.is_none() {
            self.violations
                .push(format!("Value null at '{member}' failed to satisfy constraint: Member must not be null"));
        }
        self
    }

    /// A string member's length (in characters) must be within `min..=max`.
    pub fn length(&mut self, member: &str, value: Option<&str>, min: usize, max: usize) -> &mut Self {
        if let Some(v) = value {
            let len = v.chars().count();
            if len < min {
                self.violation(
                    shown(Some(v)),
                    member,
                    &format!("Member must have length greater than or equal to {min}"),
                );
            } else if len > max {
                self.violation(shown(Some(v)), member, &format!("Member must have length less than or equal to {max}"));
            }
        }
        self
    }

    /// A blob member's length (in bytes) must be within `min..=max`; the value is never echoed.
    pub fn blob_length(&mut self, member: &str, value: Option<&[u8]>, min: usize, max: usize) -> &mut Self {
        if let Some(v) = value {
            if v.len() < min {
                self.violation(shown(None), member, &format!("Member must have length greater than or equal to {min}"));
            } else if v.len() > max {
                self.violation(shown(None), member, &format!("Member must have length less than or equal to {max}"));
            }
        }
        self
    }

    /// A list member's element count must be within `min..=max`.
    pub fn count<T>(&mut self, member: &str, value: Option<&[T]>, min: usize, max: usize) -> &mut Self {
        if let Some(v) = value {
            if v.len() < min {
                self.violation(
                    format!("Value '{}' at", v.len()),
                    member,
                    &format!("Member must have length greater than or equal to {min}"),
                );
            } else if v.len() > max {
                self.violation(
                    format!("Value '{}' at", v.len()),
                    member,
                    &format!("Member must have length less than or equal to {max}"),
                );
            }
        }
        self
    }

    /// An integer member must be within `min..=max`.
    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) -> &mut Self {
        if let Some(v) = value {
            if v < min {
                self.violation(
                    format!("Value '{v}' at"),
                    member,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            } else if v > max {
                self.violation(
                    format!("Value '{v}' at"),
                    member,
                    &format!("Member must have value less than or equal to {max}"),
                );
            }
        }
        self
    }

    /// Every element of a list member must be one of `allowed` (AWS shows the whole list and nests the constraint).
    pub fn each_one_of(&mut self, member: &str, values: Option<&[String]>, allowed: &[&str]) -> &mut Self {
        if let Some(values) = values {
            if values.iter().any(|v| !allowed.contains(&v.as_str())) {
                self.violation(
                    format!("Value '[{}]' at", values.join(", ")),
                    member,
                    &format!(
                        "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                        allowed.join(", ")
                    ),
                );
            }
        }
        self
    }

    /// A string member must be one of `allowed`.
    pub fn one_of(&mut self, member: &str, value: Option<&str>, allowed: &[&str]) -> &mut Self {
        if let Some(v) = value {
            if !allowed.contains(&v) {
                self.violation(
                    shown(Some(v)),
                    member,
                    &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
                );
            }
        }
        self
    }

    /// A string member must match a character class (the model's `pattern`), given as a predicate on characters.
    pub fn pattern(
        &mut self,
        member: &str,
        value: Option<&str>,
        pattern: &str,
        allowed: impl Fn(char) -> bool,
    ) -> &mut Self {
        self.matching(member, value, pattern, |v| v.chars().all(&allowed))
    }

    /// As [`Validator::pattern`], for a pattern that constrains the value's shape, not only its characters: `matches`
    /// judges the whole value.
    pub fn matching(
        &mut self,
        member: &str,
        value: Option<&str>,
        pattern: &str,
        matches: impl Fn(&str) -> bool,
    ) -> &mut Self {
        if let Some(v) = value {
            if !matches(v) {
                self.violation(
                    shown(Some(v)),
                    member,
                    &format!("Member must satisfy regular expression pattern: {pattern}"),
                );
            }
        }
        self
    }

    /// The collected violations as one `ValidationException`, or `Ok` if there are none.
    pub fn finish(&mut self) -> Result<(), AwsError> {
        match self.violations.len() {
            0 => Ok(()),
            1 => Err(AwsError::new(
                AwsErrorCode::ValidationException,
                format!("1 validation error detected: {}", self.violations.join("; ")),
            )),
            n => Err(AwsError::new(
                AwsErrorCode::ValidationException,
                format!("{n} validation errors detected: {}", self.violations.join("; ")),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_model_range_window_gets_aws_wording() {
        let error = Validator::new().range("pendingWindowInDays", Some(366), 1, 365).finish().unwrap_err();
        assert_eq!(error.code, AwsErrorCode::ValidationException);
        assert_eq!(
            error.message,
            "1 validation error detected: Value '366' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365"
        );
    }

    #[test]
    fn missing_members_and_several_violations_are_counted() {
        let none: Option<String> = None;
        let error = Validator::new().required("keyId", &none).range("limit", Some(0), 1, 1000).finish().unwrap_err();
        assert_eq!(
            error.message,
            "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; \
             Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn sensitive_blobs_are_not_echoed() {
        let error = Validator::new().blob_length("plaintext", Some(&[b'S'; 4097]), 1, 4096).finish().unwrap_err();
        assert!(error.message.contains("Value at 'plaintext'"));
        assert!(!error.message.contains("SSS"));
    }

    #[test]
    fn enum_members_list_the_allowed_values() {
        let error = Validator::new().one_of("keySpec", Some("AES_512"), &["AES_256", "AES_128"]).finish().unwrap_err();
        assert!(error.message.ends_with("Member must satisfy enum value set: [AES_256, AES_128]"));
    }
}
