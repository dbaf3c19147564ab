//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and what a grant allows.
//!
//! A grant gives its grantee principal some operations on one key, optionally constrained to requests with an
//! encryption context that equals, or includes, the grant's. It allows what no policy allows, never what a policy
//! explicitly denies. It is effective as soon as CreateGrant answers (so its token is usable at once) and stops as soon
//! as RetireGrant or RevokeGrant answers, on every node: a request that only a grant can allow reads the caller's
//! grants of the key from the store (a request the policies allow reads none). A key's grants are destroyed with it.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use trent_crypto::EncryptionContext;
use trent_domain::{hex, Action, Arn, Key, KeyId, KeyUsage, Region};
use trent_store::StoredGrant;

use crate::authorize::{
    access_denied, authorize, authorize_granted, authorize_in_account, authorize_loaded, GrantFacts, Permission,
};
use crate::cache::LoadedKey;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::page;
use crate::resolve::Reach;
use crate::Service;

/// The most grants one key may have (AWS's quota "Grants per KMS key").
pub const MOST_GRANTS_PER_KEY: i64 = 50_000;

/// Every grant operation AWS knows (its model's `GrantOperation`).
pub const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
];

/// The operations that take an encryption context: a grant's constraints apply to these only, and only on symmetric
/// encryption keys ("Grant constraints are not applied to operations that do not support an encryption context",
/// the CreateGrant API reference).
const CONTEXT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
];

/// The operations a grant may give on every key.
const EVERY_KEY_OPERATIONS: &[&str] = &["DescribeKey", "CreateGrant", "RetireGrant"];

/// True when a grant may give `operation` on `key` (the developer guide's "Grant operations"): the key's own
/// cryptography, and on every key `DescribeKey`, `CreateGrant` and `RetireGrant`.
fn grantable(operation: &str, key: &Key) -> bool {
    EVERY_KEY_OPERATIONS.contains(&operation) || cryptography_of(key).contains(&operation)
}

/// The cryptographic operations of a key's usage.
fn cryptography_of(key: &Key) -> &'static [&'static str] {
    match (key.usage, key.spec.secret_len().is_some()) {
        (KeyUsage::EncryptDecrypt, true) => &[
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
            "ReEncryptFrom",
            "ReEncryptTo",
        ],
        (KeyUsage::EncryptDecrypt, false) => &["Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"],
        (KeyUsage::SignVerify, _) => &["Sign", "Verify", "GetPublicKey"],
        (KeyUsage::GenerateVerifyMac, _) => &["GenerateMac", "VerifyMac"],
        (KeyUsage::KeyAgreement, _) => &["DeriveSharedSecret", "GetPublicKey"],
        (KeyUsage::EncapsulateDecapsulate, _) => &["Encapsulate", "Decapsulate", "GetPublicKey"],
    }
}

/// A grant's constraints, as AWS writes them (`GrantConstraints`), and as they are stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraints {
    /// The request's encryption context must include these pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<EncryptionContext>,
    /// The request's encryption context must be exactly these pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<EncryptionContext>,
}

impl GrantConstraints {
    /// True when a request with `context` meets the constraints: keys compared in any case, values as written
    /// (the developer guide's "Grant constraints").
    fn hold_for(&self, context: &EncryptionContext) -> bool {
        let has = |name: &String, value: &String| {
            context.iter().any(|(key, given)| key.eq_ignore_ascii_case(name) && given == value)
        };
        let subset = self.encryption_context_subset.as_ref().is_none_or(|pairs| pairs.iter().all(|(k, v)| has(k, v)));
        let equals = self
            .encryption_context_equals
            .as_ref()
            .is_none_or(|pairs| pairs.len() == context.len() && pairs.iter().all(|(k, v)| has(k, v)));
        subset && equals
    }

