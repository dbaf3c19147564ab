//! The CloudTrail record as Trent writes it, defined once: [`Record`] names every member, its order and when it is
//! left out. An owned [`crate::AuditEvent`] is written through it, and so is an API call's record, straight from the
//! request's borrowed parts ([`crate::call_record::CallRecord`]), without building an owned event first.

use std::fmt::Display;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::{EventType, Resource, UserIdentity};

/// One record, borrowed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    pub(crate) event_version: &'a str,
    #[serde(serialize_with = "display")]
    pub(crate) event_time: &'a dyn Display,
    pub(crate) event_source: &'a str,
    pub(crate) event_name: &'a str,
    pub(crate) aws_region: &'a str,
    #[serde(rename = "sourceIPAddress", skip_serializing_if = "Option::is_none", serialize_with = "optional_display")]
    pub(crate) source_ip_address: Option<&'a dyn Display>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) user_identity: Identity<'a>,
    pub(crate) request_parameters: Members<'a>,
    pub(crate) response_elements: Members<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_message: Option<&'a str>,
    #[serde(rename = "requestID", skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<&'a str>,
    #[serde(rename = "eventID")]
    pub(crate) event_id: &'a str,
    pub(crate) read_only: bool,
    pub(crate) resources: Resources<'a>,
    pub(crate) event_type: EventType,
    pub(crate) recipient_account_id: &'a str,
}

/// `userIdentity`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Identity<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'a str,
    pub(crate) principal_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "optional_display")]
    pub(crate) arn: Option<&'a dyn Display>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) access_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
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
}

/// `requestParameters` or `responseElements`: an owned event's map, or a call's members as the request's JSON text
/// (allow-listed and in name order by the caller), or a call's one response element, `keyId`.
pub(crate) enum Members<'a> {
    Map(&'a Map<String, Value>),
    Raw(&'a [(&'a str, &'a RawValue)]),
    KeyId(Option<&'a str>),
}

impl Serialize for Members<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Members::Map(map) => map.serialize(serializer),
            Members::Raw(members) => serializer.collect_map(members.iter().map(|(name, value)| (name, OneLine(value)))),
            Members::KeyId(key_id) => {
                let mut map = serializer.serialize_map(Some(usize::from(key_id.is_some())))?;
                if let Some(key_id) = key_id {
                    map.serialize_entry("keyId", key_id)?;
                }
                map.end()
            }
        }
    }
}

/// A request member's JSON text as it came, unless it spans lines (whitespace between an array's or object's
/// members may): a record is one line, so that is written again compactly.
struct OneLine<'a>(&'a RawValue);

impl Serialize for OneLine<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.0.get();
        if !text.contains(['\n', '\r']) {
            return self.0.serialize(serializer);
        }
        match serde_json::from_str::<Value>(text) {
            Ok(value) => value.serialize(serializer),
            // The text came from a parsed request, so it parses; were it not to, it is still written as one string.
            Err(_) => serializer.serialize_str(text),
        }
    }
}

/// `resources`: an owned event's list, or the one key a call was about (if any).
pub(crate) enum Resources<'a> {
    List(&'a [Resource]),
    Key { arn: Option<&'a str>, account: &'a str },
}

/// One resource.
#[derive(Serialize)]
struct ResourceRef<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    #[serde(rename = "accountId")]
    account_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

impl Serialize for Resources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Resources::List(list) => serializer.collect_seq(list.iter().map(|r| ResourceRef {
                arn: &r.arn,
                account_id: &r.account_id,
                kind: &r.kind,
            })),
            Resources::Key { arn, account } => {
                let mut seq = serializer.serialize_seq(Some(usize::from(arn.is_some())))?;
                if let Some(arn) = arn {
                    seq.serialize_element(&ResourceRef { arn, account_id: account, kind: crate::KEY_RESOURCE_TYPE })?;
                }
                seq.end()
            }
        }
    }
}

fn display<S: Serializer>(value: &&dyn Display, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn optional_display<S: Serializer>(value: &Option<&dyn Display>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.collect_str(value),
        None => serializer.serialize_none(),
    }
}
