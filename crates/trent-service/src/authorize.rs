//! The authorization seam: every operation asks `authorize(ctx, action, key)` before it acts. The key's policy
//! decides, evaluated as AWS evaluates key policies (`trent-policy`): an explicit `Deny` stops everyone, the account's
//! root user included; otherwise the policy must allow the caller, by name or through its account. Another account's
//! key may be used (cryptography, DescribeKey, grants) when its policy allows the caller's account and the caller's
//! own identity allows it, and is not found for anything else; nobody may change the lifecycle of a service-managed
//! key (as AWS managed keys' policies allow no one to). A caller's identity policies are weighed where the key policy delegates to them; grants where the
//! service found one for the request (`crate::ops::grants`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use trent_crypto::EncryptionContext;
use trent_domain::{Key, KeyManager, Tag};
use trent_policy::{
    identity_decision, kms_decision, kms_refusal, Decision, KeyAccess, PolicyDocument, PolicyError, Refusal, Request,
    RequestContext as Conditions,
};

use crate::cache::LoadedKey;
use crate::context::{Principal, RequestContext};
use crate::error::ServiceError;

/// What nobody may do to a service-managed key.
const MANAGED_KEY_DENIED: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DisableKeyRotation",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
];

/// Trent's own actions (its `trent:` extensions), which key policies written for AWS never name, each with the AWS
/// action a policy that does not name it is read for: reading Trent's records of a key is describing it, and who may
/// use it is read from its policy; deletion protection belongs to whoever may change the key's policy; arming
/// cancel-on-use to whoever may cancel its deletion. A statement naming the `trent:` action itself decides as well; a
/// `Deny` of either wins.
const TRENT_ACTIONS: &[(&str, &str)] = &[
    ("trent:GetDeletionProtection", "kms:DescribeKey"),
    ("trent:GetKeyRetirement", "kms:DescribeKey"),
    ("trent:GetKeyUsage", "kms:DescribeKey"),
    ("trent:ListKeyAccess", "kms:GetKeyPolicy"),
    ("trent:SetCancelOnUse", "kms:CancelKeyDeletion"),
    ("trent:SetDeletionProtection", "kms:PutKeyPolicy"),
];

/// What a caller may do to another account's key, when that key's policy allows it (AWS's "Cross-account use: Yes"
/// operations): the cryptographic operations, DescribeKey, GetPublicKey, GetKeyRotationStatus and the grant
/// operations. Anything else on another account's key is answered as for a key that does not exist; scheduling its
/// deletion above all. (RetireGrant is decided by the grant, not by a policy.)
const CROSS_ACCOUNT_ACTIONS: &[&str] = &[
    "kms:CreateGrant",
    "kms:Decapsulate",
    "kms:Decrypt",
    "kms:DeriveSharedSecret",
    "kms:DescribeKey",
    "kms:Encapsulate",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateMac",
    "kms:GetKeyRotationStatus",
    "kms:GetPublicKey",
    "kms:ListGrants",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RevokeGrant",
    "kms:Sign",
    "kms:Verify",
    "kms:VerifyMac",
];

/// The most distinct policy texts whose parsed form is kept (most keys of an account share the default policy).
const MOST_CACHED_POLICIES: usize = 4096;

/// FNV-1a: the policy cache hashes a policy text on every call that uses a key, so a cheap hash (the texts are the
/// account's own; a collision only costs a comparison).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type PolicyCache = HashMap<String, Arc<PolicyDocument>, std::hash::BuildHasherDefault<Fnv>>;

/// A policy text's parsed form, parsed once: a key's policy is read on every call that uses the key.
pub(crate) fn parsed_policy(text: &str) -> Result<Arc<PolicyDocument>, PolicyError> {
    static PARSED: OnceLock<Mutex<PolicyCache>> = OnceLock::new();
    let cache = PARSED.get_or_init(Mutex::default);
    if let Some(parsed) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(text) {
        return Ok(Arc::clone(parsed));
    }
    let parsed = Arc::new(PolicyDocument::parse(text)?);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= MOST_CACHED_POLICIES {
        cache.clear();
    }
    cache.insert(text.to_owned(), Arc::clone(&parsed));
    Ok(parsed)
}

