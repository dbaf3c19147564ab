//! Alibaba's operations over the one key service: each reads its parameters ([`Params`]), calls the same service
//! operation the AWS API calls (so every rule of the key lifecycle is the domain's, obeyed alike), and answers with
//! its typed shape ([`crate::shapes`]). Where Alibaba's rules differ from AWS's (CancelKeyDeletion returns the key
//! `Enabled`; the deletion window is 7 to 366 days and required) the service is told which API's rules apply. An
//! operation Trent does not implement answers `Rejected.UnsupportedOperation` naming it.

mod aliases;
mod asymmetric;
mod cryptography;
mod import;
mod keys;
mod password;
mod tags;

use trent_domain::{Key, Tag};
use trent_service::{RequestContext, Service, ServiceError};

use crate::error::WireError;
use crate::names;
use crate::params::Params;
use crate::shapes;

/// What an operation answered: the JSON body, and the key it was about (for the call's audit record).
#[derive(Debug)]
pub struct Answer {
    /// The response body, `RequestId` included.
    pub body: String,
    /// The key the answer names, as the service's ARN (the audit trail's one form for both APIs).
    pub key_arn: Option<String>,
}

/// What each operation Trent answers on this API is, for its audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// It changes nothing (a read, or cryptography): CloudTrail's `readOnly`.
    ReadOnly,
    /// It changes something; the edge records the call.
    Change,
    /// It changes a key, and the service records its own event in the transaction that makes the change (as for the
    /// same operation on the AWS API): the edge records only its failures.
    AuditsItself,
}

/// Every operation Trent answers on this API, with its kind.
pub const OPERATIONS: &[(&str, Kind)] = &[
    ("AsymmetricDecrypt", Kind::ReadOnly),
    ("AsymmetricEncrypt", Kind::ReadOnly),
    ("AsymmetricSign", Kind::ReadOnly),
    ("AsymmetricVerify", Kind::ReadOnly),
    ("CancelKeyDeletion", Kind::AuditsItself),
    ("CreateAlias", Kind::Change),
    ("CreateKey", Kind::AuditsItself),
    ("Decrypt", Kind::ReadOnly),
    ("DeleteAlias", Kind::Change),
    ("DeleteKeyMaterial", Kind::AuditsItself),
    ("DescribeAccountKmsStatus", Kind::ReadOnly),
    ("DescribeKey", Kind::ReadOnly),
    ("DescribeKeyVersion", Kind::ReadOnly),
    ("DescribeRegions", Kind::ReadOnly),
    ("DisableKey", Kind::AuditsItself),
    ("EnableKey", Kind::AuditsItself),
    ("Encrypt", Kind::ReadOnly),
    ("ExportDataKey", Kind::ReadOnly),
    ("GenerateAndExportDataKey", Kind::ReadOnly),
    ("GenerateDataKey", Kind::ReadOnly),
    ("GenerateDataKeyWithoutPlaintext", Kind::ReadOnly),
    ("GetKeyPolicy", Kind::ReadOnly),
    ("GetParametersForImport", Kind::AuditsItself),
    ("GetPublicKey", Kind::AuditsItself),
    ("GetRandomPassword", Kind::ReadOnly),
    ("ImportKeyMaterial", Kind::AuditsItself),
    ("ListAliases", Kind::ReadOnly),
    ("ListAliasesByKeyId", Kind::ReadOnly),
    ("ListKeyVersions", Kind::ReadOnly),
    ("ListKeys", Kind::ReadOnly),
    ("ListResourceTags", Kind::ReadOnly),
    ("ListTagResources", Kind::ReadOnly),
    ("OpenKmsService", Kind::Change),
    ("ReEncrypt", Kind::ReadOnly),
    ("ScheduleKeyDeletion", Kind::AuditsItself),
    ("SetDeletionProtection", Kind::AuditsItself),
    ("SetKeyPolicy", Kind::AuditsItself),
    ("TagResource", Kind::AuditsItself),
    ("TagResources", Kind::AuditsItself),
    ("UntagResource", Kind::AuditsItself),
    ("UntagResources", Kind::AuditsItself),
    ("UpdateAlias", Kind::Change),
    ("UpdateKeyDescription", Kind::AuditsItself),
];

