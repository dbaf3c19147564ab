//! The edge of `Trent.GetDeletionProtection`: `{"KeyId": …}` answers `{"KeyId": <key ARN>, "DeletionProtection": <bool>}`.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{required_key_id, response, KeySwitch, Reply};

/// Handles `Trent.GetDeletionProtection`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let key = service.get_deletion_protection(ctx, &required_key_id(body)?).await?;
    response(&KeySwitch {
        key_id: &key.arn().to_string(),
        deletion_protection: Some(key.deletion_protection),
        cancel_on_use: None,
    })
}
