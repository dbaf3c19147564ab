//! Shapes shared by many operations: base64 blobs, the request-body parser, KeyMetadata, timestamps, tags.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use trent_domain::{Key, KeyState, Tag, Timestamp};

use crate::error::{AwsError, AwsErrorCode};

/// A blob member: base64 text on the wire, bytes here.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Blobs carry plaintext and ciphertext: never print them.
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text.as_bytes()).map(Blob).map_err(|_| de::Error::custom("a blob member is not valid base64"))
    }
}

/// Encodes bytes for a blob member.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Parses a request body. An empty body counts as `{}`; malformed JSON or a member of the wrong type is a
/// `SerializationException` that does not echo the request's values.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    crate::audited::from_slice(body).map_err(|error| {
        let what = match error.classify() {
            serde_json::error::Category::Data => "a member has the wrong type or an invalid value",
            serde_json::error::Category::Eof => "the JSON document ends too early",
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                "the request body is not valid JSON"
            }
        };
        AwsError::new(
            AwsErrorCode::SerializationException,
            format!("Could not parse the request: {what} (line {}, column {}).", error.line(), error.column()),
        )
    })
}

/// A timestamp as AWS's JSON sends it: epoch seconds, a number.
pub fn epoch(at: Timestamp) -> Value {
    json!(at.epoch_seconds())
}

/// A wire encryption context as the crypto layer's sorted map.
pub fn context(map: Option<BTreeMap<String, String>>) -> trent_crypto::EncryptionContext {
    map.unwrap_or_default()
}

/// A tag on the wire.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireTag {
    /// TagKey.
    pub tag_key: Option<String>,
    /// TagValue.
    pub tag_value: Option<String>,
}

/// Checks wire tags against the model (both members required, key 1–128, value 0–256) and converts them.
pub fn tags(validator: &mut crate::validate::Validator, member: &str, wire: Option<&[WireTag]>) -> Vec<Tag> {
    let mut out = Vec::new();
    for (index, tag) in wire.unwrap_or_default().iter().enumerate() {
        let position = index + 1;
        validator
            .required(&format!("{member}.{position}.member.tagKey"), &tag.tag_key)
            .required(&format!("{member}.{position}.member.tagValue"), &tag.tag_value)
            .length(&format!("{member}.{position}.member.tagKey"), tag.tag_key.as_deref(), 1, 128)
            .length(&format!("{member}.{position}.member.tagValue"), tag.tag_value.as_deref(), 0, 256);
        if let (Some(key), Some(value)) = (&tag.tag_key, &tag.tag_value) {
            out.push(Tag { key: key.clone(), value: value.clone() });
        }
    }
    out
}

/// Tags as the wire lists them.
pub fn wire_tags(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({ "TagKey": t.key, "TagValue": t.value })).collect())
}

/// A key's `KeyMetadata`, with exactly the members AWS sends for a key of its spec in its state.
pub fn key_metadata(key: &Key) -> Value {
    let mut m = Map::new();
    m.insert("AWSAccountId".into(), json!(key.account.as_str()));
    m.insert("KeyId".into(), json!(key.id.to_string()));
    m.insert("Arn".into(), json!(key.arn().to_string()));
    m.insert("CreationDate".into(), epoch(key.created_at));
    m.insert("Enabled".into(), json!(key.state == KeyState::Enabled));
    m.insert("Description".into(), json!(key.description));
    m.insert("KeyUsage".into(), json!(key.usage.as_str()));
    m.insert("KeyState".into(), json!(key.state.as_str()));
    if let Some(deletion) = key.state.scheduled_deletion() {
        m.insert("DeletionDate".into(), epoch(deletion.deletion_date));
    }
    m.insert("Origin".into(), json!(key.origin.as_str()));
    m.insert("KeyManager".into(), json!(key.manager.as_str()));
    m.insert("CustomerMasterKeySpec".into(), json!(key.spec.as_str()));
    m.insert("KeySpec".into(), json!(key.spec.as_str()));
    insert_algorithms(&mut m, key);
    m.insert("MultiRegion".into(), json!(false));
    Value::Object(m)
}

/// The algorithm lists of a key (KeyMetadata and GetPublicKey): only the ones its spec and usage have, as AWS sends.
pub fn insert_algorithms(m: &mut Map<String, Value>, key: &Key) {
    let algorithms = key.algorithms();
    if !algorithms.encryption.is_empty() {
        m.insert(
            "EncryptionAlgorithms".into(),
            json!(algorithms.encryption.iter().map(|a| a.as_str()).collect::<Vec<_>>()),
        );
    }
    if !algorithms.signing.is_empty() {
        m.insert("SigningAlgorithms".into(), json!(algorithms.signing.iter().map(|a| a.as_str()).collect::<Vec<_>>()));
    }
    if !algorithms.mac.is_empty() {
        m.insert("MacAlgorithms".into(), json!(algorithms.mac));
    }
    if !algorithms.key_agreement.is_empty() {
        m.insert("KeyAgreementAlgorithms".into(), json!(algorithms.key_agreement));
    }
    if !algorithms.encapsulation.is_empty() {
        m.insert("EncapsulationAlgorithms".into(), json!(algorithms.encapsulation));
    }
}

/// Puts `NextMarker` and `Truncated` on a list response, as AWS does.
pub fn paged(mut response: Map<String, Value>, next_marker: Option<String>) -> Value {
    response.insert("Truncated".into(), json!(next_marker.is_some()));
    if let Some(marker) = next_marker {
        response.insert("NextMarker".into(), json!(marker));
    }
    Value::Object(response)
}