/// A permission a request asks for on a key: the action (`kms:Encrypt`) and what the request says that condition keys
/// read ("AWS KMS condition keys"). An action's name alone is a permission with nothing more to say.
#[derive(Debug, Clone, Copy)]
pub struct Permission<'a> {
    /// The action: `kms:` and the operation, or one of Trent's `trent:` actions.
    pub action: &'a str,
    /// ScheduleKeyDeletion's waiting period: `kms:ScheduleKeyDeletionPendingWindowInDays`.
    pub pending_window_days: Option<i64>,
    /// The request's encryption context (for CreateGrant, its constraint's): `kms:EncryptionContext:<key>` for each
    /// pair (the key in the condition key's name matched in any case, the value as written) and
    /// `kms:EncryptionContextKeys`, once per key.
    pub encryption_context: Option<&'a EncryptionContext>,
    /// The tags the request sets (CreateKey, TagResource, ReplicateKey): `aws:RequestTag/<key>` and `aws:TagKeys`.
    pub request_tags: Option<&'a [Tag]>,
    /// The tag keys the request removes (UntagResource): `aws:TagKeys`.
    pub removed_tag_keys: Option<&'a [String]>,
    /// The grant a CreateGrant asks for: `kms:GrantOperations`, `kms:GranteePrincipal`, `kms:RetiringPrincipal`,
    /// `kms:GrantConstraintType` and `kms:GrantIsForAWSResource` (always false: no AWS service calls Trent).
    pub grant: Option<GrantFacts<'a>>,
}

/// What a CreateGrant request says of the grant, for the grant condition keys.
#[derive(Debug, Clone, Copy)]
pub struct GrantFacts<'a> {
    /// The operations asked for.
    pub operations: &'a [String],
    /// The grantee.
    pub grantee_principal: &'a str,
    /// The retiring principal, if any.
    pub retiring_principal: Option<&'a str>,
    /// `EncryptionContextEquals` or `EncryptionContextSubset`, when the grant is constrained.
    pub constraint_type: Option<&'static str>,
}

impl<'a> From<&'a str> for Permission<'a> {
    fn from(action: &'a str) -> Self {
        Self {
            action,
            pending_window_days: None,
            encryption_context: None,
            request_tags: None,
            removed_tag_keys: None,
            grant: None,
        }
    }
}

impl<'a> Permission<'a> {
    /// `action`, for a request with this encryption context.
    pub fn with_encryption_context(action: &'a str, context: &'a EncryptionContext) -> Self {
        Self { encryption_context: Some(context), ..Self::from(action) }
    }

    /// `action`, for a request that sets these tags.
    pub fn with_tags(action: &'a str, tags: &'a [Tag]) -> Self {
        Self { request_tags: Some(tags), ..Self::from(action) }
    }
}

