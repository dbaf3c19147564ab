//! Each answer of Alibaba's API as a typed shape, serialised once with its `RequestId` ([`body`]). Member names and
//! types are the Tea SDK's models (`alibabacloud_kms20160120/models/_<op>_response_body.py`, `alibaba-kms-api.md`
//! §2.1, §3, §3.1): every field a string (dates `YYYY-MM-DDTHH:MM:SSZ`) but `PageNumber`, `PageSize` and
//! `TotalCount`, which are JSON numbers, and lists always wrapped (`{"Keys":{"Key":[…]}}`).

use serde::Serialize;
use trent_domain::Key;

use crate::names;

/// The body: `RequestId` first, then the operation's members.
pub fn body<T: Serialize>(request_id: &str, shape: &T) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct WithRequestId<'a, T> {
        #[serde(rename = "RequestId")]
        request_id: &'a str,
        #[serde(flatten)]
        shape: &'a T,
    }
    serde_json::to_string(&WithRequestId { request_id, shape })
}

/// An answer with no members of its own.
#[derive(Serialize)]
pub struct Nothing {}

/// A key as DescribeKey and CreateKey show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// The key ID.
    pub key_id: String,
    /// `acs:kms:<region>:<uid>:key/<id>`.
    pub arn: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    pub key_state: &'static str,
    /// Alibaba's spec name.
    pub key_spec: &'static str,
    /// `ENCRYPT/DECRYPT` or `SIGN/VERIFY`.
    pub key_usage: &'static str,
    /// `Aliyun_KMS`.
    pub origin: &'static str,
    /// `SOFTWARE`.
    pub protection_level: &'static str,
    /// When it was created.
    pub creation_date: String,
    /// The owning account.
    pub creator: String,
    /// Free text, `""` when none.
    pub description: String,
    /// When it will be deleted; `""` unless it is pending deletion.
    pub delete_date: String,
    /// `Enabled` or `Disabled` (DescribeKey only: CreateKey's model has no such member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<&'static str>,
    /// Why it is protected (`""` when it is not, or no reason was given; DescribeKey only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_description: Option<String>,
    /// `Enabled` while the key rotates by itself (AWS's `EnableKeyRotation`), else `Disabled`.
    pub automatic_rotation: &'static str,
    /// The rotation period as seconds and `s` (`31536000s`), while rotation is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_interval: Option<String>,
    /// When the key next rotates, while rotation is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<String>,
    /// When its current version was made: its creation, for a key never rotated.
    pub last_rotation_date: String,
    /// The current version, for symmetric keys only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_key_version: Option<String>,
    /// When imported material expires; `""`: never (or the material is not imported).
    pub material_expire_time: String,
}

impl KeyMetadata {
    /// `key` as CreateKey shows it: DescribeKey's members but deletion protection (`_create_key_response_body.py`).
    pub fn created(key: &Key) -> Self {
        Self { deletion_protection: None, deletion_protection_description: None, ..Self::of(key) }
    }

    /// `key` as DescribeKey shows it.
    pub fn of(key: &Key) -> Self {
        let created = trent_audit::iso8601(key.created_at);
        Self {
            key_id: key.id.to_string(),
            arn: names::key_arn(&key.region, &key.account, key.id),
            // Alibaba has no multi-Region keys: a primary waiting for its replicas is, to it, pending deletion.
            key_state: match key.state {
                trent_domain::KeyState::PendingReplicaDeletion { .. } => "PendingDeletion",
                state => state.as_str(),
            },
            key_spec: names::key_spec_name(key.spec),
            key_usage: names::key_usage_name(key.usage),
            origin: names::origin_name(key.origin),
            protection_level: "SOFTWARE",
            creation_date: created.clone(),
            creator: key.account.to_string(),
            description: key.description.clone(),
            delete_date: key
                .state
                .scheduled_deletion()
                .map(|d| trent_audit::iso8601(d.deletion_date))
                .unwrap_or_default(),
            deletion_protection: Some(if key.deletion_protection { "Enabled" } else { "Disabled" }),
            deletion_protection_description: Some(key.deletion_protection_description.clone()),
            automatic_rotation: if key.rotation_schedule.is_some() { "Enabled" } else { "Disabled" },
            rotation_interval: key.rotation_schedule.map(|s| format!("{}s", s.period_days * 86_400)),
            next_rotation_date: key.rotation_schedule.map(|s| trent_audit::iso8601(s.next_rotation)),
            last_rotation_date: key.rotations.last().map_or(created, |r| trent_audit::iso8601(r.rotated_at)),
            primary_key_version: key
                .spec
                .secret_len()
                .is_some()
                .then(|| names::key_version_id(key.id, key.current_material_version())),
            material_expire_time: key
                .current_imported_material()
                .and_then(|imported| imported.valid_to)
                .map(trent_audit::iso8601)
                .unwrap_or_default(),
        }
    }
}

