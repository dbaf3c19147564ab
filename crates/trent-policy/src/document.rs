//! A policy document read from its JSON (IAM's grammar: `Version`, `Id`, `Statement` as one object or a list, each
//! statement's `Sid`, `Effect`, `Principal`/`NotPrincipal`, `Action`/`NotAction`, `Resource`/`NotResource` and
//! `Condition`), refused with a reason when it is not one.

use serde_json::{Map, Value};

use crate::condition::Condition;

/// Why a document is not a policy. Its text is the message of the wire error (KMS's
/// `MalformedPolicyDocumentException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not JSON, or not a JSON object.
    #[error("The policy is not a valid JSON document.")]
    NotJson,
    /// No `Statement`, or one that is neither an object nor a list of objects.
    #[error("Policy contains a statement with no principal or action, or has no Statement.")]
    NoStatement,
    /// A statement (named by its position) breaks the grammar; the reason says how.
    #[error("Policy statement {index} is malformed: {reason}")]
    Statement {
        /// The statement's position, from 1.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// A statement's `Principal` (or `NotPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, authenticated or not.
    Everyone,
    /// The listed principals: `AWS` entries (account IDs, `arn:aws:iam::ACCOUNT:root`, user and role ARNs) and the
    /// count of entries of other kinds (`Service`, `Federated`, `CanonicalUser`), which no Trent caller is.
    Listed {
        /// The `AWS` entries, as written.
        aws: Vec<String>,
    },
}

