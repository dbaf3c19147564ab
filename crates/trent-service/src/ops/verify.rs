//! Verify: whether a signature is valid over a message (or its digest) under a usable signing key. A signature that
//! does not verify is `KMSInvalidSignatureException`, as in AWS, even for a dry run.

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::sign::{require_signing_algorithm, SignRequest};
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// Verify. Returns the key's ARN when the signature verifies.
    pub async fn verify(
        &self,
        ctx: &RequestContext,
        request: SignRequest<'_>,
        signature: &[u8],
    ) -> Result<String, ServiceError> {
        let loaded = self.usable_key(ctx, request.key_id, Aliases::Accepted, "kms:Verify").await?;
        let pair = loaded.signing("Verify")?;
        let algorithm = require_signing_algorithm(&loaded.key, request.algorithm)?;
        let proof = require_usable(&loaded.key)?;
        match pair.verify(proof, algorithm, request.signed(algorithm)?, signature)? {
            None => return Err(request.wrong_digest()),
            Some(false) => return Err(ServiceError::InvalidSignature),
            Some(true) => {}
        }
        if request.dry_run {
            return Err(ServiceError::DryRun);
        }
        Ok(loaded.arn.clone())
    }
}
