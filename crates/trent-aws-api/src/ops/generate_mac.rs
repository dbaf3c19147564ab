//! The edge of GenerateMac: message 1 to 4096 bytes, a required MAC algorithm, DryRun; answers the MAC, the algorithm
//! and the key ARN.

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
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// Handles GenerateMac.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.required("message", &request.message).blob_length("message", request.message.as_ref().map(|b| b.0.as_slice()), 1, 4096);
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("macAlgorithm", &request.mac_algorithm).one_of("macAlgorithm", request.mac_algorithm.as_deref(), MAC_ALGORITHMS);
    check_grant_tokens(&mut v, request.grant_tokens.as_deref());
    v.finish()?;
    let algorithm = request.mac_algorithm.unwrap_or_default();
    let message = request.message.unwrap_or_default();
    let (mac, arn) =
        service.generate_mac(ctx, request.key_id.as_deref().unwrap_or_default(), &message.0, &algorithm, request.dry_run.unwrap_or(false)).await?;
    Ok(json!({ "Mac": base64(&mac), "MacAlgorithm": algorithm, "KeyId": arn }))
}
