//! The edge of ListKeyRotations: a key's rotations, oldest first, paged (`Limit` 1 to 1000, default 100); with
//! `IncludeKeyMaterial: ALL_KEY_MATERIAL` its first material too, and which material is current. Entries of a key with
//! imported material say whether it is imported now, whether and when it expires, and its description (the model:
//! "only present for symmetric encryption KMS keys with EXTERNAL origin").

use serde::{Deserialize, Serialize};
use trent_domain::Key;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{check_key_id, check_marker, expiration_model, parse_body, response, Page, Reply};
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    include_key_material: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

/// One entry of `Rotations`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    key_id: String,
    key_material_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_to: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_type: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Rotations {
    rotations: Vec<Entry>,
}

/// The entries of `key`: each rotation, and with `all_materials` the first material and any imported material pending
/// rotation as well, each with its state.
fn entries(key: &Key, all_materials: bool) -> Vec<Entry> {
    key.materials()
        .into_iter()
        .filter(|material| all_materials || material.rotation_type.is_some())
        .map(|material| Entry {
            key_id: key.id.to_string(),
            import_state: material.import_state(),
            key_material_description: material
                .imported
                .as_ref()
                .map(|i| i.description.clone())
                .filter(|d| !d.is_empty()),
            key_material_state: all_materials.then(|| material.state.as_str()),
            expiration_model: material.imported.as_ref().map(|i| expiration_model(i.valid_to)),
            valid_to: material.imported.as_ref().and_then(|i| i.valid_to).map(|valid_to| valid_to.epoch_seconds()),
            rotation_date: material.rotation_type.map(|_| material.created_at.epoch_seconds()),
            rotation_type: material.rotation_type.map(|rotation_type| rotation_type.as_str()),
            key_material_id: material.key_material_id,
        })
        .collect()
}

/// Handles ListKeyRotations.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.one_of("includeKeyMaterial", request.include_key_material.as_deref(), &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"])
        .range("limit", request.limit, 1, 1000);
    check_marker(&mut v, request.marker.as_deref());
    v.finish()?;
    let key = service.key_rotations(ctx, request.key_id.as_deref().unwrap_or_default(), "kms:ListKeyRotations").await?;
    let all = entries(&key, request.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL"));
    let limit = request.limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(100);
    let (page, next) = trent_service::ops::page(&all, limit, request.marker.as_deref())?;
    response(&Page::new(Rotations { rotations: page }, next))
}