/// DescribeKey's and CreateKey's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Described {
    /// The key.
    pub key_metadata: KeyMetadata,
}

/// The paging members of a list: numbers, not strings.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listed {
    /// The page shown, from 1.
    pub page_number: usize,
    /// Entries per page.
    pub page_size: usize,
    /// Entries in all pages.
    pub total_count: usize,
}

impl Listed {
    /// Page `page_number` of `total_count` entries, `page_size` to a page.
    pub fn new(page_number: usize, page_size: usize, total_count: usize) -> Self {
        Self { page_number, page_size, total_count }
    }
}

/// Page `number` (from 1) of `items`, `size` to a page; empty past the end.
pub fn page<T: Clone>(items: &[T], number: usize, size: usize) -> Vec<T> {
    let start = number.saturating_sub(1).saturating_mul(size);
    items.iter().skip(start).take(size).cloned().collect()
}

/// One entry of ListKeys.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedKey {
    /// The key ID.
    pub key_id: String,
    /// Its Alibaba ARN.
    pub key_arn: String,
}

/// `Keys.Key[]`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyList {
    /// The keys.
    pub key: Vec<ListedKey>,
}

/// ListKeys' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Keys {
    /// The page of keys.
    pub keys: KeyList,
    /// Where the page is.
    #[serde(flatten)]
    pub listed: Listed,
}

/// One entry of ListAliases and ListAliasesByKeyId.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedAlias {
    /// `alias/…`.
    pub alias_name: String,
    /// `acs:kms:<region>:<uid>:alias/<name>`.
    pub alias_arn: String,
    /// The key it names.
    pub key_id: String,
}

/// `Aliases.Alias[]`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasList {
    /// The aliases.
    pub alias: Vec<ListedAlias>,
}

/// ListAliases' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Aliases {
    /// The page of aliases.
    pub aliases: AliasList,
    /// Where the page is.
    #[serde(flatten)]
    pub listed: Listed,
}

/// Encrypt's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Encrypted<'a> {
    /// Base64 of the ciphertext.
    pub ciphertext_blob: String,
    /// The key that encrypted.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: String,
}

/// Decrypt's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Decrypted<'a> {
    /// The plaintext string as it was encrypted.
    pub plaintext: String,
    /// The key that decrypted.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: String,
}

/// GenerateDataKey's answer (GenerateDataKeyWithoutPlaintext's without `Plaintext`, GenerateAndExportDataKey's with
/// `ExportedDataKey` instead).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKey<'a> {
    /// Base64 of the data key's ciphertext.
    pub ciphertext_blob: String,
    /// Base64 of the data key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<&'a str>,
    /// GenerateAndExportDataKey: base64 of the data key encrypted to the caller's public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported_data_key: Option<String>,
    /// The key that encrypted it.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: String,
}

/// ExportDataKey's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Exported<'a> {
    /// Base64 of the data key encrypted to the caller's public key.
    pub exported_data_key: String,
    /// The key that had encrypted the data key.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: String,
}

/// A key version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyVersion {
    /// The key.
    pub key_id: String,
    /// The version.
    pub key_version_id: String,
    /// When the version was made.
    pub creation_date: String,
}

impl KeyVersion {
    /// Every version of `key`, oldest first: its first material (made with the key), then one per rotation.
    pub fn all(key: &Key) -> Vec<Self> {
        let version = |material_version: u32, made: trent_domain::Timestamp| Self {
            key_id: key.id.to_string(),
            key_version_id: names::key_version_id(key.id, material_version),
            creation_date: trent_audit::iso8601(made),
        };
        std::iter::once(version(0, key.created_at))
            .chain(key.rotations.iter().map(|rotation| version(rotation.material_version, rotation.rotated_at)))
            .collect()
    }
}

/// DescribeKeyVersion's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OneVersion {
    /// The version.
    pub key_version: KeyVersion,
}

/// `KeyVersions.KeyVersion[]`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyVersionList {
    /// The versions.
    pub key_version: Vec<KeyVersion>,
}

/// ListKeyVersions' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Versions {
    /// The page of versions.
    pub key_versions: KeyVersionList,
    /// Where the page is.
    #[serde(flatten)]
    pub listed: Listed,
}

/// One region.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionId<'a> {
    /// Its ID, e.g. `cn-hangzhou`.
    pub region_id: &'a str,
}

/// `Regions.Region[]`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionList<'a> {
    /// The regions.
    pub region: Vec<RegionId<'a>>,
}

/// DescribeRegions' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Regions<'a> {
    /// The regions served.
    pub regions: RegionList<'a>,
}

/// One tag of ListResourceTags.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyTag {
    /// The key.
    pub key_id: String,
    /// The tag's key.
    pub tag_key: String,
    /// The tag's value.
    pub tag_value: String,
}

