//! Shapes shared by many operations: base64 blobs, the request-body parser, KeyMetadata, timestamps, tags.

use std::collections::BTreeMap;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use trent_domain::{Key, KeyState, MultiRegionKeyType, Origin, Tag, Timestamp};

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
        /// Decodes the member's text where it lies in the request body (no copy of the text first).
        struct Base64Visitor;
        impl de::Visitor<'_> for Base64Visitor {
            type Value = Blob;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Blob, E> {
                // Standard alphabet, padding required, unused bits zero: what the base64 crate's STANDARD engine
                // accepted (the test below holds them equal).
                base64_simd::STANDARD
                    .decode_to_vec(text)
                    .map(Blob)
                    .map_err(|_| E::custom("a blob member is not valid base64"))
            }
        }
        deserializer.deserialize_str(Base64Visitor)
    }
}

/// A blob member's wire text. Base64 needs no JSON escaping, so the text is written into the answer as it is,
/// quotes included, instead of being scanned for characters to escape (a tenth of an Encrypt's CPU, measured).
#[derive(Debug)]
pub struct Base64Text(Box<RawValue>);

impl Serialize for Base64Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Encodes bytes for a blob member.
pub fn base64(bytes: &[u8]) -> Base64Text {
    let mut quoted = String::with_capacity(bytes.len().div_ceil(3) * 4 + 2);
    quoted.push('"');
    base64_simd::STANDARD.encode_append(bytes, &mut quoted);
    quoted.push('"');
    // Quoted base64 is always a JSON string; `null` would only ever mark a bug here (see the test below).
    Base64Text(RawValue::from_string(quoted).unwrap_or_else(|_| RawValue::NULL.to_owned()))
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

/// A tag as the wire lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagEntry<'a> {
    /// TagKey.
    pub tag_key: &'a str,
    /// TagValue.
    pub tag_value: &'a str,
}

impl<'a> TagEntry<'a> {
    /// The wire form of `tags`.
    pub fn all(tags: &'a [Tag]) -> Vec<Self> {
        tags.iter().map(|tag| TagEntry { tag_key: &tag.key, tag_value: &tag.value }).collect()
    }
}

/// A key's `KeyMetadata`, with exactly the members AWS sends for a key of its spec in its state (the model's
/// `KeyMetadata` shape, in its member order).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata<'a> {
    /// The owning account.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: &'a str,
    /// The key ID.
    pub key_id: String,
    /// The key ARN.
    pub arn: String,
    /// When it was created, epoch seconds.
    pub creation_date: f64,
    /// True only while `Enabled`.
    pub enabled: bool,
    /// The description.
    pub description: &'a str,
    /// What the key may be used for.
    pub key_usage: &'static str,
    /// The key's state.
    pub key_state: &'static str,
    /// When a key pending deletion is destroyed, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    /// Where the material came from.
    pub origin: &'static str,
    /// Who manages the key.
    pub key_manager: &'static str,
    /// The deprecated name of the spec, still sent.
    pub customer_master_key_spec: &'static str,
    /// The spec.
    pub key_spec: &'static str,
    /// The key's algorithms (only the lists its spec and usage have).
    #[serde(flatten)]
    pub algorithms: Algorithms,
    /// Whether the key is multi-Region.
    pub multi_region: bool,
    /// A multi-Region key's set: its role, the primary and every replica (see [`KeyMetadata::in_set`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region_configuration: Option<MultiRegionConfiguration>,
    /// The waiting period of a multi-Region primary key pending replica deletion, which starts when its last replica
    /// is deleted ("present only when the KeyState of the KMS key is PendingReplicaDeletion", the API reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<i64>,
    /// The material new ciphertexts are made with, for keys whose material rotates (symmetric encryption keys), once
    /// they have one (recorded: an `EXTERNAL` key shows none until its first import, and keeps it after the material
    /// is deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
    /// Whether the imported material the key holds expires (absent while it holds none, as recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    /// When it expires, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
}

