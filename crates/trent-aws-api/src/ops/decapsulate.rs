//! The edge of Decapsulate: KeyId, SharedSecretCiphertextBlob (1 to 6144 bytes), EncapsulationAlgorithm (ML_KEM),
//! DryRun; answers the shared secret, the algorithm and the key's ARN.

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::encapsulate::ENCAPSULATION_ALGORITHMS;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    shared_secret_ciphertext_blob: Option<Blob>,
    encapsulation_algorithm: Option<String>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// Decapsulate's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    shared_secret: Base64Text,
    encapsulation_algorithm: &'a str,
}

names_key!(Answer<'_>);

/// Handles Decapsulate.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    let ciphertext = request.shared_secret_ciphertext_blob.as_ref().map(|b| b.0.as_slice());
    v.required("sharedSecretCiphertextBlob", &request.shared_secret_ciphertext_blob).blob_length(
        "sharedSecretCiphertextBlob",
        ciphertext,
        1,
        6144,
    );
    v.required("encapsulationAlgorithm", &request.encapsulation_algorithm).one_of(
        "encapsulationAlgorithm",
        request.encapsulation_algorithm.as_deref(),
        ENCAPSULATION_ALGORITHMS,
    );
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    let algorithm = request.encapsulation_algorithm.as_deref().unwrap_or_default();
    let key_id = request.key_id.as_deref().unwrap_or_default();
    let (secret, arn) = service
        .decapsulate(ctx, key_id, ciphertext.unwrap_or_default(), algorithm, request.dry_run.unwrap_or(false))
        .await?;
    response(&Answer { key_id: &arn, shared_secret: base64(&secret), encapsulation_algorithm: algorithm })
}