/// `Tags.Tag[]`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyTagList {
    /// The tags.
    pub tag: Vec<KeyTag>,
}

/// ListResourceTags' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceTags {
    /// The key's tags.
    pub tags: KeyTagList,
}

/// One tag of ListTagResources.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResource {
    /// The key.
    pub resource_id: String,
    /// `key`.
    pub resource_type: &'static str,
    /// The tag's key.
    pub tag_key: String,
    /// The tag's value.
    pub tag_value: String,
}

/// `TagResources.TagResource[]`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceList {
    /// The tags.
    pub tag_resource: Vec<TagResource>,
}

/// ListTagResources' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResources {
    /// The tags of the keys named.
    pub tag_resources: TagResourceList,
    /// `""`: every tag is in one page.
    pub next_token: &'static str,
}

/// GetParametersForImport's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportParameters {
    /// The key.
    pub key_id: String,
    /// The import token, base64.
    pub import_token: String,
    /// The wrapping public key, base64 DER SubjectPublicKeyInfo (no PEM armour).
    pub public_key: String,
    /// When the token and public key stop being accepted (24 hours on).
    pub token_expire_time: String,
}

/// GetPublicKey's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicKey<'a> {
    /// The key.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: &'a str,
    /// The public key, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key: String,
}

/// AsymmetricSign's, AsymmetricEncrypt's and AsymmetricDecrypt's answer: `Value`, `CiphertextBlob` or `Plaintext`
/// beside the key and its version.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Asymmetric<'a> {
    /// The key.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: &'a str,
    /// AsymmetricSign: base64 of the signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// AsymmetricEncrypt: base64 of the ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_blob: Option<String>,
    /// AsymmetricDecrypt: base64 of the plaintext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
}

/// AsymmetricVerify's answer: `Value` is a JSON boolean (§2.1).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Verified<'a> {
    /// The key.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: &'a str,
    /// Whether the signature verifies.
    pub value: bool,
}

/// ReEncrypt's answer: the destination key, which made the new blob.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncrypted<'a> {
    /// Base64 of the new ciphertext.
    pub ciphertext_blob: String,
    /// The destination key.
    pub key_id: &'a str,
    /// Its version.
    pub key_version_id: String,
}

/// GetKeyPolicy's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyPolicy {
    /// The key policy document.
    pub policy: String,
}

/// DescribeAccountKmsStatus' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountStatus {
    /// `Enabled`: KMS is always open on Trent.
    pub account_status: &'static str,
}

/// GetRandomPassword's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RandomPassword {
    /// The password.
    pub random_password: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use trent_domain::{KeySpec, KeyState, KeyUsage};

    use super::*;

    #[test]
    fn a_key_reads_with_alibabas_members_all_strings() {
        let key = Key::sample(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, KeyState::Enabled);
        let text = body("r-1", &Described { key_metadata: KeyMetadata::of(&key) }).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["RequestId"], "r-1");
        let metadata = value["KeyMetadata"].as_object().unwrap();
        assert!(metadata.values().all(serde_json::Value::is_string), "{metadata:?}");
        assert_eq!(metadata["KeySpec"], "Aliyun_AES_256");
        assert_eq!(metadata["KeyUsage"], "ENCRYPT/DECRYPT");
        assert_eq!(metadata["Origin"], "Aliyun_KMS");
        assert_eq!(metadata["DeleteDate"], "");
        assert_eq!(metadata["CreationDate"], "1970-01-01T00:00:00Z");
        assert!(metadata["Arn"].as_str().unwrap().starts_with("acs:kms:us-east-1:111122223333:key/"));
        assert_eq!(metadata["DeletionProtection"], "Disabled");
        let created = serde_json::to_value(KeyMetadata::created(&key)).unwrap();
        assert!(created.get("DeletionProtection").is_none(), "CreateKey's model has no deletion protection");
    }

    #[test]
    fn lists_are_wrapped_and_counted_in_numbers() {
        let keys = vec![ListedKey { key_id: "k".into(), key_arn: "a".into() }];
        let text = body("r", &Keys { keys: KeyList { key: keys }, listed: Listed::new(1, 10, 1) }).unwrap();
        assert_eq!(
            text,
            r#"{"RequestId":"r","Keys":{"Key":[{"KeyId":"k","KeyArn":"a"}]},"PageNumber":1,"PageSize":10,"TotalCount":1}"#
        );
    }

    #[test]
    fn pages_are_cut_by_number() {
        let items: Vec<u32> = (1..=5).collect();
        assert_eq!(page(&items, 1, 2), [1, 2]);
        assert_eq!(page(&items, 3, 2), [5]);
        assert!(page(&items, 4, 2).is_empty());
    }
}
