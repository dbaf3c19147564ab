//! The edge of GetKeyRotationStatus: whether the key rotates by itself (not yet: automatic rotation is still to come,
//! so `false`, as AWS answers for a key pending deletion too), for keys whose material rotates.

use serde::Serialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{names_key, required_key_id, response, Reply};

/// GetKeyRotationStatus' answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response<'a> {
    key_rotation_enabled: bool,
    key_id: &'a str,
}

names_key!(Response<'_>);

/// Handles GetKeyRotationStatus.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let key = service.key_rotations(ctx, &required_key_id(body)?, "kms:GetKeyRotationStatus").await?;
    response(&Response { key_rotation_enabled: false, key_id: &key.arn().to_string() })
}
