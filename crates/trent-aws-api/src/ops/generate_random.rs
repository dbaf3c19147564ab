//! The edge of GenerateRandom: NumberOfBytes 1 to 1024.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::{AwsError, AwsErrorCode};
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    number_of_bytes: Option<i64>,
    custom_key_store_id: Option<String>,
    recipient: Option<Value>,
}

/// GenerateRandom's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    plaintext: Base64Text,
}

impl Shape for Answer {}

/// Handles GenerateRandom.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    // The model does not mark NumberOfBytes required; AWS refuses its absence with its own sentence (recorded:
    // LocalStack's test_generate_random_invalid_number_of_bytes[None]).
    if request.number_of_bytes.is_none() {
        return Err(AwsError::new(AwsErrorCode::ValidationException, "NumberOfBytes is required."));
    }
    v.range("numberOfBytes", request.number_of_bytes, 1, 1024);
    v.length("customKeyStoreId", request.custom_key_store_id.as_deref(), 1, 64);
    v.finish()?;
    refuse_recipient(request.recipient.as_ref())?;
    // The range check above guarantees 1 to 1024.
    let length = request.number_of_bytes.and_then(|n| usize::try_from(n).ok()).unwrap_or_default();
    let bytes = service.generate_random(ctx, length, request.custom_key_store_id.as_deref()).await?;
    response(&Answer { plaintext: base64(&bytes) })
}
