//! The CloudTrail record as Trent writes it, defined once: [`Record`] names every member, its order and when it is
//! left out. An owned [`crate::AuditEvent`] is written through it, and so is an API call's record, straight from the
//! request's borrowed parts ([`crate::call_record::CallRecord`]), without building an owned event first.

use std::fmt::Display;
use std::ops::Range;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::json;
use crate::stored::Noted;
use crate::{EventType, Resource, UserIdentity};

/// One record, borrowed. Its members are written in this order; an optional one that is `None` is left out.
pub struct Record<'a> {
    pub(crate) event_version: &'a str,
    pub(crate) event_time: &'a dyn Display,
    pub(crate) event_source: &'a str,
    pub(crate) event_name: &'a str,
    pub(crate) aws_region: &'a str,
    pub(crate) source_ip_address: Option<&'a dyn Display>,
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) user_identity: Identity<'a>,
    pub(crate) request_parameters: Members<'a>,
    pub(crate) response_elements: Members<'a>,
    pub(crate) error_code: Option<&'a str>,
    pub(crate) error_message: Option<&'a str>,
    pub(crate) request_id: Option<&'a str>,
    pub(crate) event_id: &'a str,
    pub(crate) read_only: bool,
    pub(crate) resources: Resources<'a>,
    pub(crate) event_type: EventType,
    pub(crate) recipient_account_id: &'a str,
}

impl Record<'_> {
    /// Writes the record's journal line into `out`: the event time in ms, a tab, the record's JSON, a newline.
    /// Returns where the members a [`crate::stored::RecordView`] reads sit in the line (offsets from its start), when
    /// [`Record::write_json`] could note them.
    pub fn write_journal_line(&self, millis: i64, out: &mut Vec<u8>) -> Option<Noted> {
        let start = out.len();
        json::integer(out, millis);
        out.push(b'\t');
        let noted = self.write_json(out);
        out.push(b'\n');
        noted?.from(start)
    }

    /// Writes the record's JSON (compact, one line) into `out`: by hand, because every call writes one and nearly
    /// every string in it needs no escaping ([`json`]); the text is the one serde_json would write. Returns where the
    /// members a [`crate::stored::RecordView`] reads sit in `out`, unless one of them had to be escaped or the record
    /// names more than one resource.
    pub fn write_json(&self, out: &mut Vec<u8>) -> Option<Noted> {
        out.extend_from_slice(b"{\"eventVersion\":");
        json::string(out, self.event_version);
        out.extend_from_slice(b",\"eventTime\":");
        json::display(out, self.event_time);
        out.extend_from_slice(b",\"eventSource\":");
        json::string(out, self.event_source);
        out.extend_from_slice(b",\"eventName\":");
        let event_name = json::string(out, self.event_name);
        out.extend_from_slice(b",\"awsRegion\":");
        let aws_region = json::string(out, self.aws_region);
        let source_ip_address = self.source_ip_address.map(|ip| {
            out.extend_from_slice(b",\"sourceIPAddress\":");
            json::display(out, ip)
        });
        if let Some(user_agent) = self.user_agent {
            out.extend_from_slice(b",\"userAgent\":");
            json::string(out, user_agent);
        }
        out.extend_from_slice(b",\"userIdentity\":");
        let (principal_id, arn) = self.user_identity.write_json(out);
        out.extend_from_slice(b",\"requestParameters\":");
        self.request_parameters.write_json(out);
        out.extend_from_slice(b",\"responseElements\":");
        self.response_elements.write_json(out);
        let error_code = self.error_code.map(|code| {
            out.extend_from_slice(b",\"errorCode\":");
            json::string(out, code)
        });
        let error_message = self.error_message.map(|message| {
            out.extend_from_slice(b",\"errorMessage\":");
            json::string(out, message)
        });
        let request_id = self.request_id.map(|request_id| {
            out.extend_from_slice(b",\"requestID\":");
            json::string(out, request_id)
        });
        out.extend_from_slice(b",\"eventID\":");
        let event_id = json::string(out, self.event_id);
        out.extend_from_slice(if self.read_only { b",\"readOnly\":true" } else { b",\"readOnly\":false" });
        out.extend_from_slice(b",\"resources\":");
        let resource = self.resources.write_json(out);
        out.extend_from_slice(b",\"eventType\":");
        json::string(out, self.event_type.as_str());
        out.extend_from_slice(b",\"recipientAccountId\":");
        let recipient_account_id = json::string(out, self.recipient_account_id);
        out.push(b'}');
        Some(Noted {
            event_id: span(event_id)?,
            event_name: span(event_name)?,
            aws_region: span(aws_region)?,
            source_ip_address: optional_span(source_ip_address)?,
            principal_id: span(principal_id)?,
            arn: optional_span(arn)?,
            error_code: optional_span(error_code)?,
            error_message: optional_span(error_message)?,
            request_id: optional_span(request_id)?,
            resource: optional_span(resource)?,
            event_type: self.event_type,
            recipient_account_id: span(recipient_account_id)?,
        })
    }
}

