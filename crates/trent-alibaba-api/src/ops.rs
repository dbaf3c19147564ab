//! Alibaba's operations over the one key service: each reads its parameters ([`Params`]), calls the same service
//! operation the AWS API calls (so every rule of the key lifecycle is the domain's, obeyed alike), and answers with
//! its typed shape ([`crate::shapes`]). Where Alibaba's rules differ from AWS's (CancelKeyDeletion returns the key
//! `Enabled`; the deletion window is 7 to 366 days and required) the service is told which API's rules apply. An
//! operation Trent does not implement answers `Rejected.UnsupportedOperation` naming it.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use trent_domain::{Api, Key, KeySpec, KeyUsage, Tag};
use trent_service::ops::create_key::CreateKeyInput;
use trent_service::{RequestContext, Service, ServiceError};

use crate::error::WireError;
use crate::names;
use crate::params::Params;
use crate::shapes::{self, Listed};

/// What an operation answered: the JSON body, and the key it was about (for the call's audit record).
#[derive(Debug)]
pub struct Answer {
    /// The response body, `RequestId` included.
    pub body: String,
    /// The key the answer names, as the service's ARN (the audit trail's one form for both APIs).
    pub key_arn: Option<String>,
}

/// Every operation Trent answers on this API, in Alibaba's order of the reference's table (`alibaba-kms-api.md` §3).
pub const IMPLEMENTED: &[&str] = &[
    "CreateKey",
    "DescribeKey",
    "ListKeys",
    "UpdateKeyDescription",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "SetDeletionProtection",
    "Encrypt",
    "Decrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "ListAliases",
    "ListAliasesByKeyId",
    "DescribeKeyVersion",
    "ListKeyVersions",
    "DescribeRegions",
];

/// True for the operations that change nothing (their audit records are marked read-only).
pub fn is_read_only(action: &str) -> bool {
    matches!(
        action,
        "DescribeKey" | "ListKeys" | "ListAliases" | "ListAliasesByKeyId" | "DescribeKeyVersion" | "ListKeyVersions"
    ) || action == "DescribeRegions"
}

