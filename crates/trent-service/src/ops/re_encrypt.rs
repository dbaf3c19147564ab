//! ReEncrypt: decrypts under the source key and encrypts under the destination key in one call; both keys must be
//! usable, and the plaintext never leaves the server.

use trent_crypto::EncryptionContext;
use trent_domain::{EncryptionAlgorithm, KeyId};

use crate::authorize::Permission;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::blob_material;
use crate::ops::encrypt::cipher;
use crate::resolve::Aliases;
use crate::Service;

/// ReEncrypt's input.
#[derive(Debug, Clone, Default)]
pub struct ReEncryptInput {
    /// The ciphertext to re-encrypt.
    pub ciphertext: Vec<u8>,
    /// The context it was encrypted with.
    pub source_context: EncryptionContext,
    /// The source key, if the caller names it.
    pub source_key_id: Option<String>,
    /// The destination key.
    pub destination_key_id: String,
    /// The context to bind to the new ciphertext.
    pub destination_context: EncryptionContext,
    /// SourceEncryptionAlgorithm.
    pub source_algorithm: Option<String>,
    /// DestinationEncryptionAlgorithm.
    pub destination_algorithm: Option<String>,
    /// DryRun.
    pub dry_run: bool,
}

/// ReEncrypt's result.
#[derive(Debug, Clone)]
pub struct ReEncryptOutput {
    /// The new ciphertext.
    pub ciphertext: Vec<u8>,
    /// The source key's ARN.
    pub source_key_arn: String,
    /// The destination key's ARN.
    pub destination_key_arn: String,
    /// The algorithm the ciphertext was decrypted with.
    pub source_algorithm: EncryptionAlgorithm,
    /// The algorithm the new ciphertext was made with.
    pub destination_algorithm: EncryptionAlgorithm,
    /// The material that opened the ciphertext (symmetric source keys): its key and version.
    pub source_material: Option<(KeyId, u32)>,
    /// The material that made the new one (symmetric destination keys).
    pub destination_material: Option<(KeyId, u32)>,
}

impl Service {
    /// ReEncrypt.
    pub async fn re_encrypt(
        &self,
        ctx: &RequestContext,
        input: ReEncryptInput,
    ) -> Result<ReEncryptOutput, ServiceError> {
        let source_algorithm = input.source_algorithm.as_deref();
        let source = self
            .decrypting_key(
                ctx,
                &input.ciphertext,
                input.source_key_id.as_deref(),
                source_algorithm,
                Permission::with_encryption_context("kms:ReEncryptFrom", &input.source_context),
            )
            .await?;
        let destination = self
            .usable_key(
                ctx,
                &input.destination_key_id,
                Aliases::Accepted,
                Permission::with_encryption_context("kms:ReEncryptTo", &input.destination_context),
            )
            .await?;
        let source_cipher = cipher(&source, "ReEncrypt", source_algorithm)?;
        let destination_cipher = cipher(&destination, "ReEncrypt", input.destination_algorithm.as_deref())?;
        source_cipher.check(&input.source_context, None)?;
        destination_cipher.check(&input.destination_context, None)?;
        let source_proof = require_usable(&source.key)?;
        let destination_proof = require_usable(&destination.key)?;
        let plaintext = source_cipher.decrypt(source_proof, &input.ciphertext, &input.source_context)?;
        destination_cipher.check(&input.destination_context, Some(plaintext.len()))?;
        if input.dry_run {
            return Err(ServiceError::DryRun);
        }
        let ciphertext = destination_cipher.encrypt(destination_proof, &plaintext, &input.destination_context)?;
        Ok(ReEncryptOutput {
            source_material: blob_material(source_cipher.algorithm(), &input.ciphertext),
            destination_material: blob_material(destination_cipher.algorithm(), &ciphertext),
            ciphertext,
            source_key_arn: source.key.arn().to_string(),
            destination_key_arn: destination.key.arn().to_string(),
            source_algorithm: source_cipher.algorithm(),
            destination_algorithm: destination_cipher.algorithm(),
        })
    }
}