impl<'a> KeyMetadata<'a> {
    /// The metadata of `key`.
    pub fn of(key: &'a Key) -> Self {
        Self {
            aws_account_id: key.account.as_str(),
            key_id: key.id.to_string(),
            arn: key.arn().to_string(),
            creation_date: key.created_at.epoch_seconds(),
            enabled: key.state == KeyState::Enabled,
            description: &key.description,
            key_usage: key.usage.as_str(),
            key_state: key.state.as_str(),
            deletion_date: key.state.scheduled_deletion().map(|deletion| deletion.deletion_date.epoch_seconds()),
            origin: key.origin.as_str(),
            key_manager: key.manager.as_str(),
            customer_master_key_spec: key.spec.as_str(),
            key_spec: key.spec.as_str(),
            algorithms: Algorithms::of(key),
            multi_region: key.multi_region.is_some(),
            multi_region_configuration: None,
            pending_deletion_window_in_days: key
                .state
                .pending_window_days()
                .filter(|_| matches!(key.state, KeyState::PendingReplicaDeletion { .. })),
            current_key_material_id: key
                .rotates()
                .then(|| trent_domain::key_material_id(key.id, key.current_material_version()))
                .filter(|_| key.origin != Origin::External || !key.import.materials.is_empty()),
            expiration_model: key.current_imported_material().map(|imported| expiration_model(imported.valid_to)),
            valid_to: key
                .current_imported_material()
                .and_then(|imported| imported.valid_to)
                .map(Timestamp::epoch_seconds),
        }
    }
}

/// The model's `RegionType` pattern, `^([a-z]+-){2,3}\d+$`: two or three lower-case words each followed by a dash,
/// then digits.
fn is_region_name(text: &str) -> bool {
    let Some((words, digits)) = text.rsplit_once('-').map(|(head, tail)| (format!("{head}-"), tail)) else {
        return false;
    };
    let parts: Vec<&str> = words.split_terminator('-').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a required `RegionType` member (ReplicateKey's `ReplicaRegion`, UpdatePrimaryRegion's `PrimaryRegion`): 1
/// to 32 characters of `^([a-z]+-){2,3}\d+$`.
pub fn check_region(validator: &mut crate::validate::Validator, member: &str, value: &Option<String>) {
    validator.required(member, value).length(member, value.as_deref(), 1, 32).matching(
        member,
        value.as_deref(),
        "^([a-z]+-){2,3}\\d+$",
        is_region_name,
    );
}

/// Checks a `KeyMaterialId` member: the model's `BackingKeyIdType`, 64 characters of `^[a-f0-9]+$`.
pub fn check_key_material_id(validator: &mut crate::validate::Validator, value: Option<&str>) {
    validator
        .length("keyMaterialId", value, 64, 64)
        .pattern("keyMaterialId", value, "^[a-f0-9]+$", |c| c.is_ascii_digit() || ('a'..='f').contains(&c));
}

impl KeyMetadata<'_> {
    /// The metadata with its multi-Region set (`set`: every key of the set, this one included, as the store has them):
    /// AWS shows the same `PrimaryKey` and `ReplicaKeys` from every key of the set (recorded: a new primary's
    /// `ReplicaKeys` is `[]`, a replica's lists itself).
    pub fn in_set(mut self, role: Option<MultiRegionKeyType>, set: &[Key]) -> Self {
        self.multi_region_configuration = role.map(|role| {
            let member = |key: &Key| RegionalKey { arn: key.arn().to_string(), region: key.region.to_string() };
            let primary = set.iter().find(|key| key.multi_region == Some(MultiRegionKeyType::Primary));
            MultiRegionConfiguration {
                multi_region_key_type: role.as_str(),
                primary_key: primary.map(member),
                replica_keys: set
                    .iter()
                    .filter(|key| key.multi_region == Some(MultiRegionKeyType::Replica))
                    .map(member)
                    .collect(),
            }
        });
        self
    }
}

/// `MultiRegionConfiguration`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfiguration {
    multi_region_key_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_key: Option<RegionalKey>,
    replica_keys: Vec<RegionalKey>,
}

/// One key of a multi-Region set: `{"Arn", "Region"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionalKey {
    arn: String,
    region: String,
}

/// AWS's `ExpirationModel` of imported material that expires at `valid_to`, or never.
pub fn expiration_model(valid_to: Option<Timestamp>) -> &'static str {
    if valid_to.is_some() {
        "KEY_MATERIAL_EXPIRES"
    } else {
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    }
}

/// The algorithm lists of a key (KeyMetadata and GetPublicKey): only the ones its spec and usage have, as AWS sends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Algorithms {
    /// `EncryptionAlgorithms`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encryption_algorithms: Vec<&'static str>,
    /// `SigningAlgorithms`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signing_algorithms: Vec<&'static str>,
    /// `MacAlgorithms`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub mac_algorithms: &'static [&'static str],
    /// `KeyAgreementAlgorithms`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub key_agreement_algorithms: &'static [&'static str],
    /// `EncapsulationAlgorithms`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub encapsulation_algorithms: &'static [&'static str],
}

