//! Who is calling, from where, in which region: what every operation receives besides its input.

use trent_audit::UserIdentity;
use trent_domain::{AccountId, Api, Region};

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

    /// True when the principal is its account's root user: today every principal is (an account's access keys are
    /// its root user's); users and roles come with identities.
    pub fn is_root(&self) -> bool {
        true
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
    /// The API called: its audit events name it (`eventSource`).
    pub api: Api,
}

impl RequestContext {
    /// The account the call acts in.
    pub fn account(&self) -> &AccountId {
        &self.principal.account
    }

    /// The `eventSource` of the API called, for its audit events.
    pub fn event_source(&self) -> &'static str {
        match self.api {
            Api::Aws => trent_audit::EVENT_SOURCE,
            Api::Alibaba => trent_audit::ALIBABA_EVENT_SOURCE,
        }
    }
}
