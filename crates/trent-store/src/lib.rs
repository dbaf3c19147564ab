//! Where Trent keeps keys, aliases, audit events and credentials: the [`KeyStore`], its logic written once over
//! two database drivers (SQLite and PostgreSQL, each implementing only the narrow interface of `driver`), and, for
//! tests, the conformance suite it must pass on both.
#![warn(missing_docs)]

use trent_audit::AuditEvent;
use trent_domain::{AccountId, AliasName, Key, KeyId, Region, Timestamp};

#[cfg(any(test, feature = "test-support"))]
pub mod conformance;
pub mod copy;
mod driver;
pub mod feed;
mod group_commit;
mod postgres;
mod sql;
mod sqlite;
mod store;
mod value;

pub use copy::{RestoreRefusal, StoreCopy, TableCopy};
pub use feed::{ChangeFeed, Mark};
pub use store::KeyStore;
pub use value::Value;

/// What can go wrong in a store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A conditional write found the record changed (or gone) since it was read.
    #[error("the record changed since it was read")]
    Conflict,
    /// An alias with that name exists already.
    #[error("the alias exists already")]
    AliasExists,
    /// A key with that ID exists already in that account and region (a multi-Region key's replica).
    #[error("the key exists already")]
    KeyExists,
    /// The database holds a schema newer than this binary understands.
    #[error("the database schema is version {found}, newer than this binary's {supported}")]
    SchemaTooNew {
        /// The schema version found.
        found: i64,
        /// The newest version this binary knows.
        supported: i64,
    },
    /// A stored value could not be read back (corruption or a bug).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// The database could not be reached, or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

/// Builds the audit event recorded with a key's destruction.
pub type EventFor = dyn for<'k> Fn(&'k Key) -> AuditEvent + Send + Sync;

/// An alias: a name in an account and region pointing at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The owning account.
    pub account: AccountId,
    /// The region.
    pub region: Region,
    /// The alias name, with its `alias/` prefix.
    pub name: AliasName,
    /// The key it points at.
    pub key_id: KeyId,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last pointed at a key.
    pub updated_at: Timestamp,
}

/// A stored access key: its secret is sealed under the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The access key ID.
    pub access_key_id: String,
    /// The account it signs in.
    pub account: AccountId,
    /// The secret, sealed under the root key.
    pub sealed_secret: Vec<u8>,
    /// When it was created.
    pub created_at: Timestamp,
    /// The user it signs for; `None` for the account's root user.
    pub user_name: Option<String>,
}

/// A user of an account (an IAM user): it signs with its own access keys and may do what its identity policies and
/// the key policies allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// The account.
    pub account: AccountId,
    /// The user's name, unique in its account whatever its case.
    pub name: String,
    /// The user's unique ID (`AIDA…`), its `principalId` in audit records.
    pub user_id: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An identity policy written into one user (an IAM inline user policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUserPolicy {
    /// The account.
    pub account: AccountId,
    /// The user it belongs to.
    pub user_name: String,
    /// Its name, unique per user.
    pub policy_name: String,
    /// The policy document (JSON), as written.
    pub document: String,
}

/// Every identity the store holds, read in one snapshot: what authenticates and authorizes callers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredIdentities {
    /// Every access key.
    pub credentials: Vec<StoredCredential>,
    /// Every user.
    pub users: Vec<StoredUser>,
    /// Every user policy.
    pub policies: Vec<StoredUserPolicy>,
}

/// A grant, as stored: it gives its grantee principal some operations on one key until it is retired or revoked, or
/// the key is destroyed. Its operations and constraints are kept as the JSON the service reads them from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGrant {
    /// The key's account.
    pub account: AccountId,
    /// The key's region.
    pub region: Region,
    /// The key.
    pub key_id: KeyId,
    /// The grant's ID.
    pub grant_id: String,
    /// Its name; empty when none was given.
    pub name: String,
    /// Who it gives the operations to (an ARN).
    pub grantee_principal: String,
    /// Who may retire it besides the grantee, if anyone.
    pub retiring_principal: Option<String>,
    /// The account (root user's ARN) that created it.
    pub issuing_account: String,
    /// The operations, a JSON array of names.
    pub operations: String,
    /// The constraints, a JSON object; empty when none.
    pub constraints: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// Why an identity change was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityRefusal {
    /// The user it names does not exist.
    NoSuchUser,
    /// A user of that name (in any case) exists.
    UserExists,
    /// The user has as many access keys as it may.
    TooManyAccessKeys,
    /// The user's policies together would be longer than they may.
    PoliciesTooLarge,
}
