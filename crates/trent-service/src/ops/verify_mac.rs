//! VerifyMac: whether a MAC is the HMAC of a message under a usable HMAC key, compared in constant time. A MAC that
//! does not verify is `KMSInvalidMacException`, as in AWS, even for a dry run.

use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::generate_mac::require_mac_algorithm;
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// VerifyMac. Returns the key's ARN when the MAC verifies.
    pub async fn verify_mac(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        message: &[u8],
        algorithm: &str,
        mac: &[u8],
        dry_run: bool,
    ) -> Result<String, ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::Accepted, "kms:VerifyMac").await?;
        let material = loaded.mac("VerifyMac")?;
        require_mac_algorithm(&loaded.key, algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if !material.verify(proof, message, mac)? {
            return Err(ServiceError::InvalidMac);
        }
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        Ok(loaded.arn.clone())
    }
}