/// A list of patterns, or its negation (`NotAction`, `NotResource`, `NotPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Either<T> {
    /// The listed values.
    pub values: T,
    /// True for the `Not…` form: the statement applies to everything the list does not match.
    pub negated: bool,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`, if given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; absent in identity policies.
    pub principal: Option<Either<Principals>>,
    /// `Action` or `NotAction` (required).
    pub action: Either<Vec<String>>,
    /// `Resource` or `NotResource`; absent means every resource (a key policy applies to its own key only).
    pub resource: Option<Either<Vec<String>>>,
    /// `Condition`: every condition must hold.
    pub conditions: Vec<Condition>,
}

/// A policy document: its statements, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    /// The statements.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// True when some statement has a condition: only then does a request's context matter.
    pub fn has_conditions(&self) -> bool {
        self.statements.iter().any(|statement| !statement.conditions.is_empty())
    }

    /// Reads a policy from its JSON text.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let document: Value = serde_json::from_str(text).map_err(|_| PolicyError::NotJson)?;
        let document = document.as_object().ok_or(PolicyError::NotJson)?;
        let statements = match document.get("Statement") {
            Some(Value::Object(one)) => vec![one],
            Some(Value::Array(many)) => {
                many.iter().map(Value::as_object).collect::<Option<Vec<_>>>().ok_or(PolicyError::NoStatement)?
            }
            _ => return Err(PolicyError::NoStatement),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, statement)| {
                Statement::parse(statement).map_err(|reason| PolicyError::Statement { index: index + 1, reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { statements })
    }
}

impl Statement {
    fn parse(statement: &Map<String, Value>) -> Result<Self, String> {
        const KNOWN: [&str; 10] = [
            "Sid",
            "Effect",
            "Principal",
            "NotPrincipal",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
            "Id",
        ];
        if let Some(unknown) = statement.keys().find(|member| !KNOWN.contains(&member.as_str())) {
            return Err(format!("unknown element {unknown}"));
        }
        let effect = match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => return Err("Effect must be Allow or Deny".to_owned()),
        };
        let sid = match statement.get("Sid") {
            None => None,
            Some(Value::String(sid)) => Some(sid.clone()),
            Some(_) => return Err("Sid must be a string".to_owned()),
        };
        let principal = match either(statement, "Principal", "NotPrincipal")? {
            None => None,
            Some((value, negated)) => Some(Either { values: principals(value)?, negated }),
        };
        let action = match either(statement, "Action", "NotAction")? {
            Some((value, negated)) => Either { values: strings(value, "Action")?, negated },
            None => return Err("a statement needs Action or NotAction".to_owned()),
        };
        let resource = match either(statement, "Resource", "NotResource")? {
            Some((value, negated)) => Some(Either { values: strings(value, "Resource")?, negated }),
            None => None,
        };
        let conditions = match statement.get("Condition") {
            None => Vec::new(),
            Some(Value::Object(block)) => Condition::parse_block(block)?,
            Some(_) => return Err("Condition must be an object".to_owned()),
        };
        Ok(Self { sid, effect, principal, action, resource, conditions })
    }
}

/// The value of `plain` or of `negated` (at most one may be given), and whether it was the negated one.
fn either<'a>(
    statement: &'a Map<String, Value>,
    plain: &str,
    negated: &str,
) -> Result<Option<(&'a Value, bool)>, String> {
    match (statement.get(plain), statement.get(negated)) {
        (Some(_), Some(_)) => Err(format!("{plain} and {negated} cannot both be given")),
        (Some(value), None) => Ok(Some((value, false))),
        (None, Some(value)) => Ok(Some((value, true))),
        (None, None) => Ok(None),
    }
}

/// A string or a non-empty list of strings.
pub(crate) fn strings(value: &Value, element: &str) -> Result<Vec<String>, String> {
    let list = match value {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{element} must be a string or a list of strings"))?,
        _ => return Err(format!("{element} must be a string or a list of strings")),
    };
    if list.is_empty() {
        return Err(format!("{element} must not be empty"));
    }
    Ok(list)
}

/// A `Principal`: `"*"`, or an object of kinds (`AWS`, `Service`, `Federated`, `CanonicalUser`) to strings.
fn principals(value: &Value) -> Result<Principals, String> {
    let kinds = match value {
        Value::String(star) if star == "*" => return Ok(Principals::Everyone),
        Value::Object(kinds) if !kinds.is_empty() => kinds,
        _ => return Err("Principal must be \"*\" or an object such as {\"AWS\": …}".to_owned()),
    };
    let mut aws = Vec::new();
    for (kind, entries) in kinds {
        let entries = strings(entries, "Principal")?;
        match kind.as_str() {
            "AWS" if entries.iter().any(|entry| entry == "*") => return Ok(Principals::Everyone),
            "AWS" => {
                if let Some(bad) = entries.iter().find(|entry| !is_aws_principal(entry)) {
                    return Err(format!("invalid principal {bad}"));
                }
                aws.extend(entries);
            }
            "Service" | "Federated" | "CanonicalUser" => {}
            other => return Err(format!("unknown principal type {other}")),
        }
    }
    Ok(Principals::Listed { aws })
}

/// An `AWS` principal entry KMS accepts: a 12-digit account ID or an IAM ARN (`arn:PARTITION:iam::ACCOUNT:…`).
fn is_aws_principal(entry: &str) -> bool {
    let is_account = |text: &str| text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit());
    if is_account(entry) {
        return true;
    }
    let parts: Vec<&str> = entry.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if !partition.is_empty() && is_account(account) && !resource.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_key_policy_reads_as_one_statement() {
        let policy = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",
            "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#,
        )
        .unwrap();
        let [statement] = policy.statements.as_slice() else { panic!("one statement") };
        assert_eq!(statement.effect, Effect::Allow);
        assert_eq!(
            statement.principal,
            Some(Either {
                values: Principals::Listed { aws: vec!["arn:aws:iam::111122223333:root".to_owned()] },
                negated: false
            })
        );
        assert_eq!(statement.action.values, ["kms:*"]);
    }

    #[test]
    fn documents_that_are_not_policies_are_refused_with_a_reason() {
        let refused = [
            ("not json", PolicyError::NotJson),
            ("[]", PolicyError::NotJson),
            ("{}", PolicyError::NoStatement),
            (r#"{"Statement":"x"}"#, PolicyError::NoStatement),
            (r#"{"Statement":[1]}"#, PolicyError::NoStatement),
        ];
        for (text, error) in refused {
            assert_eq!(PolicyDocument::parse(text), Err(error), "{text}");
        }
        let malformed = [
            r#"{"Statement":{"Effect":"Maybe","Action":"kms:*"}}"#,
            r#"{"Statement":{"Effect":"Allow"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","NotAction":"kms:Encrypt"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":[]}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Principal":{"AWS":"alice"}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Principal":{"Robot":"x"}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Principal":"someone"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Condition":{"StringSortOf":{"a":"b"}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Surprise":true}}"#,
        ];
        for text in malformed {
            assert!(matches!(PolicyDocument::parse(text), Err(PolicyError::Statement { index: 1, .. })), "{text}");
        }
    }
}
