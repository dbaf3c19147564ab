//! An account's users, their access keys and identity policies (Trent's extensions `Trent.CreateUser`,
//! `ListUsers`, `DeleteUser`, `CreateAccessKey`, `ListAccessKeys`, `DeleteAccessKey`, `PutUserPolicy`,
//! `GetUserPolicy`, `ListUserPolicies`, `DeleteUserPolicy`), with IAM's names, limits and messages. The account's
//! root user may do all of it; a user needs an identity policy allowing the `iam:` action on the user's ARN. Every
//! change reaches every node before it is acknowledged: a deleted access key or user is refused at once.

use trent_domain::AccountId;
use trent_policy::PolicyDocument;
use trent_store::{IdentityRefusal, StoredCredential, StoredIdentities, StoredUser, StoredUserPolicy};
use zeroize::Zeroizing;

use crate::authorize::authorize_in_account;
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::identities::{new_access_key, random_text, ID_ALPHABET};
use crate::Service;

/// How many access keys a user may have at once (IAM's quota "Access keys assigned to an IAM user").
pub const MOST_ACCESS_KEYS_PER_USER: i64 = 2;
/// The most characters, whitespace aside, of all of one user's inline policies together (IAM's quota).
pub const MOST_USER_POLICY_CHARACTERS: usize = 2048;

/// A name IAM accepts for a user (1 to 64) or a policy (1 to 128): letters, digits and `+=,.@_-`.
fn check_name(what: &str, name: &str, longest: usize) -> Result<(), ServiceError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty() || name.chars().count() > longest || !name.chars().all(allowed) {
        return Err(ServiceError::Validation(format!(
            "The specified value for {what} is invalid. It must contain 1 to {longest} characters from letters, \
             digits and +=,.@_-"
        )));
    }
    Ok(())
}

fn check_user_name(name: &str) -> Result<(), ServiceError> {
    check_name("userName", name, 64)
}

fn check_policy_name(name: &str) -> Result<(), ServiceError> {
    check_name("policyName", name, 128)
}

fn no_such_user(name: &str) -> ServiceError {
    ServiceError::NotFound(format!("The user with name {name} cannot be found."))
}

/// An identity policy as IAM accepts one: a policy document whose statements name no principal (the policy's user
/// is its principal) and each name the resources they cover.
fn check_identity_policy(document: &str) -> Result<(), ServiceError> {
    let parsed = PolicyDocument::parse(document).map_err(|error| ServiceError::MalformedPolicy(error.to_string()))?;
    if parsed.statements.is_empty() {
        return Err(ServiceError::MalformedPolicy("Syntax errors in policy.".to_owned()));
    }
    if parsed.statements.iter().any(|statement| statement.principal.is_some()) {
        return Err(ServiceError::MalformedPolicy("Policy document should not specify a principal.".to_owned()));
    }
    if parsed.statements.iter().any(|statement| statement.resource.is_none()) {
        return Err(ServiceError::MalformedPolicy("Policy statement must contain resources.".to_owned()));
    }
    Ok(())
}

impl Service {
    /// Every stored identity, read once, for a call about the user named `name` of `account`: `NotFound` if there is
    /// no such user.
    async fn identities_with_user(&self, account: &AccountId, name: &str) -> Result<StoredIdentities, ServiceError> {
        let identities = self.store.identities().await?;
        if identities.users.iter().any(|user| &user.account == account && user.name == name) {
            Ok(identities)
        } else {
            Err(no_such_user(name))
        }
    }

    /// Refuses a caller that may not perform `action` on the user named `user_name`.
    fn authorize_user_action(ctx: &RequestContext, action: &str, user_name: &str) -> Result<(), ServiceError> {
        authorize_in_account(ctx, action, &trent_audit::user_arn(ctx.account().as_str(), user_name))
    }

