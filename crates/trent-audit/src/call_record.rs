//! The record of an API call, from borrowed parts: the request's, when the call journals them
//! ([`crate::journal::write_call`]), then its journal entry's, when the importer renders the record through the one
//! definition of the record ([`crate::record::Record`]). The way to an [`AuditEvent`]'s exact JSON without building
//! one (no owned strings, maps or values per call); a unit test holds the two ways to the same text.

use std::borrow::Cow;
use std::fmt::{Display, Write};
use std::net::IpAddr;

use serde_json::value::RawValue;
use trent_domain::Timestamp;

use crate::record::{Identity, Members, Record, Resources};
use crate::stored::{IdentityView, Noted, RecordView, ResourceView};
use crate::{allowed_parameter, EventType, IsoTime, RootArn, EVENT_VERSION};

/// Who called, as far as the edge knows.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// An authenticated caller: the administrator of `account`, signing with `access_key_id`
    /// ([`crate::UserIdentity::root`]).
    Root {
        /// The caller's account.
        account: &'a str,
        /// The access key that signed the request.
        access_key_id: &'a str,
    },
    /// An authenticated user of `account` ([`crate::UserIdentity::user`]).
    User {
        /// The user's account.
        account: &'a str,
        /// The access key that signed the request.
        access_key_id: &'a str,
        /// The user's name.
        name: &'a str,
        /// The user's unique ID.
        user_id: &'a str,
    },
    /// A caller refused before it was authenticated, with the access key it claimed, if any.
    Unknown {
        /// The access key the request named.
        access_key_id: Option<&'a str>,
    },
}

/// An API call's audit record, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct CallRecord<'a> {
    /// The operation.
    pub event_name: &'a str,
    /// The API called: [`crate::EVENT_SOURCE`] or [`crate::ALIBABA_EVENT_SOURCE`].
    pub event_source: &'a str,
    /// When.
    pub at: Timestamp,
    /// The owning account (empty when unknown).
    pub account: &'a str,
    /// The region (empty when unknown).
    pub region: &'a str,
    /// The caller's address.
    pub source_ip: Option<IpAddr>,
    /// The caller's `User-Agent`, cut to 256 characters.
    pub user_agent: Option<&'a str>,
    /// Who called.
    pub caller: Caller<'a>,
    /// Request members by their record name, as the request's JSON text; names off the allow-list are dropped.
    pub parameters: &'a [(&'a str, &'a RawValue)],
    /// The key ID the response named.
    pub response_key_id: Option<&'a str>,
    /// The error code and message of a failed call.
    pub error: Option<(&'a str, &'a str)>,
    /// The request ID returned to the caller.
    pub request_id: &'a str,
    /// True for calls that change nothing.
    pub read_only: bool,
    /// The key the call was about.
    pub key_arn: Option<&'a str>,
    /// The audit event's ID: `None` until the call is journaled, which chooses one ([`crate::journal::write_call`]).
    pub event_id: Option<uuid::Uuid>,
}

/// The longest `User-Agent` recorded, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// `text` cut to at most [`MAX_USER_AGENT_CHARS`] characters.
pub fn cut_user_agent(text: &str) -> &str {
    let end = text.char_indices().nth(MAX_USER_AGENT_CHARS).map_or(text.len(), |(index, _)| index);
    text.get(..end).unwrap_or(text)
}

impl<'a> Caller<'a> {
    /// The principal's ID, as the record's `userIdentity.principalId` names it (empty when unknown).
    pub fn principal_id(&self) -> &'a str {
        match *self {
            Caller::Root { account, .. } => account,
            Caller::User { user_id, .. } => user_id,
            Caller::Unknown { .. } => "",
        }
    }

    /// The principal's ARN, as the record's `userIdentity.arn` names it, written over `out`; `None` when unknown.
    pub fn write_arn<'o>(&self, out: &'o mut String) -> Option<&'o str> {
        out.clear();
        let _ = match *self {
            Caller::Root { account, .. } => write!(out, "{}", RootArn(account)),
            Caller::User { account, name, .. } => write!(out, "{}", crate::UserArn { account, name }),
            Caller::Unknown { .. } => return None,
        };
        Some(out)
    }
}

