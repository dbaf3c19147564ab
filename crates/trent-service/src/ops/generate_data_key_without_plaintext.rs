//! GenerateDataKeyWithoutPlaintext: as GenerateDataKey, but only the encrypted copy leaves the server.

use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::ops::generate_data_key::DataKeyRequest;
use crate::Service;

impl Service {
    /// GenerateDataKeyWithoutPlaintext. Returns the ciphertext blob and the key's ARN.
    pub async fn generate_data_key_without_plaintext(
        &self,
        ctx: &RequestContext,
        request: DataKeyRequest<'_>,
    ) -> Result<(Vec<u8>, String), ServiceError> {
        let (_plaintext, blob, arn) = self.make_data_key(ctx, request, "kms:GenerateDataKeyWithoutPlaintext").await?;
        Ok((blob, arn))
    }
}
