//! The request members an audit record may carry, kept while the operation parses its request, so one parse of the
//! body serves both: inside [`keeping_members`], [`crate::shapes::parse_body`] also keeps each allow-listed member it
//! reads, as the request's JSON text. Plaintexts and ciphertexts are never kept (nor read twice).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::{forward_to_deserialize_any, Deserialize};
use serde_json::value::RawValue;

/// Members an audit record may carry: the wire name, and the name in the record.
const AUDITED: &[(&str, &str)] = &[
    ("KeyId", "keyId"),
    ("AliasName", "aliasName"),
    ("TargetKeyId", "targetKeyId"),
    ("SourceKeyId", "sourceKeyId"),
    ("DestinationKeyId", "destinationKeyId"),
    ("PendingWindowInDays", "pendingWindowInDays"),
    ("KeySpec", "keySpec"),
    ("KeyUsage", "keyUsage"),
    ("NumberOfBytes", "numberOfBytes"),
    ("EncryptionAlgorithm", "encryptionAlgorithm"),
    ("SigningAlgorithm", "signingAlgorithm"),
    ("MessageType", "messageType"),
    ("MacAlgorithm", "macAlgorithm"),
    ("KeyPairSpec", "keyPairSpec"),
    ("KeyAgreementAlgorithm", "keyAgreementAlgorithm"),
    ("EncapsulationAlgorithm", "encapsulationAlgorithm"),
    ("Enabled", "enabled"),
    ("WrappingAlgorithm", "wrappingAlgorithm"),
    ("WrappingKeySpec", "wrappingKeySpec"),
    ("ExpirationModel", "expirationModel"),
    ("ImportType", "importType"),
];

/// A request's audited members, by their record names, as the request's JSON text.
#[derive(Debug, Default)]
pub struct AuditedMembers(pub Vec<(&'static str, Box<RawValue>)>);

impl AuditedMembers {
    /// The member with this record name.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.0.iter().find(|(member, _)| *member == name).map(|(_, value)| &**value)
    }
}

tokio::task_local! {
    /// The members kept for the request being handled; `None` until its body is parsed.
    static KEPT: RefCell<Option<AuditedMembers>>;
}

/// Runs an operation, keeping the audited members of the request it parses (the first parse of its body).
pub async fn keeping_members<F: Future>(operation: F) -> (F::Output, Option<AuditedMembers>) {
    KEPT.scope(RefCell::new(None), async {
        let output = operation.await;
        (output, KEPT.with(RefCell::take))
    })
    .await
}

/// The audited members of a body no operation parsed (a call refused before it reached one).
pub fn members_of(body: &[u8]) -> Option<AuditedMembers> {
    let mut kept = Vec::new();
    let mut json = serde_json::Deserializer::from_slice(body);
    de::IgnoredAny::deserialize(Tee { inner: &mut json, kept: &mut kept }).ok()?;
    Some(AuditedMembers(kept))
}

/// Parses `body` as `T`; inside [`keeping_members`], the first parse also keeps the audited members it reads.
pub(crate) fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    let keeping = KEPT.try_with(|kept| kept.borrow().is_none()).unwrap_or(false);
    if !keeping {
        return serde_json::from_slice(body);
    }
    let mut kept = Vec::new();
    let mut json = serde_json::Deserializer::from_slice(body);
    let parsed = T::deserialize(Tee { inner: &mut json, kept: &mut kept }).and_then(|value| json.end().map(|()| value));
    let _ = KEPT.try_with(|slot| *slot.borrow_mut() = Some(AuditedMembers(kept)));
    parsed
}

/// A deserializer that hands its top-level object to the visitor through [`TeeMap`].
struct Tee<'a, D> {
    inner: D,
    kept: &'a mut Vec<(&'static str, Box<RawValue>)>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tee<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(TeeVisitor { visitor, kept: self.kept })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Passes every value to the wrapped visitor, an object through [`TeeMap`].
