//! Turning the key identifiers callers send (key ID, key ARN, alias name, alias ARN) into keys, with AWS's errors
//! for each malformed or unknown form. A key past its deletion date is treated as gone even before the worker runs.

use std::sync::Arc;

use trent_domain::{is_multi_region_key_id, AccountId, AliasName, Arn, ArnResource, Key, KeyId};

use crate::cache::{LoadedKey, Lookup};
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

/// Whether an operation accepts aliases where it takes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aliases {
    /// Key ID, key ARN, alias name and alias ARN (Encrypt, DescribeKey, GenerateDataKey, …).
    Accepted,
    /// Key ID and key ARN only (EnableKey, ScheduleKeyDeletion, TagResource, …).
    Refused,
    /// As `Accepted`, and an unknown `alias/aws/<service>` creates that service's managed key (Encrypt,
    /// GenerateDataKey, GenerateDataKeyWithoutPlaintext).
    AcceptedCreatingManaged,
}

/// Whether an operation may reach a key of another account, named by its ARN (AWS's "Cross-account use: Yes":
/// the cryptographic operations, DescribeKey, GetPublicKey and the grant operations), or only its caller's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only the caller's account: another account's key is not found.
    OwnAccount,
    /// Another account's key too, by key or alias ARN; its key policy then decides.
    CrossAccount,
}

/// A parsed key identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyReference {
    /// A bare key ID.
    Id(KeyId),
    /// A key ARN.
    KeyArn(Arn, KeyId),
    /// An alias name.
    AliasName(AliasName),
    /// An alias ARN.
    AliasArn(Arn, AliasName),
    /// A multi-Region key ID (`mrk-…`), bare or in an ARN: well-formed, but Trent holds no such key yet.
    MultiRegion(Option<Arn>, String),
}

/// The message AWS gives for an identifier that names no key.
pub fn not_found(key_arn: &str) -> ServiceError {
    ServiceError::NotFound(format!("Key '{key_arn}' does not exist"))
}

/// Parses any of the four identifier forms.
pub fn parse_reference(text: &str) -> Result<KeyReference, ServiceError> {
    if text.starts_with("arn:") {
        let arn = Arn::parse(text).map_err(|_| ServiceError::InvalidArn(format!("Invalid arn {text}")))?;
        return Ok(match arn.resource.clone() {
            ArnResource::Key(id) => KeyReference::KeyArn(arn, id),
            ArnResource::Alias(name) => KeyReference::AliasArn(arn, name),
            ArnResource::MultiRegionKey(id) => KeyReference::MultiRegion(Some(arn), id),
        });
    }
    if text.starts_with("alias/") {
        return AliasName::parse(text)
            .map(KeyReference::AliasName)
            .map_err(|_| ServiceError::NotFound(format!("Alias '{text}' is not found.")));
    }
    match KeyId::parse(text) {
        Some(id) => Ok(KeyReference::Id(id)),
        // A well-formed multi-Region ID Trent did not make: no key, but not an invalid ID either.
        None if is_multi_region_key_id(text) => Ok(KeyReference::MultiRegion(None, text.to_owned())),
        None => Err(ServiceError::NotFound(format!("Invalid keyId '{text}'"))),
    }
}

/// The answer for an ARN naming another region (recorded from AWS: `Invalid arn us-west-2`, the ARN's region);
/// an ARN of another account in this region names nothing this caller may see: `None`, and the caller answers as
/// for any unknown key.
fn foreign_region(ctx: &RequestContext, arn: &Arn) -> Option<ServiceError> {
    (arn.region != ctx.region).then(|| ServiceError::NotFound(format!("Invalid arn {}", arn.region)))
}

impl Service {
    /// The key ID a reference names in the caller's account and region, following an alias if allowed.
    pub(crate) async fn resolve_id(
        &self,
        ctx: &RequestContext,
        text: &str,
        aliases: Aliases,
    ) -> Result<KeyId, ServiceError> {
        Ok(self.resolve_key(ctx, text, aliases, Reach::OwnAccount).await?.1)
    }

