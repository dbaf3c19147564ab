//! Sign: an ECDSA, RSA or ML-DSA signature over a message of up to 4096 bytes, or (ECDSA, RSA) over its digest, with a
//! usable signing key and one of the signing algorithms its spec supports.

use trent_crypto::Signed;
use trent_domain::{Key, SigningAlgorithm};

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// What the message of a Sign or Verify is (`MessageType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// The message itself.
    Raw,
    /// A digest made with the algorithm's hash.
    Digest,
    /// ML-DSA's 64-byte message representative μ.
    ExternalMu,
}

/// What Sign and Verify are asked to sign: the message or its digest, and with which algorithm.
#[derive(Debug, Clone, Copy)]
pub struct SignRequest<'a> {
    /// The key, by any identifier.
    pub key_id: &'a str,
    /// The message, or what `message_type` says it is.
    pub message: &'a [u8],
    /// `MessageType`.
    pub message_type: MessageType,
    /// `SigningAlgorithm`.
    pub algorithm: &'a str,
    /// `DryRun`.
    pub dry_run: bool,
}

impl SignRequest<'_> {
    /// What the key pair signs, or AWS's refusal of a message type the algorithm does not take.
    pub(crate) fn signed(&self, algorithm: SigningAlgorithm) -> Result<Signed<'_>, ServiceError> {
        match algorithm {
            SigningAlgorithm::Ed25519PhSha512 => return Err(ServiceError::Unsupported(
                "ED25519_PH_SHA_512 is not supported by Trent yet (aws-lc-rs has no Ed25519ph); use ED25519_SHA_512."
                    .to_owned(),
            )),
            SigningAlgorithm::Ed25519Sha512 if self.message_type != MessageType::Raw => {
                return Err(ServiceError::Validation(
                    "ED25519_SHA_512 signing algorithm requires MessageType RAW.".to_owned(),
                ))
            }
            _ => {}
        }
        let ml_dsa = algorithm == SigningAlgorithm::MlDsaShake256;
        match (self.message_type, ml_dsa) {
            (MessageType::Raw, _) => Ok(Signed::Raw(self.message)),
            (MessageType::Digest, false) => Ok(Signed::Digest(self.message)),
            (MessageType::Digest, true) => Err(ServiceError::Validation(format!(
                "MessageType DIGEST is not valid for signing algorithm {}. Use RAW or EXTERNAL_MU.",
                algorithm.as_str()
            ))),
            (MessageType::ExternalMu, false) => {
                Err(ServiceError::Validation("MessageType EXTERNAL_MU is valid only for ML-DSA keys.".to_owned()))
            }
            (MessageType::ExternalMu, true) => Err(ServiceError::Unsupported(
                "MessageType EXTERNAL_MU is not supported by Trent yet; sign the RAW message.".to_owned(),
            )),
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
    /// Sign. Returns the signature (DER for ECDSA) and the key's ARN.
    pub async fn sign(
        &self,
        ctx: &RequestContext,
        request: SignRequest<'_>,
    ) -> Result<(Vec<u8>, String), ServiceError> {
        let loaded = self.usable_key(ctx, request.key_id, Aliases::Accepted, "kms:Sign").await?;
        let pair = loaded.signing("Sign")?;
        let algorithm = require_signing_algorithm(&loaded.key, request.algorithm)?;
        let signed = request.signed(algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if request.dry_run {
            return Err(ServiceError::DryRun);
        }
        let signature = pair.sign(proof, algorithm, signed)?.ok_or_else(|| request.wrong_digest())?;
        Ok((signature, loaded.arn.clone()))
    }
}
