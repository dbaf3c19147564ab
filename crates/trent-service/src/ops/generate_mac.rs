//! GenerateMac: the HMAC of a message of up to 4096 bytes under a usable HMAC key, with the key's one MAC algorithm.

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// Refuses a MAC algorithm the key's spec does not use, as AWS does.
pub(crate) fn require_mac_algorithm(key: &trent_domain::Key, algorithm: &str) -> Result<(), ServiceError> {
    let supported = key.algorithms().mac;
    if supported.contains(&algorithm) {
        return Ok(());
    }
    Err(ServiceError::InvalidKeyUsage(format!(
        "Algorithm {algorithm} is incompatible with key spec {}. Supported algorithms: {}.",
        key.spec.as_str(),
        supported.join(", ")
    )))
}

impl Service {
    /// GenerateMac. Returns the MAC and the key's ARN.
    pub async fn generate_mac(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        message: &[u8],
        algorithm: &str,
        dry_run: bool,
    ) -> Result<(Vec<u8>, String), ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::Accepted, "kms:GenerateMac").await?;
        let material = loaded.mac("GenerateMac")?;
        require_mac_algorithm(&loaded.key, algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        Ok((material.generate(proof, message)?, loaded.arn.clone()))
    }
}
