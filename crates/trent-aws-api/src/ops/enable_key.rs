//! The edge of EnableKey: takes a key ID or key ARN.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::required_key_id;
use crate::shapes::{response, Empty, Reply};

/// Handles EnableKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    service.enable_key(ctx, &required_key_id(body)?).await?;
    response(&Empty {})
}