struct TeeVisitor<'a, V> {
    visitor: V,
    kept: &'a mut Vec<(&'static str, Box<RawValue>)>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TeeVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(formatter)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<V::Value, M::Error> {
        self.visitor.visit_map(TeeMap { inner: map, kept: self.kept, member: None })
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.visitor.visit_bool(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.visitor.visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.visitor.visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.visitor.visit_f64(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.visitor.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.visitor.visit_string(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }
}

/// The top-level object's members: an audited one is read as JSON text, kept, and given to the visitor from that text;
/// every other one goes to the visitor unread by anything else.
struct TeeMap<'a, M> {
    inner: M,
    kept: &'a mut Vec<(&'static str, Box<RawValue>)>,
    /// The record name of the member whose value comes next, when it is audited.
    member: Option<&'static str>,
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for TeeMap<'_, M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, M::Error> {
        let Some(MemberName(name)) = self.inner.next_key::<MemberName<'de>>()? else {
            return Ok(None);
        };
        self.member = AUDITED.iter().find(|(wire, _)| *wire == name).map(|(_, record)| *record);
        seed.deserialize(IntoDeserializer::<M::Error>::into_deserializer(name)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, M::Error> {
        match self.member.take() {
            None => self.inner.next_value_seed(seed),
            Some(record) => {
                let text: &'de RawValue = self.inner.next_value()?;
                let value =
                    seed.deserialize(&mut serde_json::Deserializer::from_str(text.get())).map_err(de::Error::custom)?;
                if scalar(text) {
                    self.kept.push((record, text.to_owned()));
                }
                Ok(value)
            }
        }
    }
}

/// True for a JSON scalar (a string, number, boolean or null), the type of every audited member. An array or object
/// in a member's place is not kept: the request is refused anyway, and a value nested nearly as deep as a request may
/// be would make the record it sits in deeper than a record may be read back.
fn scalar(text: &RawValue) -> bool {
    !matches!(text.get().as_bytes().first(), Some(b'[' | b'{'))
}

/// A member's name, borrowed from the body unless it had escapes.
struct MemberName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = MemberName<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Request {
        key_id: Option<String>,
        plaintext: Option<String>,
        number_of_bytes: Option<u32>,
    }

    fn kept(members: &AuditedMembers) -> Vec<(&str, &str)> {
        members.0.iter().map(|(name, value)| (*name, value.get())).collect()
    }

    #[tokio::test]
    async fn one_parse_gives_the_operation_its_request_and_the_audit_its_members() {
        let body = br#"{"KeyId":"k-1","Plaintext":"SECRET","NumberOfBytes":32,"EncryptionAlgorithm":"SYMMETRIC_DEFAULT","Unknown":{"a":[1]}}"#;
        let (parsed, members) = keeping_members(async { from_slice::<Request>(body) }).await;
        assert_eq!(
            parsed.unwrap(),
            Request { key_id: Some("k-1".into()), plaintext: Some("SECRET".into()), number_of_bytes: Some(32) }
        );
        let members = members.unwrap();
        assert_eq!(
            kept(&members),
            [("keyId", "\"k-1\""), ("numberOfBytes", "32"), ("encryptionAlgorithm", "\"SYMMETRIC_DEFAULT\"")]
        );
        assert_eq!(members.get("keyId").map(RawValue::get), Some("\"k-1\""));
        // Outside keeping_members, a parse keeps nothing and is the plain parse.
        assert!(from_slice::<Request>(body).is_ok());
    }

    #[test]
    fn a_member_that_is_an_array_or_object_is_not_kept() {
        let deep =
            format!(r#"{{"KeyId":{}{}, "KeySpec":{{"a":1}}, "NumberOfBytes":7}}"#, "[".repeat(126), "]".repeat(126));
        let members = members_of(deep.as_bytes()).unwrap();
        assert_eq!(kept(&members), [("numberOfBytes", "7")]);
    }

    #[tokio::test]
    async fn a_request_that_does_not_parse_fails_as_before_and_keeps_what_was_read() {
        for body in [
            &br#"{"KeyId":5}"#[..],
            br#"{"KeyId":"k","NumberOfBytes":"many"}"#,
            br#"[1,2]"#,
            br#"{"KeyId":"k""#,
            br#"{"KeyId":"k"} x"#,
        ] {
            let (parsed, _) = keeping_members(async { from_slice::<Request>(body) }).await;
            assert!(parsed.is_err(), "{}", String::from_utf8_lossy(body));
            assert!(serde_json::from_slice::<Request>(body).is_err());
        }
        let (_, members) =
            keeping_members(async { from_slice::<Request>(br#"{"KeyId":"k","NumberOfBytes":"many"}"#) }).await;
        assert_eq!(kept(&members.unwrap()), [("keyId", "\"k\"")]);
        assert_eq!(
            kept(&members_of(br#"{"AliasName":"alias/x","Plaintext":"SECRET"}"#).unwrap()),
            [("aliasName", "\"alias/x\"")]
        );
        assert!(members_of(b"not json").is_none());
    }

    #[tokio::test]
    async fn only_the_first_parse_of_a_request_keeps_members() {
        let (_, members) = keeping_members(async {
            let _ = from_slice::<Request>(br#"{"KeyId":"first"}"#);
            from_slice::<Request>(br#"{"KeyId":"second"}"#)
        })
        .await;
        assert_eq!(kept(&members.unwrap()), [("keyId", "\"first\"")]);
    }
}