/// The condition keys of a request by `ctx`'s caller for `permission`, on `key` when it is about one ("AWS KMS
/// condition keys", "AWS global condition context keys").
fn conditions(ctx: &RequestContext, key: Option<&Key>, permission: Permission<'_>) -> Conditions {
    let principal = &ctx.principal;
    let mut context = Conditions::new()
        .with("kms:CallerAccount", principal.account.as_str())
        .with("aws:PrincipalArn", principal.arn())
        .with("aws:PrincipalAccount", principal.account.as_str())
        .with("aws:PrincipalType", if principal.is_root() { "Account" } else { "User" })
        .with("aws:CurrentTime", trent_audit::iso8601(ctx.received_at))
        .with("aws:EpochTime", (ctx.received_at.0 / 1000).to_string())
        // Trent answers on plain HTTP; a TLS proxy in front of it is outside what it can see.
        .with("aws:SecureTransport", "false");
    if let Some(ip) = &ctx.source_ip {
        context = context.with("aws:SourceIp", ip.as_str());
    }
    if let Some(key) = key {
        context = context
            .with("kms:KeySpec", key.spec.as_str())
            .with("kms:KeyUsage", key.usage.as_str())
            .with("kms:KeyOrigin", key.origin.as_str())
            .with("kms:KeyManager", key.manager.as_str())
            .with("kms:MultiRegion", if key.multi_region.is_some() { "true" } else { "false" })
            .with("aws:ResourceAccount", key.account.as_str());
        for tag in &key.tags {
            context = context.with(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
        }
    }
    for tag in permission.request_tags.into_iter().flatten() {
        context = context.with(&format!("aws:RequestTag/{}", tag.key), tag.value.as_str());
        context = context.with("aws:TagKeys", tag.key.as_str());
    }
    for tag_key in permission.removed_tag_keys.into_iter().flatten() {
        context = context.with("aws:TagKeys", tag_key.as_str());
    }
    if let Some(days) = permission.pending_window_days {
        context = context.with("kms:ScheduleKeyDeletionPendingWindowInDays", days.to_string());
    }
    for (name, value) in permission.encryption_context.into_iter().flatten() {
        context = context.with(&format!("kms:EncryptionContext:{name}"), value.as_str());
        context = context.with("kms:EncryptionContextKeys", name.as_str());
    }
    if let Some(grant) = permission.grant {
        for operation in grant.operations {
            context = context.with("kms:GrantOperations", operation.as_str());
        }
        context = context.with("kms:GranteePrincipal", grant.grantee_principal);
        if let Some(retiring) = grant.retiring_principal {
            context = context.with("kms:RetiringPrincipal", retiring);
        }
        if let Some(constraint) = grant.constraint_type {
            context = context.with("kms:GrantConstraintType", constraint);
        }
        context = context.with("kms:GrantIsForAWSResource", "false");
    }
    context
}

/// Decides whether `ctx`'s caller may perform `action` (a permission name such as `kms:Encrypt`) on `key`.
/// Another account's key is reported as not found for anything but the cross-account operations.
pub fn authorize(ctx: &RequestContext, action: &str, key: &Key) -> Result<(), ServiceError> {
    authorize_with(ctx, Permission::from(action), key)
}

/// As [`authorize`], for a permission whose request says more (its waiting period, its encryption context).
pub fn authorize_with(ctx: &RequestContext, permission: Permission<'_>, key: &Key) -> Result<(), ServiceError> {
    authorize_granted(ctx, permission, key, false)
}

/// As [`authorize_with`], knowing whether a live grant gives the caller this permission (with its constraints met):
/// a grant allows what no policy allows, but never what a policy explicitly denies.
pub fn authorize_granted(
    ctx: &RequestContext,
    permission: Permission<'_>,
    key: &Key,
    granted: bool,
) -> Result<(), ServiceError> {
    decide(ctx, permission, key, parsed_policy(&key.policy).ok().as_deref(), granted)
}

/// As [`authorize_granted`], for a key loaded with its policy parsed (the policy is not looked up again).
pub(crate) fn authorize_loaded(
    ctx: &RequestContext,
    permission: Permission<'_>,
    loaded: &LoadedKey,
    granted: bool,
) -> Result<(), ServiceError> {
    decide(ctx, permission, &loaded.key, loaded.policy.as_deref(), granted)
}

/// The decision on `permission` for `ctx`'s caller on `key`, whose policy is `key_policy` (`None` when its text does
/// not read as a policy), knowing whether a live grant gives it.
fn decide(
    ctx: &RequestContext,
    permission: Permission<'_>,
    key: &Key,
    key_policy: Option<&PolicyDocument>,
    granted: bool,
) -> Result<(), ServiceError> {
    let (principal, action) = (&ctx.principal, permission.action);
    let own_key = principal.account == key.account;
    if !own_key && !CROSS_ACCOUNT_ACTIONS.contains(&action) {
        tracing::debug!(action, key = %key.arn(), "cross-account access refused");
        return Err(ServiceError::NotFound(format!("Key '{}' does not exist", key.arn())));
    }
    if key.manager == KeyManager::Aws && MANAGED_KEY_DENIED.contains(&action) {
        return Err(refused(principal, action, &key.arn().to_string(), Refusal::NotAllowedByResourcePolicy));
    }
    // A stored policy that does not read as one (accepted before policies were enforced) allows nothing, except that
    // the account's root user may still read and replace it, so that the key is not lost.
    let Some(key_policy) = key_policy else {
        const REPAIR: [&str; 4] = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListKeyPolicies", "kms:PutKeyPolicy"];
        if own_key && principal.is_root() && REPAIR.contains(&action) {
            return Ok(());
        }
        return Err(refused(principal, action, &key.arn().to_string(), Refusal::NotAllowedByResourcePolicy));
    };
    // AWS's default policy, and most others, let the account's root user do everything: the answer is known.
    if principal.is_root()
        && action.starts_with("kms:")
        && key_policy.allows_root_everything(principal.account.as_str())
    {
        return Ok(());
    }
    // Most key policies (AWS's default among them) have no condition: the context is built only for those that do.
    let needs_context = key_policy.has_conditions() || principal.identity_policies().iter().any(|p| p.has_conditions());
    let context = if needs_context { conditions(ctx, Some(key), permission) } else { Conditions::new() };
    let resource = key.arn().to_string();
    let caller = principal.arn();
    let access = KeyAccess {
        key_policy,
        key_account: key.account.as_str(),
        identity_policies: principal.identity_policies(),
        granted,
    };
    let request = |action| Request {
        principal: &caller,
        account: principal.account.as_str(),
        action,
        resource: &resource,
        context: &context,
    };
    let counterpart = TRENT_ACTIONS.iter().find(|(trent, _)| *trent == action).map(|(_, aws)| *aws);
    let decision = kms_decision(&access, &request(action));
    let counterpart_decision = counterpart.map(|aws| kms_decision(&access, &request(aws)));
    match (decision, counterpart_decision) {
        (Decision::Deny, _) => Err(refused(principal, action, &resource, kms_refusal(&access, &request(action)))),
        (_, Some(Decision::Deny)) => {
            let aws = counterpart.unwrap_or(action);
            Err(refused(principal, action, &resource, kms_refusal(&access, &request(aws))))
        }
        (Decision::Allow, _) | (_, Some(Decision::Allow)) => Ok(()),
        _ => Err(refused(principal, action, &resource, kms_refusal(&access, &request(action)))),
    }
}

/// AWS's `AccessDeniedException` message for `principal` refused `action` on `resource` (`*` for an action on no
/// resource), ending with why.
fn refused(principal: &Principal, action: &str, resource: &str, why: Refusal) -> ServiceError {
    let ending = match why {
        Refusal::DeniedByResourcePolicy => "with an explicit deny in a resource-based policy".to_owned(),
        Refusal::DeniedByIdentityPolicy => "with an explicit deny in an identity-based policy".to_owned(),
        Refusal::NotAllowedByIdentityPolicy => format!("because no identity-based policy allows the {action} action"),
        Refusal::NotAllowedByResourcePolicy => format!("because no resource-based policy allows the {action} action"),
    };
    access_denied(principal, action, resource, &ending)
}

/// AWS's `AccessDeniedException` message: "User: <caller> is not authorized to perform: <action> on resource:
/// <resource> <ending>".
pub(crate) fn access_denied(principal: &Principal, action: &str, resource: &str, ending: &str) -> ServiceError {
    ServiceError::AccessDenied(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {ending}",
        principal.arn()
    ))
}

