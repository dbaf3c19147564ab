//! The edge of Encapsulate: KeyId, EncapsulationAlgorithm (ML_KEM), DryRun; answers the shared secret, its ciphertext
//! (`SharedSecretCiphertextBlob`), the algorithm and the key's ARN.

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

/// The model's `EncapsulationAlgorithmSpec`.
pub const ENCAPSULATION_ALGORITHMS: &[&str] = &["ML_KEM"];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    encapsulation_algorithm: Option<String>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// Encapsulate's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    shared_secret: Base64Text,
    shared_secret_ciphertext_blob: Base64Text,
    encapsulation_algorithm: &'a str,
}

names_key!(Answer<'_>);

/// Handles Encapsulate.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("encapsulationAlgorithm", &request.encapsulation_algorithm).one_of(
        "encapsulationAlgorithm",
        request.encapsulation_algorithm.as_deref(),
        ENCAPSULATION_ALGORITHMS,
    );
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    let algorithm = request.encapsulation_algorithm.as_deref().unwrap_or_default();
    let (ciphertext, secret, arn) = service
        .encapsulate(ctx, request.key_id.as_deref().unwrap_or_default(), algorithm, request.dry_run.unwrap_or(false))
        .await?;
    response(&Answer {
        key_id: &arn,
        shared_secret: base64(&secret),
        shared_secret_ciphertext_blob: base64(&ciphertext),
        encapsulation_algorithm: algorithm,
    })
}