impl<'a> CallRecord<'a> {
    /// What the rendered record's [`RecordView`] would read, from the call's own fields: its usage evidence and its
    /// key without rendering it. `event_id`, `principal_arn` and `source_ip` are its event ID, its caller's ARN
    /// ([`Caller::write_arn`]) and its address, as text.
    pub(crate) fn view<'v>(
        &'v self,
        event_id: &'v str,
        principal_arn: Option<&'v str>,
        source_ip: Option<&'v str>,
    ) -> RecordView<'v> {
        RecordView {
            event_id: Cow::Borrowed(event_id),
            event_name: Cow::Borrowed(self.event_name),
            aws_region: Cow::Borrowed(self.region),
            source_ip_address: source_ip.map(Cow::Borrowed),
            user_identity: IdentityView {
                principal_id: Cow::Borrowed(self.caller.principal_id()),
                arn: principal_arn.map(Cow::Borrowed),
            },
            error_code: self.error.map(|(code, _)| Cow::Borrowed(code)),
            error_message: self.error.map(|(_, message)| Cow::Borrowed(message)),
            request_id: Some(Cow::Borrowed(self.request_id)),
            event_type: EventType::AwsApiCall,
            resources: self.key_arn.map(|arn| ResourceView { arn: Cow::Borrowed(arn) }).into_iter().collect(),
            recipient_account_id: Cow::Borrowed(self.account),
        }
    }

    /// Writes the call's journal line into `out` (the event time in ms, a tab, the CloudTrail record, a newline) and
    /// returns where the record's members sit in it, as [`crate::AuditEvent::write_journal_line`] does.
    pub fn write_journal_line(&self, out: &mut Vec<u8>) -> Option<Noted> {
        let (root_arn, user_arn);
        let user_identity = match self.caller {
            Caller::Root { account, access_key_id } => {
                root_arn = RootArn(account);
                Identity {
                    kind: crate::ROOT_IDENTITY_TYPE,
                    principal_id: self.caller.principal_id(),
                    arn: Some(&root_arn),
                    account_id: Some(account),
                    access_key_id: Some(access_key_id),
                    user_name: None,
                }
            }
            Caller::User { account, access_key_id, name, .. } => {
                user_arn = crate::user_arn(account, name);
                Identity {
                    kind: crate::USER_IDENTITY_TYPE,
                    principal_id: self.caller.principal_id(),
                    arn: Some(&user_arn),
                    account_id: Some(account),
                    access_key_id: Some(access_key_id),
                    user_name: Some(name),
                }
            }
            Caller::Unknown { access_key_id } => Identity {
                kind: crate::UNKNOWN_IDENTITY_TYPE,
                principal_id: self.caller.principal_id(),
                arn: None,
                account_id: None,
                access_key_id,
                user_name: None,
            },
        };
        // In name order, as an event's parameter map keeps them.
        let mut parameters: Vec<(&str, &RawValue)> =
            self.parameters.iter().copied().filter(|(name, _)| allowed_parameter(name)).collect();
        parameters.sort_unstable_by_key(|(name, _)| *name);
        let mut id = [0; uuid::fmt::Hyphenated::LENGTH];
        let record = Record {
            event_version: EVENT_VERSION,
            event_time: &IsoTime(self.at),
            event_source: self.event_source,
            event_name: self.event_name,
            aws_region: self.region,
            source_ip_address: self.source_ip.as_ref().map(|ip| ip as &dyn Display),
            user_agent: self.user_agent.map(cut_user_agent),
            user_identity,
            request_parameters: Members::Raw(&parameters),
            response_elements: Members::KeyId(self.response_key_id),
            error_code: self.error.map(|(code, _)| code),
            error_message: self.error.map(|(_, message)| message),
            request_id: Some(self.request_id),
            event_id: self.event_id.unwrap_or_else(uuid::Uuid::new_v4).hyphenated().encode_lower(&mut id),
            read_only: self.read_only,
            resources: Resources::Key { arn: self.key_arn, account: self.account },
            event_type: EventType::AwsApiCall,
            recipient_account_id: self.account,
        };
        record.write_journal_line(self.at.0, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditEvent, EventType, UserIdentity};
    use trent_domain::AccountId;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    /// The same call through the owned event, as service events and key changes are recorded.
    fn owned(record: &CallRecord<'_>, event_id: &str) -> AuditEvent {
        let identity = match record.caller {
            Caller::Root { account, access_key_id } => {
                UserIdentity::root(&AccountId::parse(account).unwrap(), access_key_id)
            }
            Caller::User { account, access_key_id, name, user_id } => {
                UserIdentity::user(&AccountId::parse(account).unwrap(), access_key_id, name, user_id)
            }
            Caller::Unknown { access_key_id } => UserIdentity::unknown(access_key_id),
        };
        let mut event = AuditEvent::raw(
            record.event_name,
            EventType::AwsApiCall,
            record.at,
            record.account,
            record.region,
            identity,
            record.key_arn.map(str::to_owned),
        )
        .with_request(record.request_id, record.source_ip.map(|ip| ip.to_string()))
        .with_user_agent(record.user_agent.map(|ua| cut_user_agent(ua).to_owned()))
        .read_only(record.read_only);
        for (name, value) in record.parameters {
            event = event.with_parameter(name, serde_json::from_str::<serde_json::Value>(value.get()).unwrap());
        }
        if let Some(key_id) = record.response_key_id {
            event = event.with_response("keyId", key_id);
        }
        if let Some((code, message)) = record.error {
            event = event.with_error(code, message);
        }
        event.event_id = event_id.to_owned();
        event
    }

    fn written(record: &CallRecord<'_>) -> (String, String) {
        let mut line = Vec::new();
        let _ = record.write_journal_line(&mut line);
        let line = String::from_utf8(line).unwrap();
        let (millis, text) = line.strip_suffix('\n').unwrap().split_once('\t').unwrap();
        assert_eq!(millis, record.at.0.to_string());
        let event_id = serde_json::from_str::<serde_json::Value>(text).unwrap()["eventID"].as_str().unwrap().to_owned();
        (text.to_owned(), event_id)
    }

    #[test]
    fn a_written_record_is_exactly_the_owned_events_json() {
        let parameters = [
            ("keyId", raw(r#""1234abcd-12ab-34cd-56ef-1234567890ab""#)),
            ("plaintext", raw(r#""U0VDUkVU""#)),
            ("pendingWindowInDays", raw("7")),
            ("enabled", raw("[true,\n  {\"a\": \"b\"}]")),
        ];
        let parameters: Vec<(&str, &RawValue)> = parameters.iter().map(|(name, value)| (*name, &**value)).collect();
        let agent = fixtures::long_agent();
        let calls = fixtures::calls(&parameters, &agent);
        // Only the refused call's error message, a member the notes name, needs escaping.
        for (record, noted) in calls.iter().copied().zip([true, false, true, true]) {
            let mut line = Vec::new();
            let notes = record.write_journal_line(&mut line);
            assert_eq!(notes.is_some(), noted, "a record is noted unless a member it notes needed escaping");
            if let Some(notes) = notes {
                let line = std::str::from_utf8(&line[..line.len() - 1]).unwrap();
                let parsed = crate::stored::RecordView::parse(line.split_once('\t').unwrap().1).unwrap();
                let read = crate::stored::RecordView::noted(line, &notes).unwrap();
                assert_eq!(format!("{read:?}"), format!("{parsed:?}"), "the notes read what a parse reads");
            }
            let (text, event_id) = written(&record);
            assert_eq!(text, serde_json::to_string(&owned(&record, &event_id)).unwrap());
            assert!(!text.contains("U0VDUkVU"), "a member off the allow-list is dropped");
            assert!(!text.contains('\n'), "a record is one line");
        }
        assert_ne!(written(&calls[0]).1, written(&calls[0]).1, "every record has its own event ID");
    }
}

/// Calls of every shape, for the tests of the record and of the journal.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A successful call whose `User-Agent` needs escaping and is longer than is kept; a call refused before
    /// authentication, without an access key, whose message needs escaping; a user's call; and a refused call of
    /// empty strings from an IPv4-mapped IPv6 address.
    pub(crate) fn calls<'a>(parameters: &'a [(&'a str, &'a RawValue)], long_agent: &'a str) -> Vec<CallRecord<'a>> {
        let arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let account = "111122223333";
        let success = CallRecord {
            event_source: crate::EVENT_SOURCE,
            event_name: "Encrypt",
            at: Timestamp(1_700_000_000_123),
            account,
            region: "eu-west-1",
            source_ip: Some(IpAddr::from([10, 1, 2, 3])),
            user_agent: Some(long_agent),
            caller: Caller::Root { account, access_key_id: "AKIDEXAMPLE" },
            parameters,
            response_key_id: Some(arn),
            error: None,
            request_id: "req-1",
            read_only: true,
            key_arn: Some(arn),
            event_id: None,
        };
        let refused = CallRecord {
            caller: Caller::Unknown { access_key_id: None },
            account: "",
            region: "",
            source_ip: Some(IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1u16])),
            user_agent: None,
            response_key_id: None,
            key_arn: None,
            error: Some(("UnrecognizedClientException", "The security token included in the request is \"invalid\".")),
            read_only: false,
            ..success
        };
        let by_user = CallRecord {
            caller: Caller::User { account, access_key_id: "AKIAUSER", name: "alice", user_id: "AIDAEXAMPLEUSERID" },
            ..success
        };
        let empty_strings = CallRecord {
            caller: Caller::Unknown { access_key_id: Some("") },
            user_agent: Some(""),
            source_ip: Some(IpAddr::from([0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203u16])),
            error: Some(("AccessDeniedException", "")),
            ..refused
        };
        vec![success, refused, by_user, empty_strings]
    }

    /// A `User-Agent` of 900 characters, some of them escaped in JSON: a record keeps 256.
    pub(crate) fn long_agent() -> String {
        "é\"agent\\".repeat(100)
    }
}
