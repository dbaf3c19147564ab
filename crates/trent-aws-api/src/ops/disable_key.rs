//! The edge of DisableKey: takes a key ID or key ARN.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::required_key_id;
use crate::shapes::{response, Empty, Reply};

/// Handles DisableKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    service.disable_key(ctx, &required_key_id(body)?).await?;
    response(&Empty {})
}
