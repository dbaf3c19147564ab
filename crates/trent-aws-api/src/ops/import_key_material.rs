//! The edge of ImportKeyMaterial: a key ID or key ARN, `ImportToken` and `EncryptedKeyMaterial` (required, 1 to 6144
//! bytes), the expiration model (`KEY_MATERIAL_EXPIRES`, the default, needs `ValidTo`; `KEY_MATERIAL_DOES_NOT_EXPIRE`
//! refuses it), and for symmetric keys `ImportType`, `KeyMaterialDescription` and `KeyMaterialId`. Answers the key's
//! ARN and the material's ID.

use serde::{Deserialize, Serialize};
use trent_domain::Timestamp;
use trent_service::ops::import_key_material::{ImportInput, ImportType};
use trent_service::{RequestContext, Service, ServiceError};

use crate::error::AwsError;
use crate::shapes::{check_key_id, check_key_material_id, names_key, parse_body, response, Blob, Reply};
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    import_token: Option<Blob>,
    encrypted_key_material: Option<Blob>,
    valid_to: Option<f64>,
    expiration_model: Option<String>,
    import_type: Option<String>,
    key_material_description: Option<String>,
    key_material_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response {
    key_id: String,
    key_material_id: String,
}

names_key!(Response);

/// `KeyMaterialDescriptionType`'s pattern: `^[a-zA-Z0-9:/_\s.-]+$`.
fn description_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c.is_whitespace() || matches!(c, ':' | '/' | '_' | '.' | '-')
}

/// Handles ImportKeyMaterial.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("importToken", &request.import_token)
        .blob_length("importToken", request.import_token.as_ref().map(|b| b.0.as_slice()), 1, 6144)
        .required("encryptedKeyMaterial", &request.encrypted_key_material)
        .blob_length("encryptedKeyMaterial", request.encrypted_key_material.as_ref().map(|b| b.0.as_slice()), 1, 6144)
        .one_of(
            "expirationModel",
            request.expiration_model.as_deref(),
            &["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"],
        )
        .one_of("importType", request.import_type.as_deref(), &["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"])
        .length("keyMaterialDescription", request.key_material_description.as_deref(), 0, 256)
        .pattern(
            "keyMaterialDescription",
            request.key_material_description.as_deref(),
            "^[a-zA-Z0-9:/_\\s.-]+$",
            description_char,
        );
    check_key_material_id(&mut v, request.key_material_id.as_deref());
    v.finish()?;
    let valid_to = match (request.expiration_model.as_deref(), request.valid_to) {
        // Recorded (LocalStack's test_import_key_symmetric, validated against AWS): the default model needs a date.
        (None | Some("KEY_MATERIAL_EXPIRES"), None) => {
            return Err(ServiceError::Validation(
                "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES".to_owned(),
            )
            .into())
        }
        (None | Some("KEY_MATERIAL_EXPIRES"), Some(seconds)) => Some(timestamp(seconds)?),
        (_, Some(_)) => {
            return Err(ServiceError::Validation(
                "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE".to_owned(),
            )
            .into())
        }
        (_, None) => None,
    };
    let import_type = request.import_type.as_deref().map(|text| match text {
        "NEW_KEY_MATERIAL" => ImportType::NewKeyMaterial,
        _ => ImportType::ExistingKeyMaterial,
    });
    let (key, key_material_id) = service
        .import_key_material(
            ctx,
            ImportInput {
                key_id: request.key_id.unwrap_or_default(),
                import_token: request.import_token.unwrap_or_default().0,
                encrypted_key_material: request.encrypted_key_material.unwrap_or_default().0,
                valid_to,
                import_type,
                description: request.key_material_description,
                key_material_id: request.key_material_id,
            },
        )
        .await?;
    response(&Response { key_id: key.arn().to_string(), key_material_id })
}

/// A `DateType` member (epoch seconds) as a timestamp; a value no date can have is refused.
fn timestamp(seconds: f64) -> Result<Timestamp, AwsError> {
    let millis = (seconds * 1000.0).round();
    if !millis.is_finite() || millis.abs() > 1e15 {
        return Err(ServiceError::Validation("ValidTo is not a valid date.".to_owned()).into());
    }
    // In range: checked just above.
    #[allow(clippy::cast_possible_truncation)]
    Ok(Timestamp(millis as i64))
}
