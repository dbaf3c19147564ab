//! Decrypt: finds the key from the ciphertext blob's header (KeyId is optional, as in AWS), checks it is usable and
//! opens the blob with the same encryption context.

use std::sync::Arc;

use trent_crypto::EncryptionContext;
use zeroize::Zeroizing;

use crate::authorize::authorize;
use crate::cache::LoadedKey;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::encrypt::require_symmetric_algorithm;
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// The usable key that made `blob`, checked against the KeyId the caller named, if any.
    pub(crate) async fn key_of_blob(&self, ctx: &RequestContext, blob: &[u8], key_id: Option<&str>, permission: &str) -> Result<Arc<LoadedKey>, ServiceError> {
        let header = trent_crypto::read_header(blob)?;
        if let Some(named) = key_id {
            let named = self.resolve_id(ctx, named, Aliases::Accepted).await?;
            if named != header.key_id {
                return Err(ServiceError::IncorrectKey("The key ID in the request does not identify a CMK that can perform this operation.".to_owned()));
            }
        }
        let loaded = self.load_by_id(ctx, header.key_id).await?;
        authorize(&ctx.principal, permission, &loaded.key)?;
        self.require_usable_or_alarm(ctx, &loaded.key, permission).await?;
        Ok(loaded)
    }

    /// Decrypt. Returns the plaintext and the key's ARN.
    pub async fn decrypt(
        &self,
        ctx: &RequestContext,
        blob: &[u8],
        context: &EncryptionContext,
        key_id: Option<&str>,
        algorithm: Option<&str>,
        dry_run: bool,
    ) -> Result<(Zeroizing<Vec<u8>>, String), ServiceError> {
        let loaded = self.key_of_blob(ctx, blob, key_id, "kms:Decrypt").await?;
        let material = loaded.symmetric("Decrypt")?;
        require_symmetric_algorithm(algorithm)?;
        let proof = require_usable(&loaded.key)?;
        if dry_run {
            return Err(ServiceError::DryRun);
        }
        let plaintext = trent_crypto::decrypt(proof, material, blob, context)?;
        Ok((plaintext, loaded.key.arn().to_string()))
    }
}