/// Every operation of Alibaba's KMS API `2016-01-20`, as the Tea SDK (`alibabacloud-kms20160120` 3.3.1) has a method
/// for each: one of these that Trent does not answer is `Rejected.UnsupportedOperation`, any other name is no
/// operation at all (`InvalidAction.NotFound`).
pub const ALIBABA_OPERATIONS: &[&str] = &[
    "AsymmetricDecrypt",
    "AsymmetricEncrypt",
    "AsymmetricSign",
    "AsymmetricVerify",
    "BatchGetSecretValue",
    "CancelKeyDeletion",
    "ConnectKmsInstance",
    "CreateAlias",
    "CreateApplicationAccessPoint",
    "CreateClientKey",
    "CreateKey",
    "CreateKeyVersion",
    "CreateNetworkRule",
    "CreatePolicy",
    "CreateSecret",
    "Decrypt",
    "DeleteAlias",
    "DeleteApplicationAccessPoint",
    "DeleteClientKey",
    "DeleteKeyMaterial",
    "DeleteNetworkRule",
    "DeletePolicy",
    "DeleteSecret",
    "DescribeAccountKmsStatus",
    "DescribeApplicationAccessPoint",
    "DescribeKey",
    "DescribeKeyVersion",
    "DescribeNetworkRule",
    "DescribePolicy",
    "DescribeRegions",
    "DescribeSecret",
    "DisableKey",
    "EnableKey",
    "Encrypt",
    "ExportDataKey",
    "GenerateAndExportDataKey",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GetChallenge",
    "GetClientKey",
    "GetDefaultKmsInstance",
    "GetKeyPolicy",
    "GetKmsInstance",
    "GetKmsInstanceQuotaInfos",
    "GetManagedDataKey",
    "GetParametersForImport",
    "GetPublicKey",
    "GetRandomPassword",
    "GetSecretPolicy",
    "GetSecretValue",
    "ImportKeyMaterial",
    "ListAliases",
    "ListAliasesByKeyId",
    "ListApplicationAccessPoints",
    "ListClientKeys",
    "ListKeyVersions",
    "ListKeys",
    "ListKmsInstances",
    "ListManagedDataKeyVersions",
    "ListNetworkRules",
    "ListPolicies",
    "ListResourceTags",
    "ListSecretVersionIds",
    "ListSecrets",
    "ListTagResources",
    "OpenKmsService",
    "PutSecretValue",
    "ReEncrypt",
    "ReleaseKmsInstance",
    "RestoreSecret",
    "RotateSecret",
    "ScheduleKeyDeletion",
    "SetDeletionProtection",
    "SetKeyPolicy",
    "SetSecretPolicy",
    "TagResource",
    "TagResources",
    "UntagResource",
    "UntagResources",
    "UpdateAlias",
    "UpdateApplicationAccessPoint",
    "UpdateKeyDescription",
    "UpdateKmsInstanceBindVpc",
    "UpdateNetworkRule",
    "UpdatePolicy",
    "UpdateRotationPolicy",
    "UpdateSecret",
    "UpdateSecretRotationPolicy",
    "UpdateSecretVersionStage",
    "VerifyMac",
];

/// The kind of `action`, if Trent answers it.
pub fn kind(action: &str) -> Option<Kind> {
    OPERATIONS.iter().find(|(name, _)| *name == action).map(|(_, kind)| *kind)
}

/// Runs `action` for `ctx`'s caller; `regions` are the regions served, for DescribeRegions.
pub async fn dispatch(
    service: &Service,
    ctx: &RequestContext,
    action: &str,
    params: Params<'_>,
    regions: &[String],
) -> Result<Answer, WireError> {
    let named = params.optional("KeyId").or_else(|| params.optional("AliasName"));
    run(service, ctx, action, params, regions).await.map_err(|refusal| match refusal {
        Refusal::Wire(error) => error,
        Refusal::Service(error) => WireError::from_service(error, named),
    })
}

/// Why an operation refused: a parameter it read, or the service.
enum Refusal {
    Wire(WireError),
    Service(ServiceError),
}

impl From<WireError> for Refusal {
    fn from(error: WireError) -> Self {
        Refusal::Wire(error)
    }
}

impl From<ServiceError> for Refusal {
    fn from(error: ServiceError) -> Self {
        Refusal::Service(error)
    }
}

type Outcome = Result<Answer, Refusal>;