    /// The constraint's kind (`kms:GrantConstraintType`) and its pairs (the `kms:EncryptionContext:` keys CreateGrant
    /// is evaluated with).
    fn kind_and_pairs(&self) -> (Option<&'static str>, Option<&EncryptionContext>) {
        match (&self.encryption_context_equals, &self.encryption_context_subset) {
            (Some(pairs), _) => (Some("EncryptionContextEquals"), Some(pairs)),
            (None, Some(pairs)) => (Some("EncryptionContextSubset"), Some(pairs)),
            (None, None) => (None, None),
        }
    }

    /// AWS's limits on a constraint: at most 8 pairs, each value at most 384 characters.
    fn check(&self) -> Result<(), ServiceError> {
        for (member, pairs) in [
            ("encryptionContextSubset", &self.encryption_context_subset),
            ("encryptionContextEquals", &self.encryption_context_equals),
        ] {
            let pairs = pairs.iter().flatten();
            if pairs.clone().count() > 8 || pairs.clone().any(|(_, value)| value.chars().count() > 384) {
                return Err(ServiceError::Validation(format!(
                    "A grant constraint's {member} holds at most 8 pairs, each value at most 384 characters."
                )));
            }
        }
        Ok(())
    }

    /// True when these constraints allow no request that `parent`'s do not (a grant made through a grant may only
    /// narrow it): the parent has none, or both are the same.
    fn within(&self, parent: &Option<GrantConstraints>) -> bool {
        parent.as_ref().is_none_or(|parent| parent == self)
    }
}

/// A grant, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The grant as stored.
    pub stored: StoredGrant,
    /// Its operations.
    pub operations: Vec<String>,
    /// Its constraints, if any.
    pub constraints: Option<GrantConstraints>,
}

impl Grant {
    /// The grant a stored row holds; `None` for a row that does not read (never written so), which allows nothing.
    pub(crate) fn read(stored: StoredGrant) -> Option<Self> {
        let operations = serde_json::from_str(&stored.operations).ok()?;
        let constraints =
            if stored.constraints.is_empty() { None } else { Some(serde_json::from_str(&stored.constraints).ok()?) };
        Some(Self { stored, operations, constraints })
    }

    fn has(&self, operation: &str) -> bool {
        self.operations.iter().any(|op| op == operation)
    }

    /// True when the grant gives `operation` on `key` to a request with `context`.
    fn allows(&self, operation: &str, context: Option<&EncryptionContext>, key: &Key) -> bool {
        let constrained = CONTEXT_OPERATIONS.contains(&operation) && takes_context(key);
        self.has(operation)
            && (!constrained
                || self.constraints.as_ref().is_none_or(|c| c.hold_for(context.unwrap_or(&EncryptionContext::new()))))
    }
}

/// A grant token: it names the grant (account, region, key, grant ID) and carries a nonce, in unpadded base64url as
/// AWS's tokens are written. It is no secret: whoever retires a grant by its token must still be allowed to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GrantToken {
    region: Region,
    key_id: KeyId,
    account: trent_domain::AccountId,
    grant_id: String,
}

/// The text every Trent grant token starts with, before base64url.
const TOKEN_VERSION: &str = "trent-grant-token-1";

impl GrantToken {
    fn write(&self) -> Result<String, ServiceError> {
        let nonce = random_hex(16)?;
        let text =
            format!("{TOKEN_VERSION}\n{}\n{}\n{}\n{}\n{nonce}", self.account, self.region, self.key_id, self.grant_id);
        Ok(URL_SAFE_NO_PAD.encode(text.as_bytes()))
    }

    fn read(token: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split('\n');
        if parts.next()? != TOKEN_VERSION {
            return None;
        }
        let account = trent_domain::AccountId::parse(parts.next()?)?;
        let region = Region::parse(parts.next()?)?;
        let key_id = KeyId::parse(parts.next()?)?;
        let grant_id = parts.next()?.to_owned();
        Some(Self { region, key_id, account, grant_id })
    }
}

/// What CreateGrant asks for.
#[derive(Debug, Clone)]
pub struct GrantRequest<'a> {
    /// The key (ID or ARN).
    pub key_id: &'a str,
    /// Who receives the operations.
    pub grantee_principal: &'a str,
    /// Who may retire the grant besides the grantee.
    pub retiring_principal: Option<&'a str>,
    /// The operations given.
    pub operations: Vec<String>,
    /// The constraints, if any.
    pub constraints: Option<GrantConstraints>,
    /// The grant's name, if any.
    pub name: Option<&'a str>,
    /// Check only.
    pub dry_run: bool,
}