impl Algorithms {
    /// The lists of `key`'s spec and usage.
    pub fn of(key: &Key) -> Self {
        let algorithms = key.algorithms();
        Self {
            encryption_algorithms: algorithms.encryption.iter().map(|a| a.as_str()).collect(),
            signing_algorithms: algorithms.signing.iter().map(|a| a.as_str()).collect(),
            mac_algorithms: algorithms.mac,
            key_agreement_algorithms: algorithms.key_agreement,
            encapsulation_algorithms: algorithms.encapsulation,
        }
    }
}

/// CreateKey's and DescribeKey's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse<'a> {
    /// The key.
    pub key_metadata: KeyMetadata<'a>,
}

impl Shape for KeyMetadataResponse<'_> {
    fn metadata_arn(&self) -> Option<&str> {
        Some(&self.key_metadata.arn)
    }
}

/// The answer of an operation that answers nothing: `{}`.
#[derive(Debug, Serialize)]
pub struct Empty {}

impl Shape for Empty {}

/// The answer that names only the key (CancelKeyDeletion).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdAnswer<'a> {
    /// The key ARN.
    pub key_id: &'a str,
}

/// The answer of Trent's per-key switches (`Trent.Get/SetDeletionProtection`, `Trent.SetCancelOnUse`): the key ARN
/// and the switch, under its member name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySwitch<'a> {
    /// The key ARN.
    pub key_id: &'a str,
    /// `DeletionProtection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    /// `CancelOnUse`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_on_use: Option<bool>,
}

/// An operation's answer: a wire shape that says which key it names, for the call's audit record.
pub trait Shape: Serialize {
    /// The answer's top-level `KeyId` member (a key ARN or a key ID), if it has one.
    fn key_id(&self) -> Option<&str> {
        None
    }

    /// The key's ARN when the answer names it inside `KeyMetadata` rather than as `KeyId`.
    fn metadata_arn(&self) -> Option<&str> {
        None
    }
}

/// `Shape` for answers whose `key_id` field is their top-level `KeyId` member.
macro_rules! names_key {
    ($($shape:ty),+ $(,)?) => {$(
        impl $crate::shapes::Shape for $shape {
            fn key_id(&self) -> Option<&str> {
                Some(&*self.key_id)
            }
        }
    )+};
}
pub(crate) use names_key;

names_key!(KeyIdAnswer<'_>, KeySwitch<'_>);

/// An answer as the dispatcher sends it: its JSON body, and the key it names.
#[derive(Debug)]
pub struct Reply {
    /// The JSON body.
    pub body: Vec<u8>,
    /// The top-level `KeyId` member, as sent.
    pub key_id: Option<String>,
    /// The key's ARN from `KeyMetadata`, for answers without a `KeyId` member.
    pub metadata_arn: Option<String>,
}

impl Reply {
    /// The ARN of the key the answer is about: its `KeyMetadata`'s, or its `KeyId` when that is an ARN.
    pub fn key_arn(&self) -> Option<&str> {
        self.metadata_arn.as_deref().or_else(|| self.key_id.as_deref().filter(|id| id.starts_with("arn:")))
    }
}

/// Serialises an answer once, straight into its body.
pub fn response<T: Shape>(shape: &T) -> Result<Reply, AwsError> {
    let body = serde_json::to_vec(shape).map_err(|e| AwsError::internal(format!("response: {e}")))?;
    Ok(Reply { body, key_id: shape.key_id().map(str::to_owned), metadata_arn: shape.metadata_arn().map(str::to_owned) })
}

/// One page of a list answer: its entries (a struct naming the list member), then `Truncated` and, when there is
/// more, `NextMarker`, as AWS pages.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Page<T> {
    /// The list member, e.g. `{"Keys": […]}`.
    #[serde(flatten)]
    pub entries: T,
    /// Whether another page follows.
    pub truncated: bool,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

impl<T: Serialize> Shape for Page<T> {}

