//! Who may sign requests: every access key the service accepts (the dev key, keys given in the configuration, and
//! the keys stored sealed in the database, account roots' and users'), each with the principal it signs for and
//! that user's identity policies.
//!
//! The stored ones are read as one [`Directory`] and kept while nothing changed them: this node's identity changes
//! and, through the change feed, every other node's drop it (a writer on a shared store answers only once every node
//! has heard), so a deleted user or access key is refused at once everywhere. While the feed cannot be trusted the
//! directory is read for every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use trent_crypto::{random_bytes, RootKey};
use trent_domain::AccountId;
use trent_policy::PolicyDocument;
use trent_store::feed::FeedEvent;
use trent_store::{ChangeFeed, KeyStore, StoredIdentities};
use zeroize::Zeroizing;

use crate::context::{Principal, User};
use crate::error::ServiceError;

/// What a user's policies read as when one of them no longer parses (they are checked when written): an explicit
/// `Deny` of everything, so that a policy that cannot be read never loosens a decision.
const DENY_EVERYTHING: &str = r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#;

/// One accepted access key.
pub struct Credential {
    /// The secret access key.
    pub secret: Zeroizing<String>,
    /// Who signs with it.
    pub principal: Principal,
}

/// An access key given to the server rather than stored: `--credential` keys and dev mode's, each its account's
/// root user's.
#[derive(Clone)]
pub struct FixedCredential {
    /// The access key ID.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: Zeroizing<String>,
    /// The account it signs in.
    pub account: AccountId,
}

// Secrets are never printed, not even by a stray `{:?}`.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential").field("principal", &self.principal).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for FixedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedCredential")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// Every accepted access key at one moment.
#[derive(Debug, Default)]
pub struct Directory {
    by_access_key: HashMap<String, Credential>,
    unreadable: Vec<String>,
}

impl Directory {
    /// The credential of an access key ID, if any.
    pub fn get(&self, access_key_id: &str) -> Option<&Credential> {
        self.by_access_key.get(access_key_id)
    }

    /// The stored access keys whose secret does not open under the root key (and are therefore refused).
    pub fn unreadable(&self) -> &[String] {
        &self.unreadable
    }

