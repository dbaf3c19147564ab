//! The edge of GenerateDataKeyPairWithoutPlaintext: the members of GenerateDataKeyPair; the private key is returned
//! only encrypted.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::generate_data_key_pair::DataKeyPairMembers;
use crate::shapes::base64;

/// Handles GenerateDataKeyPairWithoutPlaintext.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let (members, context) = DataKeyPairMembers::parse(body)?;
    let request = members.service_request(&context);
    let pair = service.generate_data_key_pair_without_plaintext(ctx, request).await?;
    Ok(json!({
        "PrivateKeyCiphertextBlob": base64(&pair.private_key_ciphertext),
        "PublicKey": base64(&pair.public_key),
        "KeyId": pair.key_arn,
        "KeyPairSpec": request.pair_spec,
    }))
}
