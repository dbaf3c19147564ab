//! The edge of VerifyMac: GenerateMac's members plus a MAC of 1 to 6144 bytes; answers `MacValid: true` or
//! `KMSInvalidMacException`.

use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::generate_mac::MacRequest;

/// Handles VerifyMac.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request = MacRequest::parse(body, true)?;
    let arn = service
        .verify_mac(ctx, request.key_id(), request.message(), request.algorithm(), request.mac(), request.dry_run())
        .await?;
    Ok(json!({ "KeyId": arn, "MacValid": true, "MacAlgorithm": request.algorithm() }))
}