    /// The account and key ID a reference names in the caller's region, following an alias if allowed; another
    /// account's only when the operation reaches across accounts.
    pub(crate) async fn resolve_key(
        &self,
        ctx: &RequestContext,
        text: &str,
        aliases: Aliases,
        reach: Reach,
    ) -> Result<(AccountId, KeyId), ServiceError> {
        let reference = parse_reference(text)?;
        if let KeyReference::KeyArn(arn, _) | KeyReference::AliasArn(arn, _) | KeyReference::MultiRegion(Some(arn), _) =
            &reference
        {
            if let Some(refusal) = foreign_region(ctx, arn) {
                return Err(refusal);
            }
        }
        let out_of_reach = |arn: &Arn| &arn.account != ctx.account() && reach == Reach::OwnAccount;
        let own = |id| (ctx.account().clone(), id);
        match reference {
            KeyReference::Id(id) => Ok(own(id)),
            KeyReference::KeyArn(arn, id) => {
                if out_of_reach(&arn) {
                    Err(not_found(&arn.to_string()))
                } else {
                    Ok((arn.account, id))
                }
            }
            KeyReference::MultiRegion(arn, id) => Err(not_found(
                &arn.unwrap_or_else(|| Arn::multi_region_key(&ctx.region, ctx.account(), &id)).to_string(),
            )),
            KeyReference::AliasName(_) | KeyReference::AliasArn(..) if aliases == Aliases::Refused => {
                Err(ServiceError::InvalidArn("Key Aliases are not supported for this operation.".to_owned()))
            }
            KeyReference::AliasName(name) => self.alias_target(ctx, &name, text, aliases).await.map(own),
            KeyReference::AliasArn(arn, name) if &arn.account != ctx.account() => {
                let foreign = self.store.get_alias(&arn.account, &ctx.region, &name).await?;
                match foreign {
                    Some(alias) if reach == Reach::CrossAccount => Ok((arn.account, alias.key_id)),
                    _ => Err(ServiceError::NotFound(format!("Alias {arn} is not found."))),
                }
            }
            KeyReference::AliasArn(_, name) => self.alias_target(ctx, &name, text, aliases).await.map(own),
        }
    }

    async fn alias_target(
        &self,
        ctx: &RequestContext,
        name: &AliasName,
        text: &str,
        aliases: Aliases,
    ) -> Result<KeyId, ServiceError> {
        if let Some(alias) = self.store.get_alias(ctx.account(), &ctx.region, name).await? {
            return Ok(alias.key_id);
        }
        let created = if aliases == Aliases::AcceptedCreatingManaged && name.is_reserved() {
            // Boxed, as it happens once per managed key: its future would otherwise enlarge every use's.
            Box::pin(self.create_managed_key(ctx, name)).await?
        } else {
            None
        };
        created
            .ok_or_else(|| ServiceError::NotFound(format!("Alias {} is not found.", alias_arn_text(ctx, name, text))))
    }

    /// The key for a read or a cryptographic use, served from the cache when possible.
    pub(crate) async fn load(
        &self,
        ctx: &RequestContext,
        text: &str,
        aliases: Aliases,
    ) -> Result<Arc<LoadedKey>, ServiceError> {
        self.load_reaching(ctx, text, aliases, Reach::OwnAccount).await
    }

    /// As [`Service::load`], reaching another account's key by its ARN when `reach` allows.
    pub(crate) async fn load_reaching(
        &self,
        ctx: &RequestContext,
        text: &str,
        aliases: Aliases,
        reach: Reach,
    ) -> Result<Arc<LoadedKey>, ServiceError> {
        let (account, id) = self.resolve_key(ctx, text, aliases, reach).await?;
        self.load_of(ctx, &account, id).await
    }

    /// The key with this ID in the caller's account and region.
    pub(crate) async fn load_by_id(&self, ctx: &RequestContext, id: KeyId) -> Result<Arc<LoadedKey>, ServiceError> {
        self.load_of(ctx, ctx.account(), id).await
    }