/// Runs `action` for `ctx`'s caller. The regions a caller may name are the server's; `regions` lists them for
/// DescribeRegions.
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
    match action {
        "CreateKey" => create_key(service, ctx, p).await,
        "DescribeKey" => {
            let key = service.describe_key(ctx, &key_id(p)?).await?;
            about(ctx, &shapes::Described { key_metadata: shapes::KeyMetadata::of(&key) }, &key)
        }
        "ListKeys" => list_keys(service, ctx, p).await,
        "UpdateKeyDescription" => {
            let description = p.optional("Description").unwrap_or_default();
            service.update_key_description(ctx, &key_id(p)?, description).await?;
            nothing(ctx)
        }
        "EnableKey" => {
            service.enable_key(ctx, &key_id(p)?).await?;
            nothing(ctx)
        }
        "DisableKey" => {
            service.disable_key(ctx, &key_id(p)?).await?;
            nothing(ctx)
        }
        "ScheduleKeyDeletion" => {
            // Required, 7 to 366 (`alibaba-kms-api.md` §6): a missing window is MissingParameter, one outside the
            // range InvalidParameter, both before the key is looked at.
            let key_id = key_id(p)?;
            p.required("PendingWindowInDays")?;
            let days = p.integer("PendingWindowInDays", Api::Alibaba.pending_window_days())?;
            let key = service.schedule_key_deletion(ctx, &key_id, days, Api::Alibaba).await?;
            about(ctx, &shapes::Nothing {}, &key)
        }
        "CancelKeyDeletion" => {
            let key = service.cancel_key_deletion(ctx, &key_id(p)?, Api::Alibaba).await?;
            about(ctx, &shapes::Nothing {}, &key)
        }
        "SetDeletionProtection" => set_deletion_protection(service, ctx, p).await,
        "Encrypt" => encrypt(service, ctx, p).await,
        "Decrypt" => decrypt(service, ctx, p).await,
        "GenerateDataKey" => generate_data_key(service, ctx, p, true).await,
        "GenerateDataKeyWithoutPlaintext" => generate_data_key(service, ctx, p, false).await,
        "CreateAlias" => {
            let alias = alias_name(p)?;
            service.create_alias(ctx, alias, &key_id(p)?).await?;
            nothing(ctx)
        }
        "UpdateAlias" => {
            let alias = alias_name(p)?;
            service.update_alias(ctx, alias, &key_id(p)?).await?;
            nothing(ctx)
        }
        "DeleteAlias" => {
            service.delete_alias(ctx, p.required("AliasName")?).await?;
            nothing(ctx)
        }
        "ListAliases" => list_aliases(service, ctx, p, None).await,
        "ListAliasesByKeyId" => {
            let key_id = key_id(p)?;
            list_aliases(service, ctx, p, Some(&key_id)).await
        }
        "DescribeKeyVersion" => {
            let key = service.describe_key(ctx, &key_id(p)?).await?;
            if p.required("KeyVersionId")? != names::key_version_id(key.id) {
                return Err(WireError::new(
                    404,
                    "Forbidden.KeyVersionNotFound",
                    "The specified Key version is not found.",
                )
                .into());
            }
            about(ctx, &shapes::OneVersion { key_version: shapes::KeyVersion::of(&key) }, &key)
        }
        "ListKeyVersions" => {
            let key = service.describe_key(ctx, &key_id(p)?).await?;
            let (page_number, page_size) = paging(p)?;
            let versions = [shapes::KeyVersion::of(&key)];
            let page = shapes::page(&versions, page_number, page_size);
            let listed = Listed::new(page_number, page_size, versions.len());
            about(ctx, &shapes::Versions { key_versions: shapes::KeyVersionList { key_version: page }, listed }, &key)
        }
        "DescribeRegions" => {
            let region = regions.iter().map(|id| shapes::RegionId { region_id: id }).collect();
            answer(ctx, &shapes::Regions { regions: shapes::RegionList { region } }, None)
        }
        other => Err(WireError::unsupported(format!("The operation {other} is not supported by Trent yet.")).into()),
    }
}

/// The `KeyId` parameter, as the service reads key references.
fn key_id(p: Params<'_>) -> Result<String, WireError> {
    Ok(names::key_reference(p.required("KeyId")?))
}

