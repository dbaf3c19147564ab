//! GetPublicKey: the public key of a usable asymmetric key as DER SubjectPublicKeyInfo. Every successful call is
//! recorded, whether or not calls are audited: it is evidence that the public key has left the service (who took it,
//! when, from where), which matters before the key is deleted.

use std::sync::Arc;

use crate::cache::LoadedKey;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// GetPublicKey. Returns the key and its public key.
    pub async fn get_public_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
    ) -> Result<(Arc<LoadedKey>, Vec<u8>), ServiceError> {
        let loaded = self.usable_key(ctx, key_id, Aliases::Accepted, "kms:GetPublicKey").await?;
        // A secret key has no public key; AWS says so with no message at all (docs/wire-compat.md).
        let material = loaded.material.as_ref();
        let der = material.and_then(|m| m.public_key_der()).ok_or_else(|| ServiceError::Unsupported(String::new()))?;
        require_usable(&loaded.key)?;
        let der = der?;
        let event =
            self.api_event(ctx, "GetPublicKey", &loaded.key).read_only(true).with_response("keyId", loaded.arn.clone());
        self.record(event).await?;
        Ok((loaded, der))
    }
}
