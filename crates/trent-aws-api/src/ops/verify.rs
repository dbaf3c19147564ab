//! The edge of Verify: Sign's members plus a signature of 1 to 6144 bytes; answers `SignatureValid: true` or
//! `KMSInvalidSignatureException`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::sign::SigningRequest;

/// Handles Verify.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request = SigningRequest::parse(body, true)?;
    let signing = request.service_request();
    let arn = service.verify(ctx, signing, request.signature()).await?;
    Ok(json!({ "KeyId": arn, "SignatureValid": true, "SigningAlgorithm": signing.algorithm }))
}
