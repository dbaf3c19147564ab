//! Encrypt: up to 4096 bytes of plaintext under a usable symmetric key, bound to an encryption context.

use std::sync::Arc;

use trent_crypto::EncryptionContext;

use crate::authorize::authorize;
use crate::cache::LoadedKey;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// The one encryption algorithm of symmetric keys.
pub const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

/// Refuses an encryption algorithm a symmetric key does not support.
pub fn require_symmetric_algorithm(algorithm: Option<&str>) -> Result<(), ServiceError> {
    match algorithm {
        None | Some(SYMMETRIC_DEFAULT) => Ok(()),
        Some(other) => Err(ServiceError::InvalidKeyUsage(format!("The encryption algorithm {other} is not supported for a SYMMETRIC_DEFAULT key."))),
    }
}

impl Service {
    /// The key for a cryptographic operation: resolved, authorized, and in a state that allows cryptography.
    pub(crate) async fn usable_key(&self, ctx: &RequestContext, key_id: &str, aliases: Aliases, permission: &str) -> Result<Arc<LoadedKey>, ServiceError> {
        let loaded = self.load(ctx, key_id, aliases).await?;
        authorize(&ctx.principal, permission, &loaded.key)?;
        self.require_usable_or_alarm(ctx, &loaded.key, permission).await?;
        Ok(loaded)
    }

    /// Encrypt. Returns the ciphertext blob and the key's ARN.
    pub async fn encrypt(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
        algorithm: Option<&str>,
        dry_run: bool,
    ) -> Result<(Vec<u8>, String), ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::AcceptedCreatingManaged, "kms:Encrypt").await?;
        let material = loaded.symmetric("Encrypt")?;
        require_symmetric_algorithm(algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        let blob = trent_crypto::encrypt(proof, material, plaintext, context)?;
        Ok((blob, loaded.key.arn().to_string()))
    }
}
