//! The edge of Decrypt: KeyId optional for a symmetric ciphertext (the blob names its key), required for an RSA one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    ciphertext_blob: Option<Blob>,
    encryption_context: Option<BTreeMap<String, String>>,
    grant_tokens: Option<Vec<String>>,
    key_id: Option<String>,
    encryption_algorithm: Option<String>,
    recipient: Option<Value>,
    dry_run: Option<bool>,
}

/// Decrypt's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response<'a> {
    key_id: &'a str,
    plaintext: Base64Text,
    encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

names_key!(Response<'_>);

/// Handles Decrypt.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.required("ciphertextBlob", &request.ciphertext_blob).blob_length(
        "ciphertextBlob",
        request.ciphertext_blob.as_ref().map(|b| b.0.as_slice()),
        1,
        6144,
    );
    check_key_id(&mut v, "keyId", &request.key_id, false);
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.one_of("encryptionAlgorithm", request.encryption_algorithm.as_deref(), ENCRYPTION_ALGORITHMS);
    v.finish()?;
    refuse_recipient(request.recipient.as_ref())?;
    let blob = request.ciphertext_blob.unwrap_or_default();
    let decrypted = service
        .decrypt(
            ctx,
            &blob.0,
            &context(request.encryption_context),
            request.key_id.as_deref(),
            request.encryption_algorithm.as_deref(),
            request.dry_run.unwrap_or(false),
        )
        .await?;
    response(&Response {
        key_id: &decrypted.key_arn,
        plaintext: base64(&decrypted.plaintext),
        encryption_algorithm: decrypted.algorithm.as_str(),
        key_material_id: key_material_id(decrypted.algorithm, &blob.0),
    })
}
