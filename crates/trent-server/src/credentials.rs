//! The access keys the server accepts: the dev key, `--credential` keys and keys stored (sealed) in the database,
//! including the administrator key made on first start.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use trent_crypto::{random_bytes, RootKey};
use trent_domain::{AccountId, Clock};
use trent_store::{KeyStore, StoredCredential};
use zeroize::Zeroizing;

use crate::config::CredentialSpec;

/// The dev mode access key ID, secret and account.
pub const DEV_ACCESS_KEY: &str = "test";
/// The dev mode secret.
pub const DEV_SECRET: &str = "test";
/// The dev mode account.
pub const DEV_ACCOUNT: &str = "111122223333";

/// One accepted access key.
pub struct Credential {
    /// The secret access key.
    pub secret: Zeroizing<String>,
    /// The account it administers.
    pub account: AccountId,
}

/// Every accepted access key, fixed at start.
#[derive(Default)]
pub struct Credentials {
    by_access_key: HashMap<String, Credential>,
}

impl Credentials {
    /// The credential of an access key ID, if any.
    pub fn get(&self, access_key_id: &str) -> Option<&Credential> {
        self.by_access_key.get(access_key_id)
    }

    fn add(&mut self, access_key_id: &str, secret: &str, account: AccountId) {
        self.by_access_key
            .insert(access_key_id.to_owned(), Credential { secret: Zeroizing::new(secret.to_owned()), account });
    }

    /// Gathers the dev key (in dev mode), the configured keys and the stored keys. On a first start outside dev mode,
    /// creates an account and its administrator key, prints them once and writes `admin-credentials`.
    pub async fn load(
        store: &KeyStore,
        root_key: &RootKey,
        clock: &dyn Clock,
        configured: &[CredentialSpec],
        dev: bool,
        data_dir: &Path,
    ) -> Result<Self, String> {
        let mut credentials = Credentials::default();
        let mut stored = store.credentials().await.map_err(|e| e.to_string())?;
        if stored.is_empty() && !dev {
            let created = create_admin(store, root_key, clock, data_dir).await?;
            stored.push(created);
        }
        for credential in stored {
            let secret = root_key.open_secret(&credential.access_key_id, &credential.sealed_secret).map_err(|_| {
                format!("stored access key {} does not open under this root key", credential.access_key_id)
            })?;
            let secret = String::from_utf8(secret.to_vec()).map_err(|_| "stored secret is not text".to_owned())?;
            credentials.add(&credential.access_key_id, &secret, credential.account);
        }
        for spec in configured {
            credentials.add(&spec.access_key_id, &spec.secret, spec.account.clone());
        }
        if dev {
            if let Some(account) = AccountId::parse(DEV_ACCOUNT) {
                credentials.add(DEV_ACCESS_KEY, DEV_SECRET, account);
            }
        }
        Ok(credentials)
    }
}

/// Random text from an alphabet, using the secure random source.
fn random_text(len: usize, alphabet: &[u8]) -> Result<String, String> {
    let bytes = random_bytes(len).map_err(|e| e.to_string())?;
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet.get(usize::from(*b) % alphabet.len()).copied().unwrap_or(b'A')))
        .collect())
}

async fn create_admin(
    store: &KeyStore,
    root_key: &RootKey,
    clock: &dyn Clock,
    data_dir: &Path,
) -> Result<StoredCredential, String> {
    let account_text = format!("{}{}", random_text(1, b"123456789")?, random_text(11, b"0123456789")?);
    let account = AccountId::parse(&account_text).ok_or("generated account ID is malformed")?;
    let access_key_id = format!("AKIA{}", random_text(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")?);
    let secret = Zeroizing::new(random_text(40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")?);
    let sealed_secret = root_key.seal_secret(&access_key_id, secret.as_bytes()).map_err(|e| e.to_string())?;
    let credential = StoredCredential {
        access_key_id: access_key_id.clone(),
        account: account.clone(),
        sealed_secret,
        created_at: clock.now(),
    };

    let path = data_dir.join("admin-credentials");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = Zeroizing::new(format!(
        "# Trent administrator of account {account}. Use with: aws --profile trent --endpoint-url http://HOST:PORT kms ...\n[trent]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {}\n",
        secret.as_str()
    ));
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| format!("{}: {e}", path.display()))?;
    store.put_credential(&credential).await.map_err(|e| e.to_string())?;
    // Printed once, on the first start only; later starts reuse the stored key.
    println!("Trent created account {account} and its administrator access key.");
    println!("  access key ID:     {access_key_id}");
    println!("  secret access key: {}", secret.as_str());
    println!("  written to:        {} (mode 0600, aws CLI credentials format, profile 'trent')", path.display());
    Ok(credential)
}
