//! Decrypt: a symmetric ciphertext names its key in its blob header (KeyId is optional, as in AWS); an RSA ciphertext
//! does not, so an asymmetric algorithm needs the KeyId. The key must be usable and the context the same.

use std::sync::Arc;

use trent_crypto::EncryptionContext;
use trent_domain::EncryptionAlgorithm;
use zeroize::Zeroizing;

use crate::authorize::Permission;
use crate::cache::LoadedKey;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::encrypt::{cipher, is_asymmetric};
use crate::resolve::{Aliases, Reach};
use crate::Service;

/// Decrypt's result.
#[derive(Debug)]
pub struct Decrypted {
    /// The plaintext.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The key's ARN.
    pub key_arn: String,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
}

impl Service {
    /// The usable key that made `blob`, checked against the KeyId the caller named, if any.
    pub(crate) async fn key_of_blob(
        &self,
        ctx: &RequestContext,
        blob: &[u8],
        key_id: Option<&str>,
        permission: Permission<'_>,
    ) -> Result<Arc<LoadedKey>, ServiceError> {
        let header = trent_crypto::read_header(blob)?;
        // The blob names its key's ID only: the key is the caller's, or the other account's the caller names by ARN.
        let mut account = ctx.account().clone();
        if let Some(named) = key_id {
            let (named_account, named) = self.resolve_key(ctx, named, Aliases::Accepted, Reach::CrossAccount).await?;
            if named_account != account && named != header.key_id {
                // Another account's key that did not make this blob: told as no more than that, before any policy
                // has let the caller see the key.
                return Err(ServiceError::IncorrectKey(
                    "The key ID in the request does not identify a CMK that can perform this operation.".to_owned(),
                ));
            }
            account = named_account;
            if named != header.key_id {
                // An asymmetric ciphertext has no header; when its random bytes happen to read as one, the key they
                // "name" is not the asymmetric key the caller named. It is refused as the unreadable blob it is, as
                // the other 255 in 256 are by `read_header`.
                if self.load_of(ctx, &account, named).await?.key.spec.secret_len().is_none() {
                    return Err(ServiceError::InvalidCiphertext);
                }
                return Err(ServiceError::IncorrectKey(
                    "The key ID in the request does not identify a CMK that can perform this operation.".to_owned(),
                ));
            }
        }
        let loaded = self.load_of(ctx, &account, header.key_id).await?;
        self.authorize_key_use(ctx, permission, &loaded).await?;
        self.require_usable_or_alarm(ctx, &loaded.key, permission.action).await?;
        Ok(loaded)
    }

    /// The usable key to decrypt `ciphertext` with `algorithm`: the one its blob names, or for an asymmetric
    /// algorithm the one the caller names (required).
    pub(crate) async fn decrypting_key(
        &self,
        ctx: &RequestContext,
        ciphertext: &[u8],
        key_id: Option<&str>,
        algorithm: Option<&str>,
        permission: Permission<'_>,
    ) -> Result<Arc<LoadedKey>, ServiceError> {
        if !is_asymmetric(algorithm) {
            return self.key_of_blob(ctx, ciphertext, key_id, permission).await;
        }
        let key_id = key_id.ok_or_else(|| ServiceError::Validation("KeyId must not be null".to_owned()))?;
        self.usable_key(ctx, key_id, Aliases::Accepted, permission).await
    }

    /// Decrypt.
    pub async fn decrypt(
        &self,
        ctx: &RequestContext,
        ciphertext: &[u8],
        context: &EncryptionContext,
        key_id: Option<&str>,
        algorithm: Option<&str>,
        dry_run: bool,
    ) -> Result<Decrypted, ServiceError> {
        let loaded = self
            .decrypting_key(
                ctx,
                ciphertext,
                key_id,
                algorithm,
                Permission::with_encryption_context("kms:Decrypt", context),
            )
            .await?;
        let cipher = cipher(&loaded, "Decrypt", algorithm)?;
        cipher.check(context, None)?;
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        let plaintext = cipher.decrypt(proof, ciphertext, context)?;
        Ok(Decrypted { plaintext, key_arn: loaded.arn.clone(), algorithm: cipher.algorithm() })
    }
}
