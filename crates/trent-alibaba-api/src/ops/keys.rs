//! Keys and their lifecycle on Alibaba's API: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey,
//! DisableKey, ScheduleKeyDeletion (window required, 7 to 366 days), CancelKeyDeletion (back to `Enabled`),
//! SetDeletionProtection, and the key versions (one per key until rotation lands).

use trent_domain::{KeySpec, KeyUsage};
use trent_service::ops::create_key::CreateKeyInput;
use trent_service::{RequestContext, Service};

use super::{about, all_pages, answer, key_id, nothing, paging, tags_of, Outcome, PAGE};
use crate::error::WireError;
use crate::names;
use crate::params::Params;
use crate::shapes::{self, Listed};

pub(super) async fn create_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
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
        KeySpec::SymmetricDefault | KeySpec::Aes128 | KeySpec::Aes192 => usage == KeyUsage::EncryptDecrypt,
        KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => usage == KeyUsage::SignVerify,
        _ => true,
    };
    if !allowed {
        return Err(WireError::invalid_parameter("KeyUsage").into());
    }
    let origin = match p.optional("Origin").filter(|o| !o.is_empty()) {
        None | Some("Aliyun_KMS") => None,
        // Alibaba imports symmetric material only (§4: "asymmetric keys cannot be EXTERNAL").
        Some("EXTERNAL") if spec.secret_len().is_some() => Some("EXTERNAL".to_owned()),
        Some("EXTERNAL") => {
            return Err(WireError::new(400, "Unsupported.Origin", "This key origin is not valid for this api.").into())
        }
        Some(_) => return Err(WireError::invalid_parameter("Origin").into()),
    };
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
        origin,
        ..CreateKeyInput::default()
    };
    let key = service.create_key(ctx, input).await?;
    about(ctx, &shapes::Described { key_metadata: shapes::KeyMetadata::created(&key) }, &key)
}

pub(super) async fn list_keys(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let (page_number, page_size) = paging(p)?;
    if p.optional("Filters").is_some_and(|f| !f.is_empty() && f != "[]") {
        return Err(WireError::unsupported("ListKeys Filters are not supported by Trent yet.").into());
    }
    let keys: Vec<shapes::ListedKey> =
        all_pages(|marker| async move { service.list_keys(ctx, PAGE, marker.as_deref()).await })
            .await?
            .into_iter()
            .map(|key| shapes::ListedKey {
                key_arn: names::key_arn(&key.region, &key.account, key.id),
                key_id: key.id.to_string(),
            })
            .collect();
    let listed = Listed::new(page_number, page_size, keys.len());
    let key = shapes::page(&keys, page_number, page_size);
    answer(ctx, &shapes::Keys { keys: shapes::KeyList { key }, listed }, None)
}

pub(super) async fn describe_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = service.describe_key(ctx, &key_id(p)?).await?;
    about(ctx, &shapes::Described { key_metadata: shapes::KeyMetadata::of(&key) }, &key)
}

pub(super) async fn update_key_description(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    // Required (Alibaba's model): a call without it is refused rather than clearing the description.
    let description = p.optional("Description").ok_or_else(|| WireError::missing_parameter("Description"))?;
    service.update_key_description(ctx, &key_id(p)?, description).await?;
    nothing(ctx)
}

pub(super) async fn enable_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    service.enable_key(ctx, &key_id(p)?).await?;
    nothing(ctx)
}

pub(super) async fn disable_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    service.disable_key(ctx, &key_id(p)?).await?;
    nothing(ctx)
}

pub(super) async fn schedule_key_deletion(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    // Required, 7 to 366 (`alibaba-kms-api.md` §6): a missing window is MissingParameter, one outside the range
    // InvalidParameter, both before the key is looked at.
    let key_id = key_id(p)?;
    p.required("PendingWindowInDays")?;
    let days = p.integer("PendingWindowInDays", ctx.api.pending_window_days())?;
    let key = service.schedule_key_deletion(ctx, &key_id, days).await?;
    about(ctx, &shapes::Nothing {}, &key)
}

pub(super) async fn cancel_key_deletion(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = service.cancel_key_deletion(ctx, &key_id(p)?).await?;
    about(ctx, &shapes::Nothing {}, &key)
}

pub(super) async fn set_deletion_protection(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    // The legacy SDK sends only ProtectedResourceArn; the Tea SDK may send KeyId instead (§3).
    let target = match (p.optional("ProtectedResourceArn").filter(|a| !a.is_empty()), p.optional("KeyId")) {
        (Some(arn), _) => names::key_reference(arn),
        (None, Some(id)) if !id.is_empty() => names::key_reference(id),
        _ => return Err(WireError::missing_parameter("ProtectedResourceArn").into()),
    };
    let enabled = p
        .boolean("EnableDeletionProtection")?
        .ok_or_else(|| WireError::missing_parameter("EnableDeletionProtection"))?;
    let description = p.optional("DeletionProtectionDescription");
    let key = service.set_deletion_protection(ctx, &target, enabled, description).await?;
    about(ctx, &shapes::Nothing {}, &key)
}

pub(super) async fn describe_key_version(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = service.describe_key(ctx, &key_id(p)?).await?;
    let key_version = super::named_version(p, &key)?;
    about(ctx, &shapes::OneVersion { key_version }, &key)
}

pub(super) async fn list_key_versions(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = service.describe_key(ctx, &key_id(p)?).await?;
    let (page_number, page_size) = paging(p)?;
    let versions = shapes::KeyVersion::all(&key);
    let page = shapes::page(&versions, page_number, page_size);
    let listed = Listed::new(page_number, page_size, versions.len());
    about(ctx, &shapes::Versions { key_versions: shapes::KeyVersionList { key_version: page }, listed }, &key)
}

/// The `PolicyName` parameter: `default` (the only one), when sent.
fn policy_name(p: Params<'_>) -> Result<(), WireError> {
    match p.optional("PolicyName") {
        None | Some("" | "default") => Ok(()),
        Some(_) => Err(WireError::invalid_parameter("PolicyName")),
    }
}

pub(super) async fn get_key_policy(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    policy_name(p)?;
    let (policy, _) = service.get_key_policy(ctx, &key_id(p)?, None).await?;
    answer(ctx, &shapes::KeyPolicy { policy }, None)
}

pub(super) async fn set_key_policy(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    policy_name(p)?;
    // Alibaba's API has no bypass: a policy that would lock its author out is refused.
    service.put_key_policy(ctx, &key_id(p)?, None, p.required("Policy")?, false).await?;
    nothing(ctx)
}
