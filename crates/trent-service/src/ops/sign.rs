//! Sign: an ECDSA or RSA signature over a message of up to 4096 bytes, or over its digest, with a usable signing key
//! and one of the signing algorithms its spec supports.

use trent_crypto::Signed;
use trent_domain::{Key, SigningAlgorithm};

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// What Sign and Verify are asked to sign: the message or its digest, and with which algorithm.
#[derive(Debug, Clone, Copy)]
pub struct SignRequest<'a> {
    /// The key, by any identifier.
    pub key_id: &'a str,
    /// The message, or its digest when `digest` is true.
    pub message: &'a [u8],
    /// `MessageType: DIGEST`.
    pub digest: bool,
    /// `SigningAlgorithm`.
    pub algorithm: &'a str,
    /// `DryRun`.
    pub dry_run: bool,
}

impl SignRequest<'_> {
    /// What the key pair signs.
    pub(crate) fn signed(&self) -> Signed<'_> {
        if self.digest {
            Signed::Digest(self.message)
        } else {
            Signed::Raw(self.message)
        }
    }

    /// The refusal of a digest whose length does not fit the algorithm.
    pub(crate) fn wrong_digest(&self) -> ServiceError {
        ServiceError::Validation(format!("Digest is invalid length for algorithm {}.", self.algorithm))
    }
}

/// The signing algorithm, refused as AWS does when the key's spec does not support it.
pub(crate) fn require_signing_algorithm(key: &Key, algorithm: &str) -> Result<SigningAlgorithm, ServiceError> {
    let supported = key.algorithms().signing;
    match SigningAlgorithm::parse(algorithm) {
        Some(parsed) if supported.contains(&parsed) => Ok(parsed),
        _ => Err(ServiceError::InvalidKeyUsage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}. Supported algorithms: {}.",
            key.spec.as_str(),
            supported.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

impl Service {
    /// Sign. Returns the DER-encoded signature and the key's ARN.
    pub async fn sign(&self, ctx: &RequestContext, request: SignRequest<'_>) -> Result<(Vec<u8>, String), ServiceError> {
        let loaded = self.usable_key(ctx, request.key_id, Aliases::Accepted, "kms:Sign").await?;
        let pair = loaded.signing("Sign")?;
        let algorithm = require_signing_algorithm(&loaded.key, request.algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if request.dry_run {
            return Err(ServiceError::DryRun);
        }
        let signature = pair.sign(proof, algorithm, request.signed())?.ok_or_else(|| request.wrong_digest())?;
        Ok((signature, loaded.key.arn().to_string()))
    }
}