    /// The key with this ID in `account`, in the caller's region.
    pub(crate) async fn load_of(
        &self,
        ctx: &RequestContext,
        account: &AccountId,
        id: KeyId,
    ) -> Result<Arc<LoadedKey>, ServiceError> {
        let gone = || not_found(&Arn::key(&ctx.region, account, id).to_string());
        let loaded = match self.cache.get(account, &ctx.region, id) {
            Lookup::Hit(loaded) => loaded,
            Lookup::Destroyed => return Err(gone()),
            Lookup::Miss => {
                let mark = self.cache.mark();
                let key = self.store.get_key(account, &ctx.region, id).await?.ok_or_else(gone)?;
                self.cache.remember(&key, &self.root_key, mark)?.ok_or_else(gone)?
            }
        };
        if loaded.key.is_due_for_deletion(self.clock.now()) {
            self.wake_deletion_worker();
            return Err(gone());
        }
        Ok(loaded)
    }

    /// The key read fresh from the store, for a conditional write. Aliases are never accepted by writing operations.
    pub(crate) async fn load_for_write(&self, ctx: &RequestContext, text: &str) -> Result<Key, ServiceError> {
        self.load_for_write_reaching(ctx, text, Reach::OwnAccount).await
    }

    /// As [`Service::load_for_write`], reaching another account's key by its ARN when `reach` allows (the grant
    /// operations).
    pub(crate) async fn load_for_write_reaching(
        &self,
        ctx: &RequestContext,
        text: &str,
        reach: Reach,
    ) -> Result<Key, ServiceError> {
        let (account, id) = self.resolve_key(ctx, text, Aliases::Refused, reach).await?;
        let arn = Arn::key(&ctx.region, &account, id).to_string();
        let key = self.store.get_key(&account, &ctx.region, id).await?.ok_or_else(|| not_found(&arn))?;
        if key.is_due_for_deletion(self.clock.now()) {
            self.wake_deletion_worker();
            return Err(not_found(&arn));
        }
        Ok(key)
    }
}

fn alias_arn_text(ctx: &RequestContext, name: &AliasName, text: &str) -> String {
    if text.starts_with("arn:") {
        text.to_owned()
    } else {
        Arn::alias(&ctx.region, ctx.account(), name).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_parse_into_their_four_forms() {
        let id = KeyId::generate();
        assert_eq!(parse_reference(&id.to_string()).unwrap(), KeyReference::Id(id));
        assert!(
            matches!(parse_reference(&format!("arn:aws:kms:us-east-1:111122223333:key/{id}")).unwrap(), KeyReference::KeyArn(_, k) if k == id)
        );
        assert!(matches!(parse_reference("alias/orders").unwrap(), KeyReference::AliasName(_)));
        assert!(matches!(
            parse_reference("arn:aws:kms:us-east-1:111122223333:alias/orders").unwrap(),
            KeyReference::AliasArn(..)
        ));
    }

    #[test]
    fn malformed_identifiers_get_aws_errors() {
        assert!(matches!(parse_reference("arn:aws:kms:nowhere"), Err(ServiceError::InvalidArn(_))));
        assert!(
            matches!(parse_reference("not-a-key"), Err(ServiceError::NotFound(m)) if m == "Invalid keyId 'not-a-key'")
        );
        assert!(
            matches!(parse_reference("mrk-fake-key-id"), Err(ServiceError::NotFound(m)) if m == "Invalid keyId 'mrk-fake-key-id'")
        );
    }

    #[test]
    fn multi_region_ids_are_well_formed_bare_or_in_an_arn() {
        let id = "mrk-d3b95762d3b95762d3b95762d3b95762";
        assert_eq!(parse_reference(id).unwrap(), KeyReference::MultiRegion(None, id.to_owned()));
        assert!(matches!(
            parse_reference(&format!("arn:aws:kms:us-east-1:111122223333:key/{id}")).unwrap(),
            KeyReference::MultiRegion(Some(_), _)
        ));
    }
}