/// Decides an action that no key policy governs, on `resource` (`*` for actions on no resource, such as
/// `kms:ListKeys`; a user's ARN for `iam:` actions): the caller's own identity permissions, which for an account's
/// root user are everything in its account.
pub fn authorize_in_account(ctx: &RequestContext, action: &str, resource: &str) -> Result<(), ServiceError> {
    authorize_in_account_with(ctx, Permission::from(action), resource)
}

/// As [`authorize_in_account`], for a permission whose request says more (the tags a new key gets).
pub fn authorize_in_account_with(
    ctx: &RequestContext,
    permission: Permission<'_>,
    resource: &str,
) -> Result<(), ServiceError> {
    let (principal, action) = (&ctx.principal, permission.action);
    if principal.is_root() {
        return Ok(());
    }
    let caller = principal.arn();
    let context = conditions(ctx, None, permission);
    let request =
        Request { principal: &caller, account: principal.account.as_str(), action, resource, context: &context };
    match identity_decision(principal.identity_policies(), &request) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(refused(principal, action, resource, Refusal::DeniedByIdentityPolicy)),
        Decision::NotApplicable => Err(refused(principal, action, resource, Refusal::NotAllowedByIdentityPolicy)),
    }
}

/// Decides the making of `key` (CreateKey, and ReplicateKey in the replica's region), which no key policy governs:
/// `kms:CreateKey`, and `kms:TagResource` for the new key's tags ("permission in an IAM policy", the API reference),
/// by the caller's own identity permissions, with the tags as `aws:RequestTag/…`.
pub fn authorize_new_key(ctx: &RequestContext, key: &Key) -> Result<(), ServiceError> {
    if ctx.principal.account != key.account {
        tracing::debug!(key = %key.arn(), "cross-account key creation refused");
        return Err(ServiceError::NotFound(format!("Key '{}' does not exist", key.arn())));
    }
    authorize_in_account_with(ctx, Permission::with_tags("kms:CreateKey", &key.tags), "*")?;
    if key.tags.is_empty() {
        return Ok(());
    }
    authorize_in_account_with(ctx, Permission::with_tags("kms:TagResource", &key.tags), "*")
}

