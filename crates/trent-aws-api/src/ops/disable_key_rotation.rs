//! The edge of DisableKeyRotation: takes a key ID or key ARN.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{required_key_id, response, Empty, Reply};

/// Handles DisableKeyRotation.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    service.disable_key_rotation(ctx, &required_key_id(body)?).await?;
    response(&Empty {})
}
