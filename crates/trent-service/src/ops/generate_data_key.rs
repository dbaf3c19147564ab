//! GenerateDataKey: a fresh data key (KeySpec AES_128/AES_256 or NumberOfBytes 1 to 1024), returned in plaintext
//! and encrypted under a usable key.

use trent_crypto::EncryptionContext;
use zeroize::Zeroizing;

use crate::authorize::Permission;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// The length in bytes of a data key: exactly one of KeySpec and NumberOfBytes must be given.
pub fn data_key_length(key_spec: Option<&str>, number_of_bytes: Option<i64>) -> Result<usize, ServiceError> {
    let either = || ServiceError::Validation("Please specify either number of bytes or key spec.".to_owned());
    match (key_spec, number_of_bytes) {
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (None, Some(n)) => usize::try_from(n).ok().filter(|n| (1..=1024).contains(n)).ok_or_else(either),
        // Any other KeySpec was refused by the edge's enum check.
        _ => Err(either()),
    }
}

/// What GenerateDataKey and GenerateDataKeyWithoutPlaintext ask for.
#[derive(Debug, Clone, Copy)]
pub struct DataKeyRequest<'a> {
    /// The key to encrypt the data key under (any identifier form).
    pub key_id: &'a str,
    /// The encryption context to bind.
    pub context: &'a EncryptionContext,
    /// KeySpec: `AES_128` or `AES_256`.
    pub key_spec: Option<&'a str>,
    /// NumberOfBytes: 1 to 1024.
    pub number_of_bytes: Option<i64>,
    /// DryRun.
    pub dry_run: bool,
}

impl Service {
    /// GenerateDataKey. Returns the plaintext data key, its ciphertext blob and the key's ARN.
    pub async fn generate_data_key(
        &self,
        ctx: &RequestContext,
        request: DataKeyRequest<'_>,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>, String), ServiceError> {
        self.make_data_key(ctx, request, "kms:GenerateDataKey").await
    }

    /// Makes a data key under a usable key, checking `permission`.
    pub(crate) async fn make_data_key(
        &self,
        ctx: &RequestContext,
        request: DataKeyRequest<'_>,
        permission: &str,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>, String), ServiceError> {
        let loaded = self
            .usable_key(
                ctx,
                request.key_id,
                Aliases::AcceptedCreatingManaged,
                Permission::with_encryption_context(permission, request.context),
            )
            .await?;
        let material = loaded.symmetric(permission.trim_start_matches("kms:"))?;
        let length = data_key_length(request.key_spec, request.number_of_bytes)?;
        let proof = require_usable(&loaded.key)?;
        if request.dry_run {
            return Err(ServiceError::DryRun);
        }
        let (plaintext, blob) = trent_crypto::generate_data_key(proof, material, length, request.context)?;
        Ok((plaintext, blob, loaded.arn.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_key_needs_exactly_one_of_spec_and_length() {
        assert_eq!(data_key_length(Some("AES_256"), None).unwrap(), 32);
        assert_eq!(data_key_length(Some("AES_128"), None).unwrap(), 16);
        assert_eq!(data_key_length(None, Some(64)).unwrap(), 64);
        assert!(data_key_length(None, None).is_err());
        assert!(data_key_length(Some("AES_256"), Some(32)).is_err());
    }
}
