//! Encapsulate: a fresh shared secret and its ciphertext under the public key of a usable ML-KEM key
//! (`ENCAPSULATE_DECAPSULATE`); only Decapsulate with the same key recovers the secret from the ciphertext.

use zeroize::Zeroizing;

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// Refuses an encapsulation algorithm the key does not support.
pub(crate) fn require_encapsulation_algorithm(
    loaded: &crate::cache::LoadedKey,
    algorithm: &str,
) -> Result<(), ServiceError> {
    if loaded.key.algorithms().encapsulation.contains(&algorithm) {
        Ok(())
    } else {
        Err(loaded.wrong_algorithm(algorithm))
    }
}

impl Service {
    /// Encapsulate. Returns the ciphertext, the shared secret and the key's ARN.
    pub async fn encapsulate(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        algorithm: &str,
        dry_run: bool,
    ) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>, String), ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::Accepted, "kms:Encapsulate").await?;
        let pair = loaded.kem("Encapsulate")?;
        require_encapsulation_algorithm(&loaded, algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        let (ciphertext, secret) = pair.encapsulate(proof)?;
        Ok((ciphertext, secret, loaded.arn.clone()))
    }
}
