//! Decapsulate: the shared secret in a ciphertext made by Encapsulate (or by anyone holding the public key) with a
//! usable ML-KEM key. A ciphertext of the wrong length is `InvalidCiphertextException`; any other gives 32 bytes, a
//! pseudo-random secret when the ciphertext was not made for this key (FIPS 203's implicit rejection, as in AWS).

use zeroize::Zeroizing;

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::encapsulate::require_encapsulation_algorithm;
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// Decapsulate. Returns the shared secret and the key's ARN.
    pub async fn decapsulate(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        ciphertext: &[u8],
        algorithm: &str,
        dry_run: bool,
    ) -> Result<(Zeroizing<Vec<u8>>, String), ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::Accepted, "kms:Decapsulate").await?;
        let pair = loaded.kem("Decapsulate")?;
        require_encapsulation_algorithm(&loaded, algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        Ok((pair.decapsulate(proof, ciphertext)?, loaded.arn.clone()))
    }
}
