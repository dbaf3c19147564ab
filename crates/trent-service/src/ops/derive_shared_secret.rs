//! DeriveSharedSecret: the ECDH shared secret between a usable `KEY_AGREEMENT` key's private key and a peer's public
//! key (DER SubjectPublicKeyInfo on the key's curve).

use zeroize::Zeroizing;

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// DeriveSharedSecret's result.
#[derive(Debug)]
pub struct SharedSecret {
    /// The raw shared secret.
    pub secret: Zeroizing<Vec<u8>>,
    /// The key's ARN.
    pub key_arn: String,
    /// Where the key's material came from.
    pub key_origin: &'static str,
}

impl Service {
    /// DeriveSharedSecret.
    pub async fn derive_shared_secret(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        algorithm: &str,
        peer_public_key: &[u8],
        dry_run: bool,
    ) -> Result<SharedSecret, ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::Accepted, "kms:DeriveSharedSecret").await?;
        let pair = loaded.agreement("DeriveSharedSecret")?;
        if !loaded.key.algorithms().key_agreement.contains(&algorithm) {
            return Err(loaded.wrong_algorithm(algorithm));
        }
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        // AWS refuses a public key it cannot use with an empty ValidationException (recorded: LocalStack's
        // test_derive_shared_secret); the reason goes to the log only.
        let secret = pair.derive(proof, peer_public_key)?.ok_or_else(|| {
            tracing::debug!(key_arn = %loaded.key.arn(), "DeriveSharedSecret: PublicKey is not a DER SubjectPublicKeyInfo key on the key's curve");
            ServiceError::Validation(String::new())
        })?;
        Ok(SharedSecret { secret, key_arn: loaded.arn.clone(), key_origin: loaded.key.origin.as_str() })
    }
}
