//! The edge of `Trent.SetCancelOnUse`: `{"KeyId": …, "Enabled": true|false}` answers
//! `{"KeyId": <key ARN>, "CancelOnUse": <bool>}`.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{key_toggle, response, KeySwitch, Reply};

/// Handles `Trent.SetCancelOnUse`.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (key_id, enabled) = key_toggle(body)?;
    let key = service.set_cancel_on_use(ctx, &key_id, enabled).await?;
    response(&KeySwitch {
        key_id: &key.arn().to_string(),
        deletion_protection: None,
        cancel_on_use: Some(key.cancel_on_use),
    })
}