async fn run(service: &Service, ctx: &RequestContext, action: &str, p: Params<'_>, regions: &[String]) -> Outcome {
    // The table decides what runs, so that every operation that runs has its kind (which decides its audit record).
    if kind(action).is_none() {
        return Err(if ALIBABA_OPERATIONS.contains(&action) {
            WireError::unsupported(format!("The operation {action} is not supported by Trent yet."))
        } else {
            // The POP gateway's code and text for an action the product does not have.
            WireError::new(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            )
        }
        .into());
    }
    match action {
        "AsymmetricDecrypt" => asymmetric::decrypt(service, ctx, p).await,
        "AsymmetricEncrypt" => asymmetric::encrypt(service, ctx, p).await,
        "AsymmetricSign" => asymmetric::sign(service, ctx, p).await,
        "AsymmetricVerify" => asymmetric::verify(service, ctx, p).await,
        "CancelKeyDeletion" => keys::cancel_key_deletion(service, ctx, p).await,
        "CreateAlias" => aliases::create_alias(service, ctx, p).await,
        "CreateKey" => keys::create_key(service, ctx, p).await,
        "Decrypt" => cryptography::decrypt(service, ctx, p).await,
        "DeleteAlias" => aliases::delete_alias(service, ctx, p).await,
        "DeleteKeyMaterial" => import::delete_key_material(service, ctx, p).await,
        "DescribeAccountKmsStatus" => answer(ctx, &shapes::AccountStatus { account_status: "Enabled" }, None),
        "DescribeKey" => keys::describe_key(service, ctx, p).await,
        "DescribeKeyVersion" => keys::describe_key_version(service, ctx, p).await,
        "DescribeRegions" => {
            let region = regions.iter().map(|id| shapes::RegionId { region_id: id }).collect();
            answer(ctx, &shapes::Regions { regions: shapes::RegionList { region } }, None)
        }
        "DisableKey" => keys::disable_key(service, ctx, p).await,
        "EnableKey" => keys::enable_key(service, ctx, p).await,
        "Encrypt" => cryptography::encrypt(service, ctx, p).await,
        "ExportDataKey" => cryptography::export_data_key(service, ctx, p).await,
        "GenerateAndExportDataKey" => cryptography::generate_and_export_data_key(service, ctx, p).await,
        "GenerateDataKey" => cryptography::generate_data_key(service, ctx, p, true).await,
        "GenerateDataKeyWithoutPlaintext" => cryptography::generate_data_key(service, ctx, p, false).await,
        "GetKeyPolicy" => keys::get_key_policy(service, ctx, p).await,
        "GetParametersForImport" => import::get_parameters_for_import(service, ctx, p).await,
        "GetPublicKey" => asymmetric::get_public_key(service, ctx, p).await,
        "GetRandomPassword" => password::get_random_password(service, ctx, p).await,
        "ImportKeyMaterial" => import::import_key_material(service, ctx, p).await,
        "ListAliases" => aliases::list_aliases(service, ctx, p, false).await,
        "ListAliasesByKeyId" => aliases::list_aliases(service, ctx, p, true).await,
        "ListKeyVersions" => keys::list_key_versions(service, ctx, p).await,
        "ListKeys" => keys::list_keys(service, ctx, p).await,
        "ListResourceTags" => tags::list_resource_tags(service, ctx, p).await,
        "ListTagResources" => tags::list_tag_resources(service, ctx, p).await,
        // KMS is always open on Trent.
        "OpenKmsService" => nothing(ctx),
        "ReEncrypt" => cryptography::re_encrypt(service, ctx, p).await,
        "ScheduleKeyDeletion" => keys::schedule_key_deletion(service, ctx, p).await,
        "SetDeletionProtection" => keys::set_deletion_protection(service, ctx, p).await,
        "SetKeyPolicy" => keys::set_key_policy(service, ctx, p).await,
        "TagResource" => tags::tag_resource(service, ctx, p).await,
        "TagResources" => tags::tag_resources(service, ctx, p).await,
        "UntagResource" => tags::untag_resource(service, ctx, p).await,
        "UntagResources" => tags::untag_resources(service, ctx, p).await,
        "UpdateAlias" => aliases::update_alias(service, ctx, p).await,
        "UpdateKeyDescription" => keys::update_key_description(service, ctx, p).await,
        other => Err(ServiceError::Internal(format!("{other} is in the operation table but has no handler")).into()),
    }
}

