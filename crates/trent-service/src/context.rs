//! Who is calling, from where, in which region: what every operation receives besides its input.

use std::sync::Arc;

use trent_audit::call_record::Caller;
use trent_audit::UserIdentity;
use trent_domain::{AccountId, Api, Region, Timestamp};
use trent_policy::PolicyDocument;

/// An authenticated caller: an account's root user, or one of its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account the principal belongs to.
    pub account: AccountId,
    /// The access key that signed the request.
    pub access_key_id: String,
    /// The user whose key it is; `None` for the account's root user.
    pub user: Option<Arc<User>>,
}

/// A user of an account, as its requests are authorized.
#[derive(Debug, PartialEq, Eq)]
pub struct User {
    /// The user's name.
    pub name: String,
    /// The user's unique ID (`AIDA…`).
    pub user_id: String,
    /// The user's ARN (`arn:aws:iam::ACCOUNT:user/NAME`).
    pub arn: String,
    /// The user's identity policies.
    pub policies: Vec<PolicyDocument>,
}

impl Principal {
    /// The root user of `account`, signing with `access_key_id`.
    pub fn root(account: AccountId, access_key_id: &str) -> Self {
        Self { account, access_key_id: access_key_id.to_owned(), user: None }
    }

    /// The principal's ARN: the user's, or the account root's.
    pub fn arn(&self) -> String {
        match &self.user {
            Some(user) => user.arn.clone(),
            None => trent_audit::root_arn(self.account.as_str()),
        }
    }

    /// True when the principal is its account's root user.
    pub fn is_root(&self) -> bool {
        self.user.is_none()
    }

    /// The identity policies that apply to the principal (the root user has none: it may do everything its account
    /// may, unless a resource policy denies it).
    pub fn identity_policies(&self) -> &[PolicyDocument] {
        self.user.as_ref().map_or(&[], |user| &user.policies)
    }

    /// The principal as an audit identity.
    pub fn identity(&self) -> UserIdentity {
        match &self.user {
            Some(user) => UserIdentity::user(&self.account, &self.access_key_id, &user.name, &user.user_id),
            None => UserIdentity::root(&self.account, &self.access_key_id),
        }
    }

    /// The principal as the edge's audit record names it.
    pub fn caller(&self) -> Caller<'_> {
        match &self.user {
            Some(user) => Caller::User {
                account: self.account.as_str(),
                access_key_id: &self.access_key_id,
                name: &user.name,
                user_id: &user.user_id,
            },
            None => Caller::Root { account: self.account.as_str(), access_key_id: &self.access_key_id },
        }
    }
}

/// The context of one API call.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The authenticated caller.
    pub principal: Principal,
    /// The region of the request (from its SigV4 credential scope).
    pub region: Region,
    /// The request ID returned in `x-amzn-RequestId`.
    pub request_id: String,
    /// The caller's address.
    pub source_ip: Option<String>,
    /// The API called: its audit events name it (`eventSource`).
    pub api: Api,
    /// When the request arrived, by the service's clock (policies read it as `aws:CurrentTime`).
    pub received_at: Timestamp,
}

impl RequestContext {
    /// The account the call acts in.
    pub fn account(&self) -> &AccountId {
        &self.principal.account
    }

    /// This request as the service acting on its own in `key`'s account and region (cancel-on-use changes the key a
    /// caller of another account used): the account's root user, the same request otherwise.
    pub fn in_account_of(&self, key: &trent_domain::Key) -> RequestContext {
        RequestContext {
            principal: Principal::root(key.account.clone(), &self.principal.access_key_id),
            region: key.region.clone(),
            ..self.clone()
        }
    }

    /// The `eventSource` of the API called, for its audit events.
    pub fn event_source(&self) -> &'static str {
        match self.api {
            Api::Aws => trent_audit::EVENT_SOURCE,
            Api::Alibaba => trent_audit::ALIBABA_EVENT_SOURCE,
        }
    }
}