/// True for a symmetric encryption key: the only kind whose operations take an encryption context.
fn takes_context(key: &Key) -> bool {
    key.usage == KeyUsage::EncryptDecrypt && key.spec.secret_len().is_some()
}

/// Random bytes as lower-case hexadecimal (grant IDs, token nonces).
fn random_hex(len: usize) -> Result<String, ServiceError> {
    Ok(hex::lower_hex(&trent_crypto::random_bytes(len).map_err(|e| ServiceError::Internal(e.to_string()))?))
}

/// A principal a grant may name: an IAM ARN of a user, role, assumed role or an account's root user. Anything else is
/// AWS's `InvalidArnException` "ARN does not refer to a valid principal: …" (quoted from AWS answers by Lambda).
fn check_principal(principal: &str) -> Result<(), ServiceError> {
    let mut parts = principal.splitn(6, ':');
    let valid = parts.next() == Some("arn")
        && parts.next().is_some_and(|partition| partition.starts_with("aws"))
        && matches!(parts.next(), Some("iam" | "sts"))
        && parts.next() == Some("")
        && parts.next().is_some_and(|account| trent_domain::AccountId::parse(account).is_some())
        && parts.next().is_some_and(|resource| {
            resource == "root"
                || ["user/", "role/", "assumed-role/"]
                    .iter()
                    .any(|kind| resource.strip_prefix(kind).is_some_and(|name| !name.is_empty()))
        });
    if valid {
        Ok(())
    } else {
        Err(ServiceError::InvalidArn(format!("ARN does not refer to a valid principal: {principal}")))
    }
}

/// A grant ID that names no grant of the key: `NotFoundException`, as AWS answers RetireGrant and RevokeGrant for
/// one (moto#5411, observed against AWS; its message was not recorded).
fn grant_not_found(grant_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("Grant ID {grant_id} not found."))
}

impl Service {
    /// Authorizes `permission` on `key` for `ctx`'s caller: by the policies, or else by a live grant to the caller
    /// for the operation whose constraints the request meets (an explicit `Deny` in a policy still wins).
    pub(crate) async fn authorize_key_use(
        &self,
        ctx: &RequestContext,
        permission: Permission<'_>,
        loaded: &LoadedKey,
    ) -> Result<(), ServiceError> {
        let decide = |granted| authorize_loaded(ctx, permission, loaded, granted);
        match permission.action.strip_prefix("kms:").filter(|op| GRANT_OPERATIONS.contains(op)) {
            Some(operation) => {
                let gives = |grant: &Grant| grant.allows(operation, permission.encryption_context, &loaded.key);
                self.authorize_or_by_grant(ctx, &loaded.key, decide, gives).await
            }
            None => decide(false),
        }
    }

    /// Authorizes a use of `key` by the policies (`decide(false)`), or else by a live grant to the caller that
    /// `gives` it (`decide(true)`: a policy's explicit `Deny` still wins over the grant).
    async fn authorize_or_by_grant(
        &self,
        ctx: &RequestContext,
        key: &Key,
        decide: impl Fn(bool) -> Result<(), ServiceError>,
        gives: impl Fn(&Grant) -> bool,
    ) -> Result<(), ServiceError> {
        let refused = match decide(false) {
            Err(refused @ ServiceError::AccessDenied(_)) => refused,
            decided => return decided,
        };
        if self.caller_grants(ctx, key).await?.iter().any(gives) {
            decide(true)
        } else {
            Err(refused)
        }
    }

    /// The live grants of `key` to `ctx`'s caller.
    async fn caller_grants(&self, ctx: &RequestContext, key: &Key) -> Result<Vec<Grant>, ServiceError> {
        let stored = self.store.grantee_grants(&key.account, &key.region, key.id, &ctx.principal.arn()).await?;
        Ok(stored.into_iter().filter_map(Grant::read).collect())
    }