/// How many entries one service page holds while [`all_pages`] walks a listing.
const PAGE: usize = 1000;

/// Every entry of a listing the service pages by marker, for Alibaba's numbered pages: each page is fetched with the
/// marker the last one gave, to the end.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ServiceError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), ServiceError>>,
{
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let (page, next) = fetch(marker.take()).await?;
        all.extend(page);
        match next {
            Some(next) => marker = Some(next),
            None => return Ok(all),
        }
    }
}

/// The `KeyId` parameter, as the service reads key references.
fn key_id(p: Params<'_>) -> Result<String, WireError> {
    Ok(names::key_reference(p.required("KeyId")?))
}

/// The version of `key` the `KeyVersionId` parameter names, as a [`shapes::KeyVersion`].
fn named_version(p: Params<'_>, key: &Key) -> Result<shapes::KeyVersion, WireError> {
    let named = p.required("KeyVersionId")?;
    shapes::KeyVersion::all(key)
        .into_iter()
        .find(|version| version.key_version_id == named)
        .ok_or_else(|| WireError::new(404, "Forbidden.KeyVersionNotFound", "The specified Key version is not found."))
}

/// The key and version a ciphertext made under `key_arn` names, as Alibaba writes them (`KeyId`, `KeyVersionId`): the
/// material in a symmetric blob's header; for anything else, the key's first version.
fn key_and_version(key_arn: &str, blob: &[u8]) -> (String, String) {
    match trent_service::ops::blob_material(trent_domain::EncryptionAlgorithm::SymmetricDefault, blob) {
        Some((id, version)) => (id.to_string(), names::key_version_id(id, version)),
        None => {
            let id = id_of(key_arn);
            let version = trent_domain::KeyId::parse(id).map(|id| names::key_version_id(id, 0)).unwrap_or_default();
            (id.to_owned(), version)
        }
    }
}

/// `PageNumber` (from 1, default 1) and `PageSize` (1 to 100, default 10).
fn paging(p: Params<'_>) -> Result<(usize, usize), WireError> {
    let number = p.integer("PageNumber", 1..=i64::from(u32::MAX))?.unwrap_or(1);
    let size = p.integer("PageSize", 1..=100)?.unwrap_or(10);
    Ok((usize::try_from(number).unwrap_or(usize::MAX), usize::try_from(size).unwrap_or(10)))
}

/// The answer `shape`, with the request's ID, about the key with this (service) ARN.
fn answer<T: serde::Serialize>(ctx: &RequestContext, shape: &T, key_arn: Option<String>) -> Outcome {
    let body = shapes::body(&ctx.request_id, shape)
        .map_err(|e| ServiceError::Internal(format!("the answer could not be written: {e}")))?;
    Ok(Answer { body, key_arn })
}

/// The answer `shape` about `key`.
fn about<T: serde::Serialize>(ctx: &RequestContext, shape: &T, key: &Key) -> Outcome {
    answer(ctx, shape, Some(key.arn().to_string()))
}

/// The answer that is only the request's ID.
fn nothing(ctx: &RequestContext) -> Outcome {
    answer(ctx, &shapes::Nothing {}, None)
}

/// The key ID at the end of a service ARN (`…:key/<id>`).
fn id_of(key_arn: &str) -> &str {
    key_arn.rsplit_once(":key/").map_or(key_arn, |(_, id)| id)
}

/// Tags as Alibaba sends them: a JSON array of `{"TagKey", "TagValue"}`.
fn tags_of(text: &str) -> Option<Vec<Tag>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct SentTag {
        tag_key: String,
        #[serde(default)]
        tag_value: String,
    }
    let sent: Vec<SentTag> = serde_json::from_str(text).ok()?;
    Some(sent.into_iter().map(|tag| Tag { key: tag.tag_key, value: tag.tag_value }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_listed_once_in_order() {
        let names: Vec<&str> = OPERATIONS.iter().map(|(name, _)| *name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert_eq!(kind("Encrypt"), Some(Kind::ReadOnly));
        assert_eq!(kind("CreateKeyVersion"), None);
        assert!(
            OPERATIONS.iter().all(|(name, _)| ALIBABA_OPERATIONS.contains(name)),
            "Trent answers only Alibaba's operations"
        );
    }
}
