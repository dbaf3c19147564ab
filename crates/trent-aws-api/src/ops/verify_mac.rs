//! The edge of VerifyMac: GenerateMac's members plus a MAC of 1 to 6144 bytes; answers `MacValid: true` or
//! `KMSInvalidMacException`.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::generate_mac::MacRequest;
use crate::shapes::{names_key, response, Reply};

/// VerifyMac's answer (a MAC that does not match is an error instead).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    key_id: &'a str,
    mac_valid: bool,
    mac_algorithm: &'a str,
}

names_key!(Answer<'_>);

/// Handles VerifyMac.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = MacRequest::parse(body, true)?;
    let arn = service
        .verify_mac(ctx, request.key_id(), request.message(), request.algorithm(), request.mac(), request.dry_run())
        .await?;
    response(&Answer { key_id: &arn, mac_valid: true, mac_algorithm: request.algorithm() })
}