    /// CreateGrant: returns the grant's ID and a token for it.
    pub async fn create_grant(
        &self,
        ctx: &RequestContext,
        request: GrantRequest<'_>,
    ) -> Result<(String, String), ServiceError> {
        let key = self.load_for_write_reaching(ctx, request.key_id, Reach::CrossAccount).await?;
        check_principal(request.grantee_principal)?;
        if let Some(retiring) = request.retiring_principal {
            check_principal(retiring)?;
        }
        // The edge has checked each is one of GRANT_OPERATIONS.
        let operations: BTreeSet<&str> = request.operations.iter().map(String::as_str).collect();
        if operations.len() == 1 && operations.contains("CreateGrant") {
            // AWS's words (quoted in ansible/ansible#31960).
            return Err(ServiceError::Validation("Grants must not contain only the CreateGrant operation.".to_owned()));
        }
        let (constraint_type, constraint_pairs) =
            request.constraints.as_ref().map_or((None, None), GrantConstraints::kind_and_pairs);
        let facts = GrantFacts {
            operations: &request.operations,
            grantee_principal: request.grantee_principal,
            retiring_principal: request.retiring_principal,
            constraint_type,
        };
        let permission = Permission {
            encryption_context: constraint_pairs,
            grant: Some(facts),
            ..Permission::from("kms:CreateGrant")
        };
        // Authorized before anything about the key is told.
        self.authorize_new_grant(ctx, &key, permission, &operations, &request.constraints).await?;
        check_state(&key, Action::CreateGrant)?;
        let invalid: Vec<&str> = operations.iter().copied().filter(|op| !grantable(op, &key)).collect();
        if !invalid.is_empty() {
            return Err(ServiceError::Validation(format!(
                "Grant operations {} are not valid for a KMS key with KeyUsage {} and KeySpec {}.",
                invalid.join(", "),
                key.usage.as_str(),
                key.spec.as_str()
            )));
        }
        if let Some(constraints) = &request.constraints {
            constraints.check()?;
            // "You cannot use an encryption context grant constraint for cryptographic operations with asymmetric
            // KMS keys or HMAC KMS keys" (the developer guide): refused rather than silently not applied.
            if !takes_context(&key) {
                return Err(ServiceError::Validation(
                    "Grant constraints are not supported for asymmetric KMS keys or HMAC KMS keys.".to_owned(),
                ));
            }
        }
        if request.dry_run {
            return Err(ServiceError::DryRun);
        }
        let operations: Vec<String> = operations.into_iter().map(str::to_owned).collect();
        let constraints = match &request.constraints {
            Some(constraints) => {
                serde_json::to_string(constraints).map_err(|e| ServiceError::Internal(e.to_string()))?
            }
            None => String::new(),
        };
        let name = request.name.unwrap_or_default().to_owned();
        // The same request with the same name makes no second grant: AWS answers with the grant it made.
        let existing = match name.as_str() {
            "" => None,
            named => self
                .store
                .key_grants(&key.account, &key.region, key.id)
                .await?
                .into_iter()
                .filter_map(Grant::read)
                .find(|grant| {
                    grant.stored.name == named
                        && grant.stored.grantee_principal == request.grantee_principal
                        && grant.stored.retiring_principal.as_deref() == request.retiring_principal
                        && grant.operations == operations
                        && grant.constraints == request.constraints
                }),
        };
        let grant_id = match existing {
            Some(grant) => grant.stored.grant_id,
            None => {
                let grant_id = random_hex(32)?;
                let stored = StoredGrant {
                    account: key.account.clone(),
                    region: key.region.clone(),
                    key_id: key.id,
                    grant_id: grant_id.clone(),
                    name,
                    grantee_principal: request.grantee_principal.to_owned(),
                    retiring_principal: request.retiring_principal.map(str::to_owned),
                    issuing_account: trent_audit::root_arn(ctx.account().as_str()),
                    operations: serde_json::to_string(&operations)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?,
                    constraints,
                    created_at: self.clock.now(),
                };
                if !self.store.create_grant(&stored, MOST_GRANTS_PER_KEY).await? {
                    return Err(ServiceError::LimitExceeded(format!(
                        "The number of grants on {} exceeds the limit of {MOST_GRANTS_PER_KEY}.",
                        key.arn()
                    )));
                }
                tracing::info!(event = "CreateGrant", key_arn = %key.arn(), grantee = request.grantee_principal, grant_id, "grant created");
                grant_id
            }
        };
        let token = GrantToken { region: key.region.clone(), key_id: key.id, account: key.account.clone(), grant_id };
        Ok((token.grant_id.clone(), token.write()?))
    }

