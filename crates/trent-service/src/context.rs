//! Who is calling, from where, in which region: what every operation receives besides its input.

use trent_audit::UserIdentity;
use trent_domain::{AccountId, Region};

/// An authenticated caller: an account's administrator (the only kind of principal so far).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account the principal belongs to.
    pub account: AccountId,
    /// The access key that signed the request.
    pub access_key_id: String,
}

impl Principal {
    /// The principal's ARN: the account root.
    pub fn arn(&self) -> String {
        trent_audit::root_arn(self.account.as_str())
    }

    /// The principal as an audit identity.
    pub fn identity(&self) -> UserIdentity {
        UserIdentity::root(&self.account, &self.access_key_id)
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
}

impl RequestContext {
    /// The account the call acts in.
    pub fn account(&self) -> &AccountId {
        &self.principal.account
    }
}
