//! The edge of GetPublicKey: answers the public key (DER SubjectPublicKeyInfo), the key's spec and usage, and its
//! algorithms, as AWS does.

use serde_json::{json, Map, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// Handles GetPublicKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let (loaded, der) = service.get_public_key(ctx, &key_with_grant_tokens(body)?).await?;
    let key = &loaded.key;
    let mut response = Map::new();
    response.insert("KeyId".into(), json!(key.arn().to_string()));
    response.insert("PublicKey".into(), json!(base64(&der)));
    response.insert("CustomerMasterKeySpec".into(), json!(key.spec.as_str()));
    response.insert("KeySpec".into(), json!(key.spec.as_str()));
    response.insert("KeyUsage".into(), json!(key.usage.as_str()));
    insert_algorithms(&mut response, key);
    Ok(Value::Object(response))
}
