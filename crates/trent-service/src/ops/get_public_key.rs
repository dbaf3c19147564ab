//! GetPublicKey: the public key of a usable asymmetric key as DER SubjectPublicKeyInfo. Every call is evidence that
//! the public key has left the service (see the usage evidence), which matters before the key is deleted.

use std::sync::Arc;

use crate::cache::LoadedKey;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// GetPublicKey. Returns the key and its public key.
    pub async fn get_public_key(&self, ctx: &RequestContext, key_id: &str) -> Result<(Arc<LoadedKey>, Vec<u8>), ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::Accepted, "kms:GetPublicKey").await?;
        let pair = loaded.signing("GetPublicKey").map_err(|_| {
            ServiceError::Unsupported(format!("{} is a {} key, which has no public key.", loaded.key.arn(), loaded.key.spec.as_str()))
        })?;
        require_usable(&loaded.key)?;
        let der = pair.public_key_der()?;
        Ok((loaded, der))
    }
}
