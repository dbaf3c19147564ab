//! GenerateDataKeyPairWithoutPlaintext: as GenerateDataKeyPair, but the private key leaves the server only encrypted.

use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::ops::generate_data_key_pair::{DataKeyPair, DataKeyPairRequest};
use crate::Service;

impl Service {
    /// GenerateDataKeyPairWithoutPlaintext; the caller drops `private_key`, which never reaches the wire.
    pub async fn generate_data_key_pair_without_plaintext(
        &self,
        ctx: &RequestContext,
        request: DataKeyPairRequest<'_>,
    ) -> Result<DataKeyPair, ServiceError> {
        self.make_data_key_pair(ctx, request, "GenerateDataKeyPairWithoutPlaintext").await
    }
}