/// A member's place, when it was written as it is.
fn span(written: Option<Range<usize>>) -> Option<Range<u32>> {
    let written = written?;
    Some(u32::try_from(written.start).ok()?..u32::try_from(written.end).ok()?)
}

/// An optional member's place: `Some(None)` when it is absent, `None` when it was escaped.
fn optional_span(written: Option<Option<Range<usize>>>) -> Option<Option<Range<u32>>> {
    match written {
        None => Some(None),
        Some(written) => span(written).map(Some),
    }
}

/// A record serialises as the JSON [`Record::write_json`] writes (serde_json takes it as it is).
impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut text = Vec::with_capacity(1024);
        let _ = self.write_json(&mut text);
        let text = String::from_utf8(text).map_err(S::Error::custom)?;
        RawValue::from_string(text).map_err(S::Error::custom)?.serialize(serializer)
    }
}

/// `userIdentity`.
pub(crate) struct Identity<'a> {
    pub(crate) kind: &'a str,
    pub(crate) principal_id: &'a str,
    pub(crate) arn: Option<&'a dyn Display>,
    pub(crate) account_id: Option<&'a str>,
    pub(crate) access_key_id: Option<&'a str>,
    pub(crate) user_name: Option<&'a str>,
}

impl<'a> Identity<'a> {
    pub(crate) fn of(identity: &'a UserIdentity) -> Self {
        Self {
            kind: &identity.kind,
            principal_id: &identity.principal_id,
            arn: identity.arn.as_ref().map(|arn| arn as &dyn Display),
            account_id: identity.account_id.as_deref(),
            access_key_id: identity.access_key_id.as_deref(),
            user_name: identity.user_name.as_deref(),
        }
    }

    /// Writes `userIdentity`; returns where its principal's ID and ARN sit (as [`json::string`] does).
    fn write_json(&self, out: &mut Vec<u8>) -> (Option<Range<usize>>, Option<Option<Range<usize>>>) {
        out.extend_from_slice(b"{\"type\":");
        json::string(out, self.kind);
        out.extend_from_slice(b",\"principalId\":");
        let principal_id = json::string(out, self.principal_id);
        let arn = self.arn.map(|arn| {
            out.extend_from_slice(b",\"arn\":");
            json::display(out, arn)
        });
        if let Some(account_id) = self.account_id {
            out.extend_from_slice(b",\"accountId\":");
            json::string(out, account_id);
        }
        if let Some(access_key_id) = self.access_key_id {
            out.extend_from_slice(b",\"accessKeyId\":");
            json::string(out, access_key_id);
        }
        if let Some(user_name) = self.user_name {
            out.extend_from_slice(b",\"userName\":");
            json::string(out, user_name);
        }
        out.push(b'}');
        (principal_id, arn)
    }
}

/// `requestParameters` or `responseElements`: an owned event's map, or a call's members as the request's JSON text
/// (allow-listed and in name order by the caller), or a call's one response element, `keyId`.
pub(crate) enum Members<'a> {
    Map(&'a Map<String, Value>),
    Raw(&'a [(&'a str, &'a RawValue)]),
    KeyId(Option<&'a str>),
}

impl Members<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            // Writing a map of values into a Vec cannot fail.
            Members::Map(map) => drop(serde_json::to_writer(&mut *out, map)),
            Members::Raw(members) => {
                out.push(b'{');
                for (index, (name, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    json::string(out, name);
                    out.push(b':');
                    one_line(out, value);
                }
                out.push(b'}');
            }
            Members::KeyId(Some(key_id)) => {
                out.extend_from_slice(b"{\"keyId\":");
                json::string(out, key_id);
                out.push(b'}');
            }
            Members::KeyId(None) => out.extend_from_slice(b"{}"),
        }
    }
}

/// Writes a request member's JSON text as it came, unless it spans lines (whitespace between an array's or object's
/// members may): a record is one line, so that is written again compactly.
fn one_line(out: &mut Vec<u8>, value: &RawValue) {
    let text = value.get();
    if !text.contains(['\n', '\r']) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    match serde_json::from_str::<Value>(text) {
        // Writing a value into a Vec cannot fail.
        Ok(value) => drop(serde_json::to_writer(&mut *out, &value)),
        // The text came from a parsed request, so it parses; were it not to, it is still written as one string.
        Err(_) => drop(json::string(out, text)),
    }
}

/// `resources`: an owned event's list, or the one key a call was about (if any).
pub(crate) enum Resources<'a> {
    List(&'a [Resource]),
    Key { arn: Option<&'a str>, account: &'a str },
}

impl Resources<'_> {
    /// Writes `resources`; returns where the one resource's ARN sits, as an optional member's place is returned
    /// (`None` when there is none, `Some(None)` when there are several or its ARN was escaped).
    fn write_json(&self, out: &mut Vec<u8>) -> Option<Option<Range<usize>>> {
        out.push(b'[');
        let first = match self {
            Resources::List(list) => {
                let mut noted = None;
                for (index, resource) in list.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    let arn = write_resource(out, &resource.arn, &resource.account_id, &resource.kind);
                    noted = Some(arn.filter(|_| index == 0));
                }
                noted
            }
            Resources::Key { arn: Some(arn), account } => {
                Some(write_resource(out, arn, account, crate::KEY_RESOURCE_TYPE))
            }
            Resources::Key { arn: None, .. } => None,
        };
        out.push(b']');
        first
    }
}