/// The `AliasName` parameter: Alibaba's rule (1 to 255 characters, `alias/` first, never `alias/acs`), then the
/// service's own.
fn alias_name(p: Params<'_>) -> Result<&str, WireError> {
    let name = p.required("AliasName")?;
    if name.len() > 255 || !name.starts_with("alias/") || name.starts_with("alias/acs") {
        return Err(WireError::invalid_parameter("AliasName"));
    }
    Ok(name)
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

/// The key ID at the end of a service ARN (`…:key/<id>`).
fn id_of(key_arn: &str) -> &str {
    key_arn.rsplit_once(":key/").map_or(key_arn, |(_, id)| id)
}

/// The answer that is only the request's ID.
fn nothing(ctx: &RequestContext) -> Outcome {
    answer(ctx, &shapes::Nothing {}, None)
}

async fn create_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let spec_name = p.optional("KeySpec").filter(|s| !s.is_empty()).unwrap_or("Aliyun_AES_256");
    let spec = match names::key_spec(spec_name) {
        Some(spec) => spec,
        None if names::UNSUPPORTED_KEY_SPECS.contains(&spec_name) => {
            return Err(
                WireError::unsupported(format!("The key spec {spec_name} is not supported by Trent yet.")).into()
            )
        }
        None => return Err(WireError::invalid_parameter("KeySpec").into()),
    };
    let usage = match p.optional("KeyUsage").filter(|u| !u.is_empty()) {
        None => KeyUsage::EncryptDecrypt,
        Some(name) => names::key_usage(name).ok_or_else(|| WireError::invalid_parameter("KeyUsage"))?,
    };
    // Alibaba's pairs (§4): AES encrypts only, EC keys sign only, RSA either.
    let allowed = match spec {
        KeySpec::SymmetricDefault => usage == KeyUsage::EncryptDecrypt,
        KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => usage == KeyUsage::SignVerify,
        _ => true,
    };
    if !allowed {
        return Err(WireError::invalid_parameter("KeyUsage").into());
    }
    match p.optional("Origin").filter(|o| !o.is_empty()) {
        None | Some("Aliyun_KMS") => {}
        Some("EXTERNAL") => {
            return Err(WireError::unsupported(
                "Keys with imported material (Origin EXTERNAL) are not supported by Trent yet.",
            )
            .into())
        }
        Some(_) => return Err(WireError::invalid_parameter("Origin").into()),
    }
    match p.optional("ProtectionLevel").filter(|l| !l.is_empty()) {
        None | Some("SOFTWARE") => {}
        Some("HSM") => {
            return Err(WireError::new(
                400,
                "Unsupported.ProtectionLevel",
                "This protection level is not valid for this region",
            )
            .into())
        }
        Some(_) => return Err(WireError::invalid_parameter("ProtectionLevel").into()),
    }
    if p.boolean("EnableAutomaticRotation")? == Some(true) {
        return Err(WireError::unsupported("Automatic key rotation is not supported by Trent yet.").into());
    }
    if p.optional("DKMSInstanceId").is_some_and(|id| !id.is_empty()) {
        return Err(WireError::unsupported("KMS instances (DKMSInstanceId) are not supported by Trent.").into());
    }
    let tags = match p.optional("Tags").filter(|t| !t.is_empty()) {
        None => Vec::new(),
        Some(text) => tags_of(text).ok_or_else(|| WireError::invalid_parameter("Tags"))?,
    };
    let input = CreateKeyInput {
        description: p.optional("Description").map(str::to_owned),
        key_spec: Some(spec.as_str().to_owned()),
        key_usage: Some(usage.as_str().to_owned()),
        policy: p.optional("Policy").filter(|policy| !policy.is_empty()).map(str::to_owned),
        tags,
        ..CreateKeyInput::default()
    };
    let key = service.create_key(ctx, input).await?;
    about(ctx, &shapes::Described { key_metadata: shapes::KeyMetadata::of(&key) }, &key)
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

async fn list_keys(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let (page_number, page_size) = paging(p)?;
    if p.optional("Filters").is_some_and(|f| !f.is_empty() && f != "[]") {
        return Err(WireError::unsupported("ListKeys Filters are not supported by Trent yet.").into());
    }
    // Alibaba pages by number, the service by marker: walk every page, then cut the one asked for.
    let mut keys = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let (page, next) = service.list_keys(ctx, 1000, marker.as_deref()).await?;
        keys.extend(page.into_iter().map(|key| shapes::ListedKey {
            key_arn: names::key_arn(&key.region, &key.account, key.id),
            key_id: key.id.to_string(),
        }));
        match next {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    let listed = Listed::new(page_number, page_size, keys.len());
    let key = shapes::page(&keys, page_number, page_size);
    answer(ctx, &shapes::Keys { keys: shapes::KeyList { key }, listed }, None)
}

async fn list_aliases(service: &Service, ctx: &RequestContext, p: Params<'_>, key_id: Option<&str>) -> Outcome {
    let (page_number, page_size) = paging(p)?;
    let mut aliases = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let (page, next) = service.list_aliases(ctx, key_id, 1000, marker.as_deref()).await?;
        aliases.extend(page.into_iter().map(|alias| shapes::ListedAlias {
            alias_arn: names::alias_arn(&alias.region, &alias.account, alias.name.as_str()),
            alias_name: alias.name.to_string(),
            key_id: alias.key_id.to_string(),
        }));
        match next {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    let listed = Listed::new(page_number, page_size, aliases.len());
    let alias = shapes::page(&aliases, page_number, page_size);
    answer(ctx, &shapes::Aliases { aliases: shapes::AliasList { alias }, listed }, None)
}

async fn set_deletion_protection(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    // The legacy SDK sends only ProtectedResourceArn; the Tea SDK may send KeyId instead (§3).
    let target = match (p.optional("ProtectedResourceArn").filter(|a| !a.is_empty()), p.optional("KeyId")) {
        (Some(arn), _) => names::key_reference(arn),
        (None, Some(id)) if !id.is_empty() => names::key_reference(id),
        _ => return Err(WireError::missing_parameter("ProtectedResourceArn").into()),
    };
    let enabled = p
        .boolean("EnableDeletionProtection")?
        .ok_or_else(|| WireError::missing_parameter("EnableDeletionProtection"))?;
    let key = service.set_deletion_protection(ctx, &target, enabled).await?;
    about(ctx, &shapes::Nothing {}, &key)
}

async fn encrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key_id = key_id(p)?;
    let plaintext = p.required("Plaintext")?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    // Alibaba's plaintext is a string that comes back byte for byte (§4): its UTF-8 bytes are what is encrypted.
    let encrypted = service.encrypt(ctx, &key_id, plaintext.as_bytes(), &context, None, dry_run).await?;
    let shape = shapes::Encrypted {
        ciphertext_blob: BASE64.encode(&encrypted.ciphertext),
        key_id: id_of(&encrypted.key_arn),
        key_version_id: names::key_version_id_of(id_of(&encrypted.key_arn)),
    };
    answer(ctx, &shape, Some(encrypted.key_arn.clone()))
}

async fn decrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let blob =
        BASE64.decode(p.required("CiphertextBlob")?).map_err(|_| WireError::invalid_parameter("CiphertextBlob"))?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    let decrypted = service.decrypt(ctx, &blob, &context, None, None, dry_run).await?;
    // A ciphertext made on this API holds a string's UTF-8 bytes; one made through AWS's API may hold any bytes,
    // which come back in base64 (docs/alibaba.md).
    let plaintext = match std::str::from_utf8(&decrypted.plaintext) {
        Ok(text) => text.to_owned(),
        Err(_) => BASE64.encode(decrypted.plaintext.as_slice()),
    };
    let shape = shapes::Decrypted {
        plaintext,
        key_id: id_of(&decrypted.key_arn),
        key_version_id: names::key_version_id_of(id_of(&decrypted.key_arn)),
    };
    answer(ctx, &shape, Some(decrypted.key_arn.clone()))
}

async fn generate_data_key(service: &Service, ctx: &RequestContext, p: Params<'_>, with_plaintext: bool) -> Outcome {
    let key_id = key_id(p)?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    // NumberOfBytes (1 to 1024) wins over KeySpec (AES_256 or AES_128); 32 bytes when neither is sent.
    let length = match (p.integer("NumberOfBytes", 1..=1024)?, p.optional("KeySpec").filter(|s| !s.is_empty())) {
        (Some(n), _) => usize::try_from(n).unwrap_or(32),
        (None, None | Some("AES_256")) => 32,
        (None, Some("AES_128")) => 16,
        (None, Some(_)) => return Err(WireError::invalid_parameter("KeySpec").into()),
    };
    // The data key travels as base64 text and Decrypt gives that text back, so the text is what is encrypted.
    let data_key = service.generate_random(ctx, length, None).await?;
    let text = zeroize::Zeroizing::new(BASE64.encode(data_key.as_slice()));
    let encrypted = service.encrypt(ctx, &key_id, text.as_bytes(), &context, None, dry_run).await?;
    let shape = shapes::DataKey {
        ciphertext_blob: BASE64.encode(&encrypted.ciphertext),
        plaintext: with_plaintext.then_some(text.as_str()),
        key_id: id_of(&encrypted.key_arn),
        key_version_id: names::key_version_id_of(id_of(&encrypted.key_arn)),
    };
    answer(ctx, &shape, Some(encrypted.key_arn.clone()))
}