    /// The directory of `stored` identities (their secrets opened with `root_key`), then the `fixed` keys (which
    /// win over a stored key of the same ID).
    fn of(stored: StoredIdentities, fixed: &[FixedCredential], root_key: &RootKey) -> Result<Self, ServiceError> {
        let mut users: HashMap<(&AccountId, &str), Arc<User>> = HashMap::new();
        for user in &stored.users {
            let policies = stored
                .policies
                .iter()
                .filter(|p| p.account == user.account && p.user_name == user.name)
                .map(|p| {
                    PolicyDocument::parse(&p.document).or_else(|error| {
                        tracing::error!(user = %user.name, policy = %p.policy_name, %error, "a stored user policy does not parse; the user is denied everything");
                        PolicyDocument::parse(DENY_EVERYTHING)
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let arn = trent_audit::user_arn(user.account.as_str(), &user.name);
            let entry = User { name: user.name.clone(), user_id: user.user_id.clone(), arn, policies };
            users.insert((&user.account, &user.name), Arc::new(entry));
        }
        let (mut by_access_key, mut unreadable) = (HashMap::new(), Vec::new());
        for credential in &stored.credentials {
            let user = match &credential.user_name {
                None => None,
                Some(name) => match users.get(&(&credential.account, name.as_str())) {
                    Some(user) => Some(Arc::clone(user)),
                    // Not written so (a user is deleted with its keys); never read as the root user's.
                    None => continue,
                },
            };
            let opened = root_key.open_secret(&credential.access_key_id, &credential.sealed_secret);
            let Some(secret) = opened.ok().and_then(|secret| String::from_utf8(secret.to_vec()).ok()) else {
                // One unreadable key is refused; it does not stop every other key from working.
                tracing::error!(access_key_id = %credential.access_key_id, "a stored access key does not open under this root key; it is refused");
                unreadable.push(credential.access_key_id.clone());
                continue;
            };
            let principal = Principal {
                account: credential.account.clone(),
                access_key_id: credential.access_key_id.clone(),
                user,
            };
            by_access_key
                .insert(credential.access_key_id.clone(), Credential { secret: Zeroizing::new(secret), principal });
        }
        for fixed in fixed {
            let principal = Principal::root(fixed.account.clone(), &fixed.access_key_id);
            by_access_key.insert(fixed.access_key_id.clone(), Credential { secret: fixed.secret.clone(), principal });
        }
        Ok(Self { by_access_key, unreadable })
    }
}

/// The accepted access keys, kept current.
pub struct Identities {
    store: Arc<KeyStore>,
    root_key: Arc<RootKey>,
    fixed: Vec<FixedCredential>,
    feed: Option<Arc<ChangeFeed>>,
    /// Counts the identity changes heard of; a directory read before the last one is stale.
    changes: Arc<AtomicU64>,
    /// This node's identity changes under way: while there is one, the directory is read for every request (the
    /// change may have committed, and other nodes refuse a deleted key, before it answers).
    changing: AtomicU64,
    current: RwLock<Option<(u64, Arc<Directory>)>>,
}

impl Identities {
    /// The identities stored in `store` (secrets sealed under `root_key`) and the `fixed` keys.
    pub fn new(store: Arc<KeyStore>, root_key: Arc<RootKey>, fixed: Vec<FixedCredential>) -> Self {
        let feed = store.change_feed();
        let changes = Arc::new(AtomicU64::new(0));
        if let Some(feed) = &feed {
            let counted = Arc::clone(&changes);
            feed.subscribe(move |event| {
                if matches!(event, FeedEvent::Identities | FeedEvent::All) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        Self { store, root_key, fixed, feed, changes, changing: AtomicU64::new(0), current: RwLock::new(None) }
    }

    /// The same identities, accepting these given keys as well.
    pub fn with_fixed(mut self, fixed: Vec<FixedCredential>) -> Self {
        self.fixed = fixed;
        self
    }

    /// Every accepted access key, as of now.
    pub async fn directory(&self) -> Result<Arc<Directory>, ServiceError> {
        let trusted =
            self.changing.load(Ordering::SeqCst) == 0 && self.feed.as_ref().is_none_or(|feed| feed.is_connected());
        let seen = self.changes.load(Ordering::SeqCst);
        if trusted {
            if let Some((read_at, directory)) = &*self.current.read().unwrap_or_else(PoisonError::into_inner) {
                if *read_at == seen {
                    return Ok(Arc::clone(directory));
                }
            }
        }
        let stored = self.store.identities().await?;
        let directory = Arc::new(Directory::of(stored, &self.fixed, &self.root_key)?);
        if trusted {
            *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some((seen, Arc::clone(&directory)));
        }
        Ok(directory)
    }

    /// Marks the start of a change of the stored identities by this node; until the guard is dropped (whatever the
    /// change's outcome: it may have committed even if it failed) every request reads them again, and after it the
    /// directory read before is stale.
    pub fn change(&self) -> IdentityChange<'_> {
        self.changing.fetch_add(1, Ordering::SeqCst);
        IdentityChange { identities: self }
    }
}

/// A change of the stored identities under way ([`Identities::change`]).
pub struct IdentityChange<'a> {
    identities: &'a Identities,
}

impl Drop for IdentityChange<'_> {
    fn drop(&mut self) {
        self.identities.changes.fetch_add(1, Ordering::SeqCst);
        self.identities.changing.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Random text of `len` characters from `alphabet`, from the secure random source.
pub fn random_text(len: usize, alphabet: &[u8]) -> Result<String, ServiceError> {
    let bytes = random_bytes(len).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet.get(usize::from(*b) % alphabet.len()).copied().unwrap_or(b'A')))
        .collect())
}

/// The alphabet of access key IDs and user IDs after their prefix, as AWS's.
pub const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The alphabet of secret access keys, as AWS's.
pub const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new access key ID (`AKIA` and 16 characters) and its secret (40 characters).
pub fn new_access_key() -> Result<(String, Zeroizing<String>), ServiceError> {
    Ok((format!("AKIA{}", random_text(16, ID_ALPHABET)?), Zeroizing::new(random_text(40, SECRET_ALPHABET)?)))
}