/// One resource; returns where its ARN sits (as [`json::string`] does).
fn write_resource(out: &mut Vec<u8>, arn: &str, account_id: &str, kind: &str) -> Option<Range<usize>> {
    out.extend_from_slice(b"{\"ARN\":");
    let arn = json::string(out, arn);
    out.extend_from_slice(b",\"accountId\":");
    json::string(out, account_id);
    out.extend_from_slice(b",\"type\":");
    json::string(out, kind);
    out.push(b'}');
    arn
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trent_domain::{AccountId, Region, Timestamp};

    use crate::{AuditEvent, EventType, UserIdentity};

    /// A record with every member present, strings that need escaping, and nested parameters.
    fn full_event() -> AuditEvent {
        let account = AccountId::parse("111122223333").unwrap();
        let mut event = AuditEvent::new(
            "ScheduleKeyDeletion",
            EventType::AwsApiCall,
            Timestamp(1_700_000_000_123),
            &account,
            &Region::parse("eu-west-1").unwrap(),
            UserIdentity::user(&account, "AKIAUSER", "al\"ice", "AIDAEXAMPLE"),
            Some("arn:aws:kms:eu-west-1:111122223333:key/k".to_owned()),
        )
        .with_request("req-1", Some("10.1.2.3".to_owned()))
        .with_user_agent(Some("agent/1.0 \"quoted\" \\ é\t\u{1}".to_owned()))
        .with_parameter("keyId", "k")
        .with_parameter("pendingWindowInDays", 7)
        .with_parameter("enabled", json!([true, {"a": "b\nc"}]))
        .with_response("keyId", "arn:aws:kms:eu-west-1:111122223333:key/k")
        .with_error("KMSInvalidStateException", "line one\nline \"two\"")
        .read_only(true);
        event.event_id = "e-1".to_owned();
        event
    }

    #[test]
    fn a_record_is_written_in_cloudtrails_member_order_and_serde_jsons_escaping() {
        let mut line = Vec::new();
        let _ = full_event().write_journal_line(&mut line);
        let text = String::from_utf8(line).unwrap();
        let expected = concat!(
            "1700000000123\t",
            r#"{"eventVersion":"1.08","eventTime":"2023-11-14T22:13:20Z","eventSource":"kms.amazonaws.com","#,
            r#""eventName":"ScheduleKeyDeletion","awsRegion":"eu-west-1","sourceIPAddress":"10.1.2.3","#,
            r#""userAgent":"agent/1.0 \"quoted\" \\ é\t\u0001","#,
            r#""userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","#,
            r#""arn":"arn:aws:iam::111122223333:user/al\"ice","accountId":"111122223333","#,
            r#""accessKeyId":"AKIAUSER","userName":"al\"ice"},"#,
            r#""requestParameters":{"enabled":[true,{"a":"b\nc"}],"keyId":"k","pendingWindowInDays":7},"#,
            r#""responseElements":{"keyId":"arn:aws:kms:eu-west-1:111122223333:key/k"},"#,
            r#""errorCode":"KMSInvalidStateException","errorMessage":"line one\nline \"two\"","#,
            r#""requestID":"req-1","eventID":"e-1","readOnly":true,"#,
            r#""resources":[{"ARN":"arn:aws:kms:eu-west-1:111122223333:key/k","accountId":"111122223333","#,
            r#""type":"AWS::KMS::Key"}],"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#,
            "\n"
        );
        assert_eq!(text, expected);
        let record = expected.split_once('\t').unwrap().1.trim_end();
        assert_eq!(serde_json::to_string(&full_event()).unwrap(), record, "serde_json takes the written text");
        let read: AuditEvent = serde_json::from_str(record).unwrap();
        assert_eq!(AuditEvent { event_millis: read.event_millis, ..full_event() }, read, "it reads back the same");
    }

    #[test]
    fn optional_members_are_left_out_and_empty_ones_written_empty() {
        let mut event = AuditEvent::new(
            "DeleteKey",
            EventType::AwsServiceEvent,
            Timestamp(0),
            &AccountId::parse("111122223333").unwrap(),
            &Region::parse("us-east-1").unwrap(),
            AuditEvent::service_identity(),
            None,
        );
        event.event_id = "e-2".to_owned();
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            concat!(
                r#"{"eventVersion":"1.08","eventTime":"1970-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","#,
                r#""eventName":"DeleteKey","awsRegion":"us-east-1","#,
                r#""userIdentity":{"type":"AWSService","principalId":"kms.amazonaws.com"},"#,
                r#""requestParameters":{},"responseElements":{},"eventID":"e-2","readOnly":false,"resources":[],"#,
                r#""eventType":"AwsServiceEvent","recipientAccountId":"111122223333"}"#
            )
        );
    }
}