    /// CreateUser: a user of the caller's account, with no access key and no policy.
    pub async fn create_user(&self, ctx: &RequestContext, name: &str) -> Result<StoredUser, ServiceError> {
        check_user_name(name)?;
        Self::authorize_user_action(ctx, "iam:CreateUser", name)?;
        let user_id = format!("AIDA{}", random_text(17, ID_ALPHABET)?);
        let user =
            StoredUser { account: ctx.account().clone(), name: name.to_owned(), user_id, created_at: self.clock.now() };
        let _change = self.identities.change();
        match self.store.create_user(&user).await? {
            Ok(()) => {}
            Err(_) => return Err(ServiceError::AlreadyExists(format!("User with name {name} already exists."))),
        }
        tracing::info!(event = "CreateUser", account = %user.account, user = name, "user created");
        Ok(user)
    }

    /// ListUsers: the caller's account's users, by name.
    pub async fn list_users(&self, ctx: &RequestContext) -> Result<Vec<StoredUser>, ServiceError> {
        authorize_in_account(ctx, "iam:ListUsers", "*")?;
        let identities = self.store.identities().await?;
        Ok(identities.users.into_iter().filter(|user| &user.account == ctx.account()).collect())
    }

    /// DeleteUser: the user, its access keys, its policies and the grants to it, all at once (IAM asks for keys and
    /// policies to be deleted first; Trent takes them with the user, so nothing outlives its user or passes to a user
    /// made again under the same name).
    pub async fn delete_user(&self, ctx: &RequestContext, name: &str) -> Result<(), ServiceError> {
        check_user_name(name)?;
        Self::authorize_user_action(ctx, "iam:DeleteUser", name)?;
        let _change = self.identities.change();
        let arn = trent_audit::user_arn(ctx.account().as_str(), name);
        self.store.delete_user(ctx.account(), name, &arn).await?.map_err(|_| no_such_user(name))?;
        tracing::info!(event = "DeleteUser", account = %ctx.account(), user = name, "user deleted with its access keys");
        Ok(())
    }

