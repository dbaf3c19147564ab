//! The edge of VerifyMac: message 1 to 4096 bytes, MAC 1 to 6144 bytes, a required MAC algorithm, DryRun; answers
//! `MacValid: true` or `KMSInvalidMacException`.

use serde::Deserialize;
use serde_json::{json, Value};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    message: Option<Blob>,
    mac_algorithm: Option<String>,
    mac: Option<Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// Handles VerifyMac.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.required("message", &request.message).blob_length("message", request.message.as_ref().map(|b| b.0.as_slice()), 1, 4096);
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("macAlgorithm", &request.mac_algorithm).one_of("macAlgorithm", request.mac_algorithm.as_deref(), MAC_ALGORITHMS);
    v.required("mac", &request.mac).blob_length("mac", request.mac.as_ref().map(|b| b.0.as_slice()), 1, 6144);
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    let algorithm = request.mac_algorithm.unwrap_or_default();
    let (message, mac) = (request.message.unwrap_or_default(), request.mac.unwrap_or_default());
    let arn = service
        .verify_mac(ctx, request.key_id.as_deref().unwrap_or_default(), &message.0, &algorithm, &mac.0, request.dry_run.unwrap_or(false))
        .await?;
    Ok(json!({ "KeyId": arn, "MacValid": true, "MacAlgorithm": algorithm }))
}
