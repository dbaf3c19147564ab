//! The edge of ReEncrypt.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    ciphertext_blob: Option<Blob>,
    source_encryption_context: Option<BTreeMap<String, String>>,
    source_key_id: Option<String>,
    destination_key_id: Option<String>,
    destination_encryption_context: Option<BTreeMap<String, String>>,
    source_encryption_algorithm: Option<String>,
    destination_encryption_algorithm: Option<String>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// ReEncrypt's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response<'a> {
    ciphertext_blob: Base64Text,
    source_key_id: &'a str,
    key_id: &'a str,
    source_encryption_algorithm: &'static str,
    destination_encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_key_material_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_key_material_id: Option<String>,
}

names_key!(Response<'_>);

/// Handles ReEncrypt.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.required("ciphertextBlob", &request.ciphertext_blob).blob_length(
        "ciphertextBlob",
        request.ciphertext_blob.as_ref().map(|b| b.0.as_slice()),
        1,
        6144,
    );
    check_key_id(&mut v, "sourceKeyId", &request.source_key_id, false);
    check_key_id(&mut v, "destinationKeyId", &request.destination_key_id, true);
    v.one_of("sourceEncryptionAlgorithm", request.source_encryption_algorithm.as_deref(), ENCRYPTION_ALGORITHMS)
        .one_of(
            "destinationEncryptionAlgorithm",
            request.destination_encryption_algorithm.as_deref(),
            ENCRYPTION_ALGORITHMS,
        );
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    let input = trent_service::ops::re_encrypt::ReEncryptInput {
        ciphertext: request.ciphertext_blob.unwrap_or_default().0,
        source_context: context(request.source_encryption_context),
        source_key_id: request.source_key_id,
        destination_key_id: request.destination_key_id.unwrap_or_default(),
        destination_context: context(request.destination_encryption_context),
        source_algorithm: request.source_encryption_algorithm,
        destination_algorithm: request.destination_encryption_algorithm,
        dry_run: request.dry_run.unwrap_or(false),
    };
    let output = service.re_encrypt(ctx, input).await?;
    response(&Response {
        ciphertext_blob: base64(&output.ciphertext),
        source_key_id: &output.source_key_arn,
        key_id: &output.destination_key_arn,
        source_encryption_algorithm: output.source_algorithm.as_str(),
        destination_encryption_algorithm: output.destination_algorithm.as_str(),
        source_key_material_id: output.source_material.map(|(id, version)| trent_domain::key_material_id(id, version)),
        destination_key_material_id: output
            .destination_material
            .map(|(id, version)| trent_domain::key_material_id(id, version)),
    })
}
