//! The edge of DeleteImportedKeyMaterial: a key ID or key ARN and, optionally, the `KeyMaterialId` to delete (64
//! lower-case hexadecimal digits); answers the key's ARN and the ID of the material it held.

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{check_key_id, check_key_material_id, names_key, parse_body, response, Reply};
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    key_material_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response {
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

names_key!(Response);

/// Handles DeleteImportedKeyMaterial.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    check_key_material_id(&mut v, request.key_material_id.as_deref());
    v.finish()?;
    let (key, material) = service
        .delete_imported_key_material(
            ctx,
            request.key_id.as_deref().unwrap_or_default(),
            request.key_material_id.as_deref(),
        )
        .await?;
    response(&Response { key_id: key.arn().to_string(), key_material_id: material })
}
