//! The edge of DeriveSharedSecret: KeyId, KeyAgreementAlgorithm (ECDH), the peer's PublicKey (1 to 8192 bytes of DER
//! SubjectPublicKeyInfo), DryRun; answers the raw shared secret, the algorithm and the key's origin.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    key_agreement_algorithm: Option<String>,
    public_key: Option<Blob>,
    grant_tokens: Option<Vec<String>>,
    recipient: Option<Value>,
    dry_run: Option<bool>,
}

/// The model's `KeyAgreementAlgorithmSpec`.
const KEY_AGREEMENT_ALGORITHMS: &[&str] = &["ECDH"];

/// DeriveSharedSecret's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    shared_secret: Base64Text,
    key_agreement_algorithm: &'a str,
    key_origin: &'a str,
}

names_key!(Answer<'_>);

/// Handles DeriveSharedSecret.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("keyAgreementAlgorithm", &request.key_agreement_algorithm).one_of(
        "keyAgreementAlgorithm",
        request.key_agreement_algorithm.as_deref(),
        KEY_AGREEMENT_ALGORITHMS,
    );
    v.required("publicKey", &request.public_key).blob_length(
        "publicKey",
        request.public_key.as_ref().map(|b| b.0.as_slice()),
        1,
        8192,
    );
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    refuse_recipient(request.recipient.as_ref())?;
    let algorithm = request.key_agreement_algorithm.as_deref().unwrap_or_default();
    let peer = request.public_key.as_ref().map(|b| b.0.as_slice()).unwrap_or_default();
    let derived = service
        .derive_shared_secret(
            ctx,
            request.key_id.as_deref().unwrap_or_default(),
            algorithm,
            peer,
            request.dry_run.unwrap_or(false),
        )
        .await?;
    response(&Answer {
        key_id: &derived.key_arn,
        shared_secret: base64(&derived.secret),
        key_agreement_algorithm: algorithm,
        key_origin: derived.key_origin,
    })
}