/// The model's `MarkerType`: 1 to 1024 characters in `[\u0020-\u00FF]*`.
pub fn check_marker(validator: &mut crate::validate::Validator, marker: Option<&str>) {
    validator
        .length("marker", marker, 1, 1024)
        .pattern("marker", marker, "[\\u0020-\\u00FF]*", |c| ('\u{20}'..='\u{ff}').contains(&c));
}

/// The model's `KeyIdType`: 1 to 2048 characters.
pub fn check_key_id(validator: &mut crate::validate::Validator, member: &str, key_id: &Option<String>, required: bool) {
    if required {
        validator.required(member, key_id);
    }
    validator.length(member, key_id.as_deref(), 1, 2048);
}

/// Refuses `Recipient` (a Nitro Enclaves attestation document, for the operations that take one): Trent has no
/// enclaves to attest.
pub fn refuse_recipient(recipient: Option<&Value>) -> Result<(), AwsError> {
    match recipient {
        None => Ok(()),
        Some(_) => Err(trent_service::ServiceError::Unsupported(
            "Recipient (Nitro Enclaves attestation) is not supported by Trent.".to_owned(),
        )
        .into()),
    }
}

/// The model's `GrantTokenList`: at most 10 tokens of 1 to 8192 characters. Tokens are accepted and not used.
pub fn check_grant_tokens(validator: &mut crate::validate::Validator, tokens: Option<&[String]>) {
    validator.count("grantTokens", tokens, 0, 10);
    for token in tokens.unwrap_or_default() {
        validator.length("grantTokens", Some(token), 1, 8192);
    }
}

/// The model's `SigningAlgorithmSpec`.
pub const SIGNING_ALGORITHMS: &[&str] = &[
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "SM2DSA",
    "ML_DSA_SHAKE_256",
    "ED25519_SHA_512",
    "ED25519_PH_SHA_512",
];
/// The model's `MessageType`.
pub const MESSAGE_TYPES: &[&str] = &["RAW", "DIGEST", "EXTERNAL_MU"];
/// The model's `MacAlgorithmSpec`.
/// In the order AWS lists them in its validation message (recorded: LocalStack's test_invalid_generate_mac), which
/// is not the model's.
pub const MAC_ALGORITHMS: &[&str] = &["HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"];
/// The encryption algorithms of the model's `EncryptionAlgorithmSpec`.
pub const ENCRYPTION_ALGORITHMS: &[&str] = &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];

/// A request whose only member is a required `KeyId` (EnableKey, DisableKey, CancelKeyDeletion).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyIdRequest {
    key_id: Option<String>,
}

/// Parses and checks a request whose only member is a required `KeyId`; returns the key identifier.
pub fn required_key_id(body: &[u8]) -> Result<String, AwsError> {
    let request: KeyIdRequest = parse_body(body)?;
    let mut v = crate::validate::Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.finish()?;
    Ok(request.key_id.unwrap_or_default())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyWithGrantTokens {
    key_id: Option<String>,
    grant_tokens: Option<Vec<String>>,
}

/// Parses and checks a request of a required `KeyId` and optional `GrantTokens` (DescribeKey, GetPublicKey); returns
/// the key identifier.
pub fn key_with_grant_tokens(body: &[u8]) -> Result<String, AwsError> {
    let request: KeyWithGrantTokens = parse_body(body)?;
    let mut v = crate::validate::Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    Ok(request.key_id.unwrap_or_default())
}

/// The members of a paged listing: an optional or required `KeyId`, `Limit` 1 to 1000 and `Marker`
/// (ListKeys, ListAliases, ListKeyPolicies, ListResourceTags).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listing {
    /// KeyId.
    pub key_id: Option<String>,
    /// Limit.
    pub limit: Option<i64>,
    /// Marker.
    pub marker: Option<String>,
}

impl Listing {
    /// Parses and checks a listing request.
    pub fn parse(body: &[u8], key_id_required: bool) -> Result<Self, AwsError> {
        let request: Listing = parse_body(body)?;
        let mut v = crate::validate::Validator::new();
        check_key_id(&mut v, "keyId", &request.key_id, key_id_required);
        v.range("limit", request.limit, 1, 1000);
        check_marker(&mut v, request.marker.as_deref());
        v.finish()?;
        Ok(request)
    }

    /// The key identifier (empty when absent; only used where it is required).
    pub fn key(&self) -> &str {
        self.key_id.as_deref().unwrap_or_default()
    }

    /// The page size, `default` when absent.
    pub fn limit_or(&self, default: usize) -> usize {
        self.limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(default)
    }
}

/// A request that turns a key's setting on or off: `{"KeyId": …, "Enabled": true|false}`, both required
/// (Trent.SetDeletionProtection, Trent.SetCancelOnUse).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyToggle {
    key_id: Option<String>,
    enabled: Option<bool>,
}

/// Parses and checks a key toggle; returns the key identifier and the new setting.
pub fn key_toggle(body: &[u8]) -> Result<(String, bool), AwsError> {
    let request: KeyToggle = parse_body(body)?;
    let mut v = crate::validate::Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("enabled", &request.enabled);
    v.finish()?;
    Ok((request.key_id.unwrap_or_default(), request.enabled.unwrap_or_default()))
}
