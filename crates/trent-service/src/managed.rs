//! Service-managed keys (KeyManager `AWS`): created on first use of an `alias/aws/<service>` alias in Encrypt or
//! GenerateDataKey, as AWS does, or of an `alias/acs/<product>` alias, Alibaba Cloud's service keys (which serve
//! cryptography and refuse management and deletion, `alibaba-kms-api.md` §5.4). Their lifecycle cannot be changed by
//! anyone: `authorize()` refuses it.

use trent_audit::{AuditEvent, EventType};
use trent_domain::{AliasName, Key, KeyId, KeyManager, KeySpec, KeyState, KeyUsage, Origin};
use trent_store::{Alias, StoreError};

use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

/// The key policy of a service-managed key: use only through the service, by principals of the account.
fn managed_policy(account: &str, service: &str) -> String {
    format!(
        "{{\"Version\":\"2012-10-17\",\"Id\":\"auto-{service}\",\"Statement\":[{{\"Sid\":\"Allow access through {service} for all principals in the account that are authorized to use {service}\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"*\"}},\"Action\":[\"kms:Encrypt\",\"kms:Decrypt\",\"kms:ReEncrypt*\",\"kms:GenerateDataKey*\",\"kms:DescribeKey\"],\"Resource\":\"*\",\"Condition\":{{\"StringEquals\":{{\"kms:CallerAccount\":\"{account}\"}}}}}},{{\"Sid\":\"Allow direct access to key metadata to the account\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{account}:root\"}},\"Action\":[\"kms:Describe*\",\"kms:Get*\",\"kms:List*\"],\"Resource\":\"*\"}}]}}"
    )
}

/// The service an `alias/aws/<service>` (AWS) or `alias/acs/<product>` (Alibaba Cloud) name belongs to, if it is a
/// well-formed service name.
fn service_of(name: &AliasName) -> Option<&str> {
    let text = name.as_str();
    let service = text.strip_prefix("alias/aws/").or_else(|| text.strip_prefix("alias/acs/"))?;
    (!service.is_empty() && service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        .then_some(service)
}

impl Service {
    /// Creates the service-managed key of `name` with its alias, atomically; if another request created it first,
    /// returns that one. `None` if `name` is not a service's alias.
    pub(crate) async fn create_managed_key(
        &self,
        ctx: &RequestContext,
        name: &AliasName,
    ) -> Result<Option<KeyId>, ServiceError> {
        let Some(service) = service_of(name) else {
            return Ok(None);
        };
        let id = KeyId::generate();
        let (_material, wrapped_material) = self.root_key.generate_key_material(
            id,
            KeySpec::SymmetricDefault,
            trent_domain::KeyUsage::EncryptDecrypt,
        )?;
        let now = self.clock.now();
        let key = Key {
            id,
            account: ctx.account().clone(),
            region: ctx.region.clone(),
            created_at: now,
            description: format!("Default key that protects my {service} data when no other key is defined"),
            spec: KeySpec::SymmetricDefault,
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::AwsKms,
            manager: KeyManager::Aws,
            state: KeyState::Enabled,
            tags: Vec::new(),
            policy: managed_policy(ctx.account().as_str(), service),
            deletion_protection: true,
            deletion_protection_description: String::new(),
            cancel_on_use: false,
            wrapped_material,
            rotations: Vec::new(),
            rotation_schedule: None,
            import: trent_domain::Import::default(),
            multi_region: None,
            version: 1,
        };
        let alias = Alias {
            account: key.account.clone(),
            region: key.region.clone(),
            name: name.clone(),
            key_id: id,
            created_at: now,
            updated_at: now,
        };
        let event = AuditEvent::new(
            "CreateKey",
            EventType::AwsServiceEvent,
            now,
            &key.account,
            &key.region,
            AuditEvent::service_identity(),
            Some(key.arn().to_string()),
        )
        .with_parameter("keyId", id.to_string())
        .with_parameter("aliasName", name.as_str());
        let mark = self.cache.mark();
        match self.store.create_key_with_alias(&key, &alias, &event).await {
            Ok(()) => {
                self.cache.remember(&key, &self.root_key, mark)?;
                tracing::info!(key_arn = %key.arn(), alias = %name, "created a service-managed key on first use");
                Ok(Some(id))
            }
            Err(StoreError::AliasExists) => {
                Ok(self.store.get_alias(ctx.account(), &ctx.region, name).await?.map(|a| a.key_id))
            }
            Err(other) => Err(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_service_aliases_name_managed_keys() {
        assert_eq!(service_of(&AliasName::parse("alias/aws/s3").unwrap()), Some("s3"));
        assert_eq!(service_of(&AliasName::parse("alias/aws/secretsmanager").unwrap()), Some("secretsmanager"));
        assert_eq!(service_of(&AliasName::parse("alias/aws/S3").unwrap()), None);
        assert_eq!(service_of(&AliasName::parse("alias/aws/a/b").unwrap()), None);
        assert_eq!(service_of(&AliasName::parse("alias/orders").unwrap()), None);
        assert_eq!(service_of(&AliasName::parse("alias/acs/ecs").unwrap()), Some("ecs"), "Alibaba's service keys");
    }
}
