//! The edge of Verify: Sign's members plus a signature of 1 to 6144 bytes; answers `SignatureValid: true` or
//! `KMSInvalidSignatureException`.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::sign::SigningRequest;
use crate::shapes::{names_key, response, Reply};

/// Verify's answer (a signature that does not verify is an error instead).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    signature_valid: bool,
    signing_algorithm: &'a str,
}

names_key!(Answer<'_>);

/// Handles Verify.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = SigningRequest::parse(body, true)?;
    let signing = request.service_request();
    let arn = service.verify(ctx, signing, request.signature()).await?;
    response(&Answer { key_id: &arn, signature_valid: true, signing_algorithm: signing.algorithm })
}