/// AWS's lockout safety check ("The new key policy will not allow you to update the key policy in the future."):
/// a key policy that would not let its author (`principal`) call `PutKeyPolicy` on `key` afterwards is refused,
/// unless the caller bypasses the check (`BypassPolicyLockoutSafetyCheck`).
pub fn check_lockout(ctx: &RequestContext, key: &Key, bypass: bool) -> Result<(), ServiceError> {
    if bypass {
        return Ok(());
    }
    match authorize(ctx, "kms:PutKeyPolicy", key) {
        Err(ServiceError::AccessDenied(_)) => Err(ServiceError::MalformedPolicy(
            "The new key policy will not allow you to update the key policy in the future.".to_owned(),
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use trent_domain::{AccountId, KeySpec, KeyState, KeyUsage};

    use super::*;
    use crate::ops::default_policy;

    /// A request by the root user of account 111122223333, from 10.0.0.1.
    fn root() -> RequestContext {
        RequestContext {
            principal: Principal::root(AccountId::parse("111122223333").unwrap(), "test"),
            region: trent_domain::Region::parse("us-east-1").unwrap(),
            request_id: "test".to_owned(),
            source_ip: Some("10.0.0.1".to_owned()),
            api: trent_domain::Api::Aws,
            received_at: trent_domain::Timestamp(1_700_000_000_000),
        }
    }

    fn key_with(policy: &str) -> Key {
        let mut key = Key::sample(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, KeyState::Enabled);
        key.policy = policy.to_owned();
        key
    }

    #[test]
    fn the_default_policy_lets_the_root_user_do_everything() {
        let key = key_with(&default_policy(&root().principal.account));
        for action in ["kms:Encrypt", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"] {
            assert!(authorize(&root(), action, &key).is_ok(), "{action}");
        }
    }

    #[test]
    fn an_explicit_deny_stops_the_root_user_with_aws_s_message() {
        let key = key_with(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*",
            "Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*",
            "Condition":{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":30}}}]}"#,
        );
        let window =
            |days| Permission { pending_window_days: Some(days), ..Permission::from("kms:ScheduleKeyDeletion") };
        let refused = authorize_with(&root(), window(7), &key).unwrap_err();
        let ServiceError::AccessDenied(message) = refused else { panic!("{refused:?}") };
        assert_eq!(
            message,
            format!(
                "User: arn:aws:iam::111122223333:root is not authorized to perform: kms:ScheduleKeyDeletion on resource: {} with an explicit deny in a resource-based policy",
                key.arn()
            )
        );
        assert!(authorize_with(&root(), window(30), &key).is_ok());
        assert!(authorize(&root(), "kms:Encrypt", &key).is_ok());
    }

    #[test]
    fn an_encryption_context_condition_reads_each_pair_and_the_keys() {
        let key = key_with(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*",
            "Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:Purpose":"backup"},
            "ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Purpose"]}}}]}"#,
        );
        let context = |pairs: &[(&str, &str)]| -> EncryptionContext {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let decide = |pairs: &[(&str, &str)]| {
            let context = context(pairs);
            authorize_with(&root(), Permission::with_encryption_context("kms:Encrypt", &context), &key).is_ok()
        };
        assert!(decide(&[("Purpose", "backup")]));
        assert!(!decide(&[("purpose", "backup")]), "kms:EncryptionContextKeys compares keys as written");
        assert!(!decide(&[("Purpose", "Backup")]), "the value is compared as written");
        assert!(!decide(&[("Purpose", "backup"), ("Other", "x")]), "every key must be listed");
        assert!(!decide(&[]));
        let pair_only = key_with(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*",
            "Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:Purpose":"backup"}}}]}"#,
        );
        let lower = context(&[("purpose", "backup")]);
        let permission = Permission::with_encryption_context("kms:Encrypt", &lower);
        assert!(
            authorize_with(&root(), permission, &pair_only).is_ok(),
            "the key in the condition key's name: any case"
        );
    }

    #[test]
    fn the_global_condition_keys_read_the_request_s_address_time_and_tags() {
        let key = key_with(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*",
            "Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
            "DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},"StringEquals":{"aws:RequestTag/team":"orders"},
            "ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}]}"#,
        );
        let orders = [Tag { key: "team".to_owned(), value: "orders".to_owned() }];
        let billing = [Tag { key: "team".to_owned(), value: "billing".to_owned() }];
        assert!(authorize_with(&root(), Permission::with_tags("kms:TagResource", &orders), &key).is_ok());
        assert!(authorize_with(&root(), Permission::with_tags("kms:TagResource", &billing), &key).is_err());
        let elsewhere = RequestContext { source_ip: Some("192.0.2.1".to_owned()), ..root() };
        assert!(authorize_with(&elsewhere, Permission::with_tags("kms:TagResource", &orders), &key).is_err());
        let later = RequestContext { received_at: trent_domain::Timestamp(1_800_000_000_000), ..root() };
        assert!(authorize_with(&later, Permission::with_tags("kms:TagResource", &orders), &key).is_err());
    }

    #[test]
    fn a_stored_policy_that_no_longer_reads_lets_the_root_user_only_replace_it() {
        let key = key_with(r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"}}}"#);
        assert!(authorize(&root(), "kms:PutKeyPolicy", &key).is_ok());
        assert!(authorize(&root(), "kms:GetKeyPolicy", &key).is_ok());
        assert!(matches!(authorize(&root(), "kms:Decrypt", &key), Err(ServiceError::AccessDenied(_))));
    }

    #[test]
    fn a_policy_that_forgets_the_root_user_is_refused_by_the_lockout_check_unless_bypassed() {
        let key = key_with(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}"#,
        );
        assert!(matches!(check_lockout(&root(), &key, false), Err(ServiceError::MalformedPolicy(_))));
        assert!(check_lockout(&root(), &key, true).is_ok());
        assert!(matches!(authorize(&root(), "kms:Encrypt", &key), Err(ServiceError::AccessDenied(_))));
        assert!(authorize(&root(), "kms:Decrypt", &key).is_ok());
    }
}
