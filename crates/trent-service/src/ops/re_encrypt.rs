//! ReEncrypt: decrypts under the source key and encrypts under the destination key in one call; both keys must be
//! usable, and the plaintext never leaves the server.

use trent_crypto::EncryptionContext;

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::encrypt::require_symmetric_algorithm;
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
}

impl Service {
    /// ReEncrypt.
    pub async fn re_encrypt(&self, ctx: &RequestContext, input: ReEncryptInput) -> Result<ReEncryptOutput, ServiceError> {
        let source = self.key_of_blob(ctx, &input.ciphertext, input.source_key_id.as_deref(), "kms:ReEncryptFrom").await?;
        let destination = self.usable_key(ctx, &input.destination_key_id, Aliases::Accepted, "kms:ReEncryptTo").await?;
        let (source_material, destination_material) = (source.symmetric("ReEncrypt")?, destination.symmetric("ReEncrypt")?);
        require_symmetric_algorithm(input.source_algorithm.as_deref())?;
        require_symmetric_algorithm(input.destination_algorithm.as_deref())?;
        let source_proof = require_usable(&source.key)?;
        let destination_proof = require_usable(&destination.key)?;
        let plaintext = trent_crypto::decrypt(source_proof, source_material, &input.ciphertext, &input.source_context)?;
        if input.dry_run {
            return Err(ServiceError::DryRun);
        }
        let ciphertext = trent_crypto::encrypt(destination_proof, destination_material, &plaintext, &input.destination_context)?;
        Ok(ReEncryptOutput { ciphertext, source_key_arn: source.key.arn().to_string(), destination_key_arn: destination.key.arn().to_string() })
    }
}
