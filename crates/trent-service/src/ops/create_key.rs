//! CreateKey: a new key of any spec and usage Trent has built, with fresh material sealed under the root key (or, of
//! origin `EXTERNAL`, none: it waits in `PendingImport` for its owner's), its policy, tags and audit event.

use std::sync::Arc;

use trent_domain::{Key, KeyId, KeyManager, KeySpec, KeyState, KeyUsage, MultiRegionKeyType, Origin, Tag};

use crate::authorize::{authorize_new_key, check_lockout};
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::ops::{generate_material, new_key_policy_and_tags};
use crate::Service;

/// CreateKey's input, after the edge checked the model's constraints.
#[derive(Debug, Clone, Default)]
pub struct CreateKeyInput {
    /// Description, default empty.
    pub description: Option<String>,
    /// KeySpec.
    pub key_spec: Option<String>,
    /// The deprecated CustomerMasterKeySpec.
    pub customer_master_key_spec: Option<String>,
    /// KeyUsage.
    pub key_usage: Option<String>,
    /// Origin.
    pub origin: Option<String>,
    /// Key policy; AWS's default policy when absent.
    pub policy: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// MultiRegion.
    pub multi_region: Option<bool>,
    /// CustomKeyStoreId.
    pub custom_key_store_id: Option<String>,
    /// XksKeyId.
    pub xks_key_id: Option<String>,
    /// BypassPolicyLockoutSafetyCheck: accept a policy that would not let the caller change it later.
    pub bypass_policy_lockout_safety_check: bool,
}

impl Service {
    /// CreateKey.
    pub async fn create_key(&self, ctx: &RequestContext, input: CreateKeyInput) -> Result<Key, ServiceError> {
        if input.key_spec.is_some() && input.customer_master_key_spec.is_some() {
            return Err(ServiceError::Validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request.".to_owned(),
            ));
        }
        let spec_text =
            input.key_spec.or(input.customer_master_key_spec).unwrap_or_else(|| "SYMMETRIC_DEFAULT".to_owned());
        // Only a symmetric encryption key may leave KeyUsage out (recorded: LocalStack's
        // test_hmac_create_key_invalid_operations; the API reference says the same of asymmetric keys).
        let usage_text = match input.key_usage {
            Some(usage) => usage,
            None if spec_text == KeySpec::SymmetricDefault.as_str() => KeyUsage::EncryptDecrypt.as_str().to_owned(),
            None => {
                return Err(ServiceError::Validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
                        .to_owned(),
                ))
            }
        };
        // First whether AWS allows the pair at all, then whether Trent has built it.
        if !trent_domain::key_specs::allows(&spec_text, &usage_text) {
            return Err(ServiceError::Validation(format!(
                "KeyUsage {usage_text} is not compatible with KeySpec {spec_text}"
            )));
        }
        let (Some(spec), Some(usage)) = (KeySpec::parse(&spec_text), KeyUsage::parse(&usage_text)) else {
            return Err(ServiceError::Unsupported(format!(
                "KeySpec {spec_text} with KeyUsage {usage_text} is not supported by Trent yet (see the README for the key specs it has)."
            )));
        };
        let origin_text = input.origin.unwrap_or_else(|| "AWS_KMS".to_owned());
        let origin = Origin::parse(&origin_text).ok_or_else(|| {
            ServiceError::Unsupported(format!(
                "Origin {origin_text} is not supported by Trent yet; AWS_KMS and EXTERNAL keys can be created."
            ))
        })?;
        // AWS imports symmetric, HMAC, RSA and ECC material (its "requirements for imported key material"); an ML-KEM
        // key pair has no PKCS #8 form to import here.
        if origin == Origin::External && matches!(usage, KeyUsage::EncapsulateDecapsulate) {
            return Err(ServiceError::Unsupported(format!(
                "KeySpec {spec_text} does not support imported key material (Origin EXTERNAL)."
            )));
        }
        let multi_region = input.multi_region == Some(true);
        if multi_region && usage == KeyUsage::EncapsulateDecapsulate {
            return Err(ServiceError::Unsupported(format!(
                "Multi-Region keys of key spec {} are not supported by Trent yet.",
                spec.as_str()
            )));
        }
        if input.custom_key_store_id.is_some() || input.xks_key_id.is_some() {
            return Err(ServiceError::Unsupported("Custom key stores are not supported by Trent yet.".to_owned()));
        }
        // The lockout check is for a policy the caller wrote; AWS's default policy is installed as it is.
        let bypass_lockout_check = input.bypass_policy_lockout_safety_check || input.policy.is_none();
        let (policy, tags) = new_key_policy_and_tags(ctx.account(), input.policy, &input.tags)?;

        let id = if multi_region { KeyId::generate_multi_region() } else { KeyId::generate() };
        let (wrapped_material, state) = match origin {
            Origin::AwsKms => {
                let root_key = Arc::clone(&self.root_key);
                let (_material, wrapped_material) =
                    generate_material(spec, move || root_key.generate_key_material(id, spec, usage)).await?;
                (wrapped_material, KeyState::Enabled)
            }
            Origin::External => (Vec::new(), KeyState::PendingImport),
        };
        let key = Key {
            id,
            account: ctx.account().clone(),
            region: ctx.region.clone(),
            created_at: self.clock.now(),
            description: input.description.unwrap_or_default(),
            spec,
            usage,
            origin,
            manager: KeyManager::Customer,
            state,
            tags,
            policy,
            deletion_protection: self.settings.deletion_protection_by_default,
            deletion_protection_description: String::new(),
            cancel_on_use: false,
            wrapped_material,
            rotations: Vec::new(),
            rotation_schedule: None,
            import: trent_domain::Import::default(),
            multi_region: multi_region.then_some(MultiRegionKeyType::Primary),
            version: 1,
        };
        authorize_new_key(ctx, &key)?;
        check_lockout(ctx, &key, bypass_lockout_check)?;
        let event = self
            .api_event(ctx, "CreateKey", &key)
            .with_parameter("keySpec", spec.as_str())
            .with_parameter("keyUsage", usage.as_str());
        let mark = self.cache.mark();
        self.store.create_key(&key, &event).await?;
        self.cache.remember(&key, &self.root_key, mark)?;
        Ok(key)
    }
}