    /// CreateAccessKey: a new access key of the user; its secret is returned here only, and stored sealed under the
    /// root key (SigV4 needs the secret itself to check a signature).
    pub async fn create_access_key(
        &self,
        ctx: &RequestContext,
        user_name: &str,
    ) -> Result<(StoredCredential, Zeroizing<String>), ServiceError> {
        check_user_name(user_name)?;
        Self::authorize_user_action(ctx, "iam:CreateAccessKey", user_name)?;
        let (access_key_id, secret) = new_access_key()?;
        let sealed_secret = self.root_key.seal_secret(&access_key_id, secret.as_bytes())?;
        let credential = StoredCredential {
            access_key_id,
            account: ctx.account().clone(),
            sealed_secret,
            created_at: self.clock.now(),
            user_name: Some(user_name.to_owned()),
        };
        let _change = self.identities.change();
        match self.store.add_user_credential(&credential, MOST_ACCESS_KEYS_PER_USER).await? {
            Ok(()) => {}
            Err(IdentityRefusal::TooManyAccessKeys) => {
                return Err(ServiceError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {MOST_ACCESS_KEYS_PER_USER}"
                )))
            }
            Err(_) => return Err(no_such_user(user_name)),
        }
        tracing::info!(event = "CreateAccessKey", user = user_name, access_key_id = %credential.access_key_id, "access key created");
        Ok((credential, secret))
    }

    /// ListAccessKeys: the user's access keys (their IDs; never a secret).
    pub async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        user_name: &str,
    ) -> Result<Vec<StoredCredential>, ServiceError> {
        check_user_name(user_name)?;
        Self::authorize_user_action(ctx, "iam:ListAccessKeys", user_name)?;
        let identities = self.identities_with_user(ctx.account(), user_name).await?;
        Ok(identities
            .credentials
            .into_iter()
            .filter(|key| &key.account == ctx.account() && key.user_name.as_deref() == Some(user_name))
            .collect())
    }

    /// DeleteAccessKey: the key stops signing at once, on every node.
    pub async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<(), ServiceError> {
        check_user_name(user_name)?;
        Self::authorize_user_action(ctx, "iam:DeleteAccessKey", user_name)?;
        let _change = self.identities.change();
        if !self.store.delete_user_credential(ctx.account(), user_name, access_key_id).await? {
            return Err(ServiceError::NotFound(format!("The Access Key with id {access_key_id} cannot be found.")));
        }
        tracing::info!(event = "DeleteAccessKey", user = user_name, access_key_id, "access key deleted");
        Ok(())
    }

    /// PutUserPolicy: writes (or replaces) one of the user's identity policies.
    pub async fn put_user_policy(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), ServiceError> {
        check_user_name(user_name)?;
        check_policy_name(policy_name)?;
        Self::authorize_user_action(ctx, "iam:PutUserPolicy", user_name)?;
        check_identity_policy(document)?;
        let policy = StoredUserPolicy {
            account: ctx.account().clone(),
            user_name: user_name.to_owned(),
            policy_name: policy_name.to_owned(),
            document: document.to_owned(),
        };
        let _change = self.identities.change();
        match self.store.put_user_policy(&policy, MOST_USER_POLICY_CHARACTERS).await? {
            Ok(()) => {}
            Err(IdentityRefusal::PoliciesTooLarge) => {
                return Err(ServiceError::LimitExceeded(format!(
                    "Maximum policy size of {MOST_USER_POLICY_CHARACTERS} bytes exceeded for user {user_name}"
                )))
            }
            Err(_) => return Err(no_such_user(user_name)),
        }
        tracing::info!(event = "PutUserPolicy", user = user_name, policy = policy_name, "user policy written");
        Ok(())
    }

    /// GetUserPolicy: the document of one of the user's policies.
    pub async fn get_user_policy(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        policy_name: &str,
    ) -> Result<String, ServiceError> {
        check_user_name(user_name)?;
        check_policy_name(policy_name)?;
        Self::authorize_user_action(ctx, "iam:GetUserPolicy", user_name)?;
        self.user_policies(ctx, user_name)
            .await?
            .into_iter()
            .find(|p| p.policy_name == policy_name)
            .map(|p| p.document)
            .ok_or_else(|| ServiceError::NotFound(format!("The user policy with name {policy_name} cannot be found.")))
    }

    /// ListUserPolicies: the names of the user's policies.
    pub async fn list_user_policies(&self, ctx: &RequestContext, user_name: &str) -> Result<Vec<String>, ServiceError> {
        check_user_name(user_name)?;
        Self::authorize_user_action(ctx, "iam:ListUserPolicies", user_name)?;
        Ok(self.user_policies(ctx, user_name).await?.into_iter().map(|p| p.policy_name).collect())
    }

    /// DeleteUserPolicy: the policy no longer applies, at once, on every node.
    pub async fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        policy_name: &str,
    ) -> Result<(), ServiceError> {
        check_user_name(user_name)?;
        check_policy_name(policy_name)?;
        Self::authorize_user_action(ctx, "iam:DeleteUserPolicy", user_name)?;
        self.identities_with_user(ctx.account(), user_name).await?;
        let _change = self.identities.change();
        if !self.store.delete_user_policy(ctx.account(), user_name, policy_name).await? {
            return Err(ServiceError::NotFound(format!("The user policy with name {policy_name} cannot be found.")));
        }
        tracing::info!(event = "DeleteUserPolicy", user = user_name, policy = policy_name, "user policy deleted");
        Ok(())
    }

    /// The user's policies; `NotFound` if there is no such user.
    async fn user_policies(
        &self,
        ctx: &RequestContext,
        user_name: &str,
    ) -> Result<Vec<StoredUserPolicy>, ServiceError> {
        let identities = self.identities_with_user(ctx.account(), user_name).await?;
        Ok(identities
            .policies
            .into_iter()
            .filter(|p| &p.account == ctx.account() && p.user_name == user_name)
            .collect())
    }
}
