//! The edge of GetPublicKey: answers the public key (DER SubjectPublicKeyInfo), the key's spec and usage, and its
//! algorithms, as AWS does.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// GetPublicKey's answer (the model's `GetPublicKeyResponse`, in its member order).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response<'a> {
    key_id: String,
    public_key: Base64Text,
    customer_master_key_spec: &'a str,
    key_spec: &'a str,
    key_usage: &'a str,
    #[serde(flatten)]
    algorithms: Algorithms,
}

names_key!(Response<'_>);

/// Handles GetPublicKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (loaded, der) = service.get_public_key(ctx, &key_with_grant_tokens(body)?).await?;
    let key = &loaded.key;
    response(&Response {
        key_id: key.arn().to_string(),
        public_key: base64(&der),
        customer_master_key_spec: key.spec.as_str(),
        key_spec: key.spec.as_str(),
        key_usage: key.usage.as_str(),
        algorithms: Algorithms::of(key),
    })
}
