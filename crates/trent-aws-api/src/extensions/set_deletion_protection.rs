//! The edge of `Trent.SetDeletionProtection`: `{"KeyId": …, "Enabled": true|false}` answers
//! `{"KeyId": <key ARN>, "DeletionProtection": <bool>}`.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{key_toggle, response, KeySwitch, Reply};

/// Handles `Trent.SetDeletionProtection`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (key_id, enabled) = key_toggle(body)?;
    let key = service.set_deletion_protection(ctx, &key_id, enabled, None).await?;
    response(&KeySwitch {
        key_id: &key.arn().to_string(),
        deletion_protection: Some(key.deletion_protection),
        cancel_on_use: None,
    })
}
