//! The edge of GenerateDataKeyPairWithoutPlaintext: the members of GenerateDataKeyPair; the private key is returned
//! only encrypted.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::generate_data_key_pair::{DataKeyPairAnswer, DataKeyPairMembers};
use crate::shapes::{base64, response, Reply};

/// Handles GenerateDataKeyPairWithoutPlaintext.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (members, context) = DataKeyPairMembers::parse(body)?;
    let request = members.service_request(&context);
    let pair = service.generate_data_key_pair_without_plaintext(ctx, request).await?;
    response(&DataKeyPairAnswer {
        private_key_ciphertext_blob: base64(&pair.private_key_ciphertext),
        private_key_plaintext: None,
        public_key: base64(&pair.public_key),
        key_id: &pair.key_arn,
        key_pair_spec: request.pair_spec,
    })
}
