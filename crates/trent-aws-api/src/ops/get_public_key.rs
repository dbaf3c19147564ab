//! The edge of GetPublicKey: answers the public key (DER SubjectPublicKeyInfo), the key's spec and usage, and its
//! algorithms, as AWS does.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// Handles GetPublicKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let (loaded, der) = service.get_public_key(ctx, &key_with_grant_tokens(body)?).await?;
    let key = &loaded.key;
    Ok(json!({
        "KeyId": key.arn().to_string(),
        "PublicKey": base64(&der),
        "CustomerMasterKeySpec": key.spec.as_str(),
        "KeySpec": key.spec.as_str(),
        "KeyUsage": key.usage.as_str(),
        "SigningAlgorithms": key.spec.signing_algorithms(),
    }))
}
