//! Encrypt: up to 4096 bytes of plaintext under a usable symmetric key, bound to an encryption context, or a
//! plaintext within the RSAES-OAEP limit of an RSA key (no encryption context). Also the one place that decides which
//! encryption algorithm a key takes (`Cipher`), shared by Decrypt and ReEncrypt.

use std::sync::Arc;

use trent_crypto::{EncryptionContext, RsaEncryptionKey, SymmetricKey};
use trent_domain::{EncryptionAlgorithm, KeySpec, UsableKey};
use zeroize::Zeroizing;

use crate::authorize::Permission;
use crate::cache::LoadedKey;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::{Aliases, Reach};
use crate::Service;

/// A key ready to encrypt or decrypt with one of its encryption algorithms.
pub(crate) enum Cipher<'a> {
    /// A symmetric key with `SYMMETRIC_DEFAULT`: its current material encrypts; a ciphertext is opened by the material
    /// its header names.
    Symmetric(&'a LoadedKey, &'a SymmetricKey),
    /// An RSA key of `KeySpec` with an OAEP algorithm.
    Rsa(&'a RsaEncryptionKey, EncryptionAlgorithm, KeySpec),
}

/// The cipher of `loaded` for `algorithm` (absent means `SYMMETRIC_DEFAULT`, as in AWS), or AWS's refusal: a key of
/// another usage, or an algorithm the key's spec does not support.
pub(crate) fn cipher<'a>(
    loaded: &'a LoadedKey,
    operation: &str,
    algorithm: Option<&str>,
) -> Result<Cipher<'a>, ServiceError> {
    let name = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault.as_str());
    let supported = loaded.key.algorithms().encryption;
    let parsed = EncryptionAlgorithm::parse(name).filter(|parsed| supported.contains(parsed));
    match parsed {
        Some(EncryptionAlgorithm::SymmetricDefault) => Ok(Cipher::Symmetric(loaded, loaded.symmetric(operation)?)),
        Some(algorithm) => Ok(Cipher::Rsa(loaded.rsa_encryption(operation)?, algorithm, loaded.key.spec)),
        None if supported.is_empty() => Err(loaded.wrong_usage(operation)),
        None => Err(loaded.wrong_algorithm(name)),
    }
}

/// True when `algorithm` names an asymmetric encryption algorithm (whose ciphertext has no header naming its key).
pub(crate) fn is_asymmetric(algorithm: Option<&str>) -> bool {
    algorithm.is_some_and(|name| name != EncryptionAlgorithm::SymmetricDefault.as_str())
}

fn refuse_context(context: &EncryptionContext) -> Result<(), ServiceError> {
    if context.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(
            "EncryptionContext is not supported when encrypting/decrypting with asymmetric CMKs.".to_owned(),
        ))
    }
}

impl Cipher<'_> {
    /// The algorithm, for the response.
    pub(crate) fn algorithm(&self) -> EncryptionAlgorithm {
        match self {
            Cipher::Symmetric(..) => EncryptionAlgorithm::SymmetricDefault,
            Cipher::Rsa(_, algorithm, _) => *algorithm,
        }
    }

    /// Refuses what this cipher cannot take, before anything is done: an encryption context with an RSA key, or a
    /// plaintext of `plaintext_len` bytes beyond the algorithm's limit.
    pub(crate) fn check(&self, context: &EncryptionContext, plaintext_len: Option<usize>) -> Result<(), ServiceError> {
        let Cipher::Rsa(_, algorithm, spec) = self else {
            return Ok(());
        };
        refuse_context(context)?;
        let limit = algorithm.max_plaintext_len(*spec);
        if plaintext_len.is_some_and(|len| len > limit) {
            return Err(ServiceError::Validation(format!(
                "Algorithm {} and key spec {} cannot encrypt data larger than {limit} bytes.",
                algorithm.as_str(),
                spec.as_str()
            )));
        }
        Ok(())
    }

    /// The ciphertext of `plaintext` (checked by [`Cipher::check`]).
    pub(crate) fn encrypt(
        &self,
        proof: UsableKey<'_>,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, ServiceError> {
        Ok(match self {
            Cipher::Symmetric(_, current) => trent_crypto::encrypt(proof, current, plaintext, context)?,
            Cipher::Rsa(pair, algorithm, _) => pair.encrypt(proof, *algorithm, plaintext)?,
        })
    }

    /// The plaintext of `ciphertext` (checked by [`Cipher::check`]).
    pub(crate) fn decrypt(
        &self,
        proof: UsableKey<'_>,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, ServiceError> {
        Ok(match self {
            Cipher::Symmetric(loaded, _) => {
                let version = trent_crypto::read_header(ciphertext)?.material_version;
                trent_crypto::decrypt(proof, loaded.symmetric_version("Decrypt", version)?, ciphertext, context)?
            }
            Cipher::Rsa(pair, algorithm, _) => pair.decrypt(proof, *algorithm, ciphertext)?,
        })
    }
}

/// Encrypt's result.
#[derive(Debug, Clone)]
pub struct Encrypted {
    /// The ciphertext: a Trent blob, or raw RSAES-OAEP output.
    pub ciphertext: Vec<u8>,
    /// The key's ARN.
    pub key_arn: String,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
}

impl Service {
    /// The key for a cryptographic operation: resolved, authorized, and in a state that allows cryptography.
    pub(crate) async fn usable_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        aliases: Aliases,
        permission: impl Into<Permission<'_>>,
    ) -> Result<Arc<LoadedKey>, ServiceError> {
        let permission = permission.into();
        let loaded = self.load_reaching(ctx, key_id, aliases, Reach::CrossAccount).await?;
        self.authorize_key_use(ctx, permission, &loaded).await?;
        self.require_usable_or_alarm(ctx, &loaded.key, permission.action).await?;
        Ok(loaded)
    }

    /// Encrypt.
    pub async fn encrypt(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
        algorithm: Option<&str>,
        dry_run: bool,
    ) -> Result<Encrypted, ServiceError> {
        let loaded = self
            .usable_key(
                ctx,
                key_id,
                Aliases::AcceptedCreatingManaged,
                Permission::with_encryption_context("kms:Encrypt", context),
            )
            .await?;
        let cipher = cipher(&loaded, "Encrypt", algorithm)?;
        cipher.check(context, Some(plaintext.len()))?;
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        let ciphertext = cipher.encrypt(proof, plaintext, context)?;
        Ok(Encrypted { ciphertext, key_arn: loaded.arn.clone(), algorithm: cipher.algorithm() })
    }
}