impl<T> Page<T> {
    /// A page of `entries`, followed by another when there is a `next_marker`.
    pub fn new(entries: T, next_marker: Option<String>) -> Self {
        Self { entries, truncated: next_marker.is_some(), next_marker }
    }
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

/// AWS's `KeyMaterialId` of the material a ciphertext made with `algorithm` names (`None` for an RSA ciphertext).
pub fn key_material_id(algorithm: trent_domain::EncryptionAlgorithm, blob: &[u8]) -> Option<String> {
    trent_service::ops::blob_material(algorithm, blob)
        .map(|(key_id, version)| trent_domain::key_material_id(key_id, version))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trent_domain::{KeySpec, KeyUsage, ScheduledDeletion, Timestamp};

    use super::*;

    #[test]
    fn blob_members_decode_exactly_what_the_base64_crates_standard_engine_decodes() {
        use base64::Engine;
        let mut inputs: Vec<String> = ["", "=", "==", "A", "AA", "AA=", "AA==", "AB==", "AAA", "AAA=", "AAB=", "AAAA"]
            .into_iter()
            .chain(["AAAA====", "A===", "AA==AA==", " AAAA", "AAAA ", "AA\nAA", "-_-_", "+/+/", "AAA=A", "=AAA"])
            .map(str::to_owned)
            .collect();
        for length in 0..40 {
            let bytes: Vec<u8> = (0..length).map(|i| (i * 37 + 11) as u8).collect();
            inputs.push(base64::engine::general_purpose::STANDARD.encode(&bytes));
        }
        for input in inputs {
            let ours = serde_json::from_value::<Blob>(Value::String(input.clone())).ok().map(|blob| blob.0);
            let theirs = base64::engine::general_purpose::STANDARD.decode(&input).ok();
            assert_eq!(ours, theirs, "{input:?}");
        }
    }

    #[test]
    fn blob_members_are_written_as_the_escaping_serialiser_would_write_them() {
        use base64::Engine;
        for length in 0..100 {
            let bytes: Vec<u8> = (0..length).map(|i| (i * 53 + 7) as u8).collect();
            let escaped = serde_json::to_string(&base64::engine::general_purpose::STANDARD.encode(&bytes)).unwrap();
            assert_eq!(serde_json::to_string(&base64(&bytes)).unwrap(), escaped);
        }
    }

    fn key(spec: KeySpec, usage: KeyUsage, state: KeyState) -> Key {
        Key { created_at: Timestamp(1_700_000_000_500), description: "d".to_owned(), ..Key::sample(spec, usage, state) }
    }

    fn members(value: &Value) -> Vec<&str> {
        value.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn key_metadata_has_exactly_the_members_aws_sends_for_the_key() {
        let enabled = key(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, KeyState::Enabled);
        let value = serde_json::to_value(KeyMetadata::of(&enabled)).unwrap();
        let mut expected = vec![
            "AWSAccountId",
            "Arn",
            "CreationDate",
            "CurrentKeyMaterialId",
            "CustomerMasterKeySpec",
            "Description",
            "Enabled",
            "EncryptionAlgorithms",
            "KeyId",
            "KeyManager",
            "KeySpec",
            "KeyState",
            "KeyUsage",
            "MultiRegion",
            "Origin",
        ];
        assert_eq!(members(&value), expected);
        assert_eq!(value["CreationDate"], 1_700_000_000.5);
        assert_eq!(value["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
        assert_eq!(value["CurrentKeyMaterialId"], trent_domain::key_material_id(enabled.id, 0));

        let deletion = ScheduledDeletion { deletion_date: Timestamp(1_800_000_000_000), pending_window_days: 7 };
        let pending = key(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac, KeyState::PendingDeletion(deletion));
        let value = serde_json::to_value(KeyMetadata::of(&pending)).unwrap();
        // An HMAC key's material does not rotate: no current material to name.
        expected.retain(|m| !matches!(*m, "EncryptionAlgorithms" | "CurrentKeyMaterialId"));
        expected.extend(["DeletionDate", "MacAlgorithms"]);
        expected.sort_unstable();
        assert_eq!(members(&value), expected);
        assert_eq!((value["Enabled"].as_bool(), value["DeletionDate"].as_f64()), (Some(false), Some(1_800_000_000.0)));
    }

    #[test]
    fn region_names_follow_the_model_pattern() {
        for good in ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-12"] {
            assert!(super::is_region_name(good), "{good}");
        }
        for bad in ["", "us-east", "useast-1", "us-east-1a", "US-east-1", "a-b-c-d-1", "-east-1", "us--1"] {
            assert!(!super::is_region_name(bad), "{bad}");
        }
    }
}
