//! The edge of GetParametersForImport: a key ID or key ARN, `WrappingAlgorithm` and `WrappingKeySpec` (both required);
//! answers the key's ARN, the wrapping public key (DER SubjectPublicKeyInfo, base64), the import token and
//! `ParametersValidTo`. `RSAES_PKCS1_V1_5` is in the model but AWS has refused it since 2023-10-10 (the model's own
//! documentation), and the SM2 algorithms exist only in AWS's China regions: each is `UnsupportedOperationException`.

use serde::{Deserialize, Serialize};
use trent_crypto::{WrappingAlgorithm, WrappingKeySpec};
use trent_service::{RequestContext, Service, ServiceError};

use crate::error::AwsError;
use crate::shapes::{base64, check_key_id, names_key, parse_body, response, Base64Text, Reply};
use crate::validate::Validator;

/// The model's `AlgorithmSpec` and `WrappingKeySpec` values.
const ALGORITHMS: &[&str] = &[
    "RSAES_PKCS1_V1_5",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
    "SM2PKE",
];
const KEY_SPECS: &[&str] = &["RSA_2048", "RSA_3072", "RSA_4096", "SM2"];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    wrapping_algorithm: Option<String>,
    wrapping_key_spec: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response {
    key_id: String,
    import_token: Base64Text,
    public_key: Base64Text,
    parameters_valid_to: f64,
}

names_key!(Response);

/// Handles GetParametersForImport.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("wrappingAlgorithm", &request.wrapping_algorithm)
        .one_of("wrappingAlgorithm", request.wrapping_algorithm.as_deref(), ALGORITHMS)
        .required("wrappingKeySpec", &request.wrapping_key_spec)
        .one_of("wrappingKeySpec", request.wrapping_key_spec.as_deref(), KEY_SPECS);
    v.finish()?;
    let algorithm_text = request.wrapping_algorithm.unwrap_or_default();
    let algorithm = WrappingAlgorithm::parse(&algorithm_text).ok_or_else(|| {
        ServiceError::Unsupported(format!(
            "The wrapping algorithm {algorithm_text} is not supported. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256."
        ))
    })?;
    let spec_text = request.wrapping_key_spec.unwrap_or_default();
    let spec = WrappingKeySpec::parse(&spec_text).ok_or_else(|| {
        ServiceError::Unsupported(format!(
            "The wrapping key spec {spec_text} is not supported. Use RSA_2048 to RSA_4096."
        ))
    })?;
    let issued =
        service.get_parameters_for_import(ctx, request.key_id.as_deref().unwrap_or_default(), algorithm, spec).await?;
    response(&Response {
        key_id: issued.key.arn().to_string(),
        import_token: base64(&issued.parameters.token),
        public_key: base64(&issued.parameters.public_key),
        parameters_valid_to: issued.valid_to.epoch_seconds(),
    })
}
