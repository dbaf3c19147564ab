//! The edge of Encrypt: plaintext 1 to 4096 bytes, an optional encryption context and algorithm, DryRun.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    plaintext: Option<Blob>,
    encryption_context: Option<BTreeMap<String, String>>,
    grant_tokens: Option<Vec<String>>,
    encryption_algorithm: Option<String>,
    dry_run: Option<bool>,
}

/// Encrypt's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response<'a> {
    ciphertext_blob: Base64Text,
    key_id: &'a str,
    encryption_algorithm: &'static str,
}

names_key!(Response<'_>);

/// Handles Encrypt.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("plaintext", &request.plaintext).blob_length(
        "plaintext",
        request.plaintext.as_ref().map(|b| b.0.as_slice()),
        1,
        4096,
    );
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.one_of("encryptionAlgorithm", request.encryption_algorithm.as_deref(), ENCRYPTION_ALGORITHMS);
    v.finish()?;
    let plaintext = request.plaintext.unwrap_or_default();
    let encrypted = service
        .encrypt(
            ctx,
            request.key_id.as_deref().unwrap_or_default(),
            &plaintext.0,
            &context(request.encryption_context),
            request.encryption_algorithm.as_deref(),
            request.dry_run.unwrap_or(false),
        )
        .await?;
    response(&Response {
        ciphertext_blob: base64(&encrypted.ciphertext),
        key_id: &encrypted.key_arn,
        encryption_algorithm: encrypted.algorithm.as_str(),
    })
}
