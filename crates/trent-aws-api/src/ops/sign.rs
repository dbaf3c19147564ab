//! The edge of Sign: message 1 to 4096 bytes, `MessageType` RAW (default) or DIGEST, a required signing algorithm,
//! DryRun; answers the DER signature, the algorithm and the key ARN. Also the request shape Verify shares.

use serde::{Deserialize, Serialize};
use trent_service::ops::sign::{MessageType, SignRequest};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

/// The members Sign and Verify share (Verify adds `Signature`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SigningRequest {
    key_id: Option<String>,
    message: Option<Blob>,
    message_type: Option<String>,
    signing_algorithm: Option<String>,
    signature: Option<Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl SigningRequest {
    /// Parses and checks the shared members; `with_signature` for Verify.
    pub fn parse(body: &[u8], with_signature: bool) -> Result<Self, AwsError> {
        let request: SigningRequest = parse_body(body)?;
        let mut v = Validator::new();
        check_key_id(&mut v, "keyId", &request.key_id, true);
        v.required("message", &request.message).blob_length(
            "message",
            request.message.as_ref().map(|b| b.0.as_slice()),
            1,
            4096,
        );
        v.one_of("messageType", request.message_type.as_deref(), MESSAGE_TYPES);
        if with_signature {
            v.required("signature", &request.signature).blob_length(
                "signature",
                request.signature.as_ref().map(|b| b.0.as_slice()),
                1,
                6144,
            );
        }
        v.required("signingAlgorithm", &request.signing_algorithm).one_of(
            "signingAlgorithm",
            request.signing_algorithm.as_deref(),
            SIGNING_ALGORITHMS,
        );
        check_grant_tokens(&mut v, request.grant_tokens.as_deref());
        v.finish()?;
        Ok(request)
    }

    /// The service's view of the request.
    pub fn service_request(&self) -> SignRequest<'_> {
        SignRequest {
            key_id: self.key_id.as_deref().unwrap_or_default(),
            message: self.message.as_ref().map(|m| m.0.as_slice()).unwrap_or_default(),
            message_type: match self.message_type.as_deref() {
                Some("DIGEST") => MessageType::Digest,
                Some("EXTERNAL_MU") => MessageType::ExternalMu,
                _ => MessageType::Raw,
            },
            algorithm: self.signing_algorithm.as_deref().unwrap_or_default(),
            dry_run: self.dry_run.unwrap_or(false),
        }
    }

    /// The signature to verify (Verify only; empty otherwise).
    pub fn signature(&self) -> &[u8] {
        self.signature.as_ref().map(|s| s.0.as_slice()).unwrap_or_default()
    }
}

/// Sign's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    signature: Base64Text,
    signing_algorithm: &'a str,
}

names_key!(Answer<'_>);

/// Handles Sign.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = SigningRequest::parse(body, false)?;
    let signing = request.service_request();
    let (signature, arn) = service.sign(ctx, signing).await?;
    response(&Answer { key_id: &arn, signature: base64(&signature), signing_algorithm: signing.algorithm })
}