    /// Who may create a grant: whoever the policies allow `kms:CreateGrant`, or a grantee whose own grant gives
    /// `CreateGrant` with every operation asked for and constraints no looser than the new grant's.
    async fn authorize_new_grant(
        &self,
        ctx: &RequestContext,
        key: &Key,
        permission: Permission<'_>,
        operations: &BTreeSet<&str>,
        constraints: &Option<GrantConstraints>,
    ) -> Result<(), ServiceError> {
        let narrows = |parent: &Grant| {
            parent.has("CreateGrant")
                && operations.iter().all(|op| parent.has(op))
                && constraints.as_ref().unwrap_or(&GrantConstraints::default()).within(&parent.constraints)
        };
        let decide = |granted| authorize_granted(ctx, permission, key, granted);
        self.authorize_or_by_grant(ctx, key, decide, narrows).await
    }

    /// ListGrants: the key's grants, oldest first, filtered by grant ID or grantee.
    pub async fn list_grants(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        grant_id: Option<&str>,
        grantee_principal: Option<&str>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<(Vec<Grant>, Option<String>), ServiceError> {
        let key = self.load_for_write_reaching(ctx, key_id, Reach::CrossAccount).await?;
        authorize(ctx, "kms:ListGrants", &key)?;
        check_state(&key, Action::ManageGrants)?;
        let grants: Vec<Grant> = self
            .store
            .key_grants(&key.account, &key.region, key.id)
            .await?
            .into_iter()
            .filter(|grant| grant_id.is_none_or(|id| grant.grant_id == id))
            .filter(|grant| grantee_principal.is_none_or(|grantee| grant.grantee_principal == grantee))
            .filter_map(Grant::read)
            .collect();
        page(&grants, limit, marker)
    }

    /// ListRetirableGrants: the grants of the caller's account that name `retiring_principal`, oldest first.
    pub async fn list_retirable_grants(
        &self,
        ctx: &RequestContext,
        retiring_principal: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<(Vec<Grant>, Option<String>), ServiceError> {
        authorize_in_account(ctx, "kms:ListRetirableGrants", "*")?;
        let grants: Vec<Grant> = self
            .store
            .retirable_grants(retiring_principal)
            .await?
            .into_iter()
            .filter(|grant| &grant.account == ctx.account())
            .filter_map(Grant::read)
            .collect();
        page(&grants, limit, marker)
    }

    /// RetireGrant, by its token or by key and grant ID: allowed to the grant's retiring principal, to its grantee
    /// when the grant gives `RetireGrant`, and to the root user of the account that made it.
    pub async fn retire_grant(
        &self,
        ctx: &RequestContext,
        token: Option<&str>,
        key_id: Option<&str>,
        grant_id: Option<&str>,
        dry_run: bool,
    ) -> Result<(), ServiceError> {
        let (key, grant_id) = match (token, key_id, grant_id) {
            (Some(token), _, _) => {
                // A grant on another account's key may name this caller as its retiring principal or grantee.
                let token = GrantToken::read(token)
                    .ok_or_else(|| ServiceError::InvalidGrantToken("Invalid grant token.".to_owned()))?;
                // The token's key, found as its ARN would be (in the request's region, not past its deletion).
                let arn = Arn::key(&token.region, &token.account, token.key_id).to_string();
                (self.load_for_write_reaching(ctx, &arn, Reach::CrossAccount).await?, token.grant_id)
            }
            (None, Some(key_id), Some(grant_id)) => {
                (self.load_for_write_reaching(ctx, key_id, Reach::CrossAccount).await?, grant_id.to_owned())
            }
            _ => {
                return Err(ServiceError::Validation(
                    "Either GrantToken, or both KeyId and GrantId, must be specified.".to_owned(),
                ))
            }
        };
        check_state(&key, Action::ManageGrants)?;
        let grant = self
            .store
            .grant(&key.account, &key.region, key.id, &grant_id)
            .await?
            .and_then(Grant::read)
            .ok_or_else(|| grant_not_found(&grant_id))?;
        let caller = ctx.principal.arn();
        let may_retire = grant.stored.retiring_principal.as_deref() == Some(caller.as_str())
            || (grant.stored.grantee_principal == caller && grant.has("RetireGrant"))
            || (ctx.principal.is_root()
                && trent_audit::root_arn(ctx.account().as_str()) == grant.stored.issuing_account);
        if !may_retire {
            let ending = "because the grant names neither the caller as its retiring principal nor RetireGrant";
            return Err(access_denied(&ctx.principal, "kms:RetireGrant", &key.arn().to_string(), ending));
        }
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        self.delete_grant(&key, &grant_id, "RetireGrant").await
    }

    /// RevokeGrant: whoever the policies allow `kms:RevokeGrant` on the key.
    pub async fn revoke_grant(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        grant_id: &str,
        dry_run: bool,
    ) -> Result<(), ServiceError> {
        let key = self.load_for_write_reaching(ctx, key_id, Reach::CrossAccount).await?;
        authorize(ctx, "kms:RevokeGrant", &key)?;
        check_state(&key, Action::ManageGrants)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        self.delete_grant(&key, grant_id, "RevokeGrant").await
    }

    async fn delete_grant(&self, key: &Key, grant_id: &str, event: &str) -> Result<(), ServiceError> {
        if !self.store.delete_grant(&key.account, &key.region, key.id, grant_id).await? {
            return Err(grant_not_found(grant_id));
        }
        tracing::info!(event, key_arn = %key.arn(), grant_id, "grant ended");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn constraints_hold_for_a_superset_or_an_equal_context() {
        let subset = GrantConstraints { encryption_context_subset: Some(context(&[("a", "1")])), ..Default::default() };
        assert!(subset.hold_for(&context(&[("a", "1"), ("b", "2")])));
        assert!(!subset.hold_for(&context(&[("a", "2")])));
        assert!(!subset.hold_for(&context(&[])));
        let equals = GrantConstraints { encryption_context_equals: Some(context(&[("a", "1")])), ..Default::default() };
        assert!(equals.hold_for(&context(&[("a", "1")])));
        assert!(!equals.hold_for(&context(&[("a", "1"), ("b", "2")])));
    }

    #[test]
    fn a_token_names_its_grant_and_nothing_else_reads_as_one() {
        let token = GrantToken {
            region: Region::parse("eu-west-1").unwrap(),
            key_id: KeyId::generate(),
            account: trent_domain::AccountId::parse("111122223333").unwrap(),
            grant_id: "abc".to_owned(),
        };
        let written = token.write().unwrap();
        assert_eq!(GrantToken::read(&written), Some(token.clone()));
        assert_ne!(token.write().unwrap(), written, "each token has its own nonce");
        for bad in ["", "zz", "00", &URL_SAFE_NO_PAD.encode(b"other\n111122223333\neu-west-1\nx\ny\nz")] {
            assert_eq!(GrantToken::read(bad), None, "{bad}");
        }
    }

    #[test]
    fn grant_principals_are_iam_arns() {
        for good in [
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:role/r",
        ] {
            assert!(check_principal(good).is_ok(), "{good}");
        }
        for bad in ["alice", "arn:aws:iam::1:user/a", "arn:aws:s3:::bucket", "arn:aws:iam::111122223333:user/"] {
            assert!(check_principal(bad).is_err(), "{bad}");
        }
    }
}
