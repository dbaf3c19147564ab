//! The edge of GetPublicKey: answers the public key (DER SubjectPublicKeyInfo), the key's spec and usage, and its
//! algorithms, as AWS does.

use serde::Deserialize;
use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    grant_tokens: Option<Vec<String>>,
}

/// Handles GetPublicKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    let (loaded, der) = service.get_public_key(ctx, request.key_id.as_deref().unwrap_or_default()).await?;
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
