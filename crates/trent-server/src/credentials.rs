//! The access keys the server is given (the dev key, `--credential` keys) and the administrator key it makes on
//! first start; the service reads these with the keys stored (sealed) in the database.

use std::io::Write;
use std::path::Path;

use trent_crypto::RootKey;
use trent_domain::{AccountId, Clock};
use trent_service::identities::{new_access_key, random_text, FixedCredential};
use trent_store::{KeyStore, StoredCredential};
use zeroize::Zeroizing;

use crate::config::CredentialSpec;

/// The dev mode access key ID, secret and account.
pub const DEV_ACCESS_KEY: &str = "test";
/// The dev mode secret.
pub const DEV_SECRET: &str = "test";
/// The dev mode account.
pub const DEV_ACCOUNT: &str = "111122223333";

/// The access keys given to the server rather than stored (dev mode's, and `--credential` keys). On a first start
/// outside dev mode, first creates an account and its administrator key, prints them once and writes
/// `admin-credentials`. Stored keys are read by the service ([`trent_service::identities`]).
pub async fn prepare(
    store: &KeyStore,
    root_key: &RootKey,
    clock: &dyn Clock,
    configured: &[CredentialSpec],
    dev: bool,
    data_dir: &Path,
) -> Result<Vec<FixedCredential>, String> {
    let stored = store.identities().await.map_err(|e| e.to_string())?;
    if !dev && stored.credentials.iter().all(|credential| credential.user_name.is_some()) {
        create_admin(store, root_key, clock, data_dir).await?;
    }
    let mut fixed: Vec<FixedCredential> = configured
        .iter()
        .map(|spec| FixedCredential {
            access_key_id: spec.access_key_id.clone(),
            secret: Zeroizing::new(spec.secret.clone()),
            account: spec.account.clone(),
        })
        .collect();
    if dev {
        if let Some(account) = AccountId::parse(DEV_ACCOUNT) {
            fixed.push(FixedCredential {
                access_key_id: DEV_ACCESS_KEY.to_owned(),
                secret: Zeroizing::new(DEV_SECRET.to_owned()),
                account,
            });
        }
    }
    Ok(fixed)
}

async fn create_admin(store: &KeyStore, root_key: &RootKey, clock: &dyn Clock, data_dir: &Path) -> Result<(), String> {
    let text = |len, alphabet| random_text(len, alphabet).map_err(|e| e.to_string());
    let account_text = format!("{}{}", text(1, b"123456789")?, text(11, b"0123456789")?);
    let account = AccountId::parse(&account_text).ok_or("generated account ID is malformed")?;
    let (access_key_id, secret) = new_access_key().map_err(|e| e.to_string())?;
    let sealed_secret = root_key.seal_secret(&access_key_id, secret.as_bytes()).map_err(|e| e.to_string())?;
    let credential = StoredCredential {
        access_key_id: access_key_id.clone(),
        account: account.clone(),
        sealed_secret,
        created_at: clock.now(),
        user_name: None,
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
    Ok(())
}
