//! The edge of UpdateAlias: an alias name and a target key ID or key ARN, as CreateAlias.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::create_alias::alias_and_target;
use crate::shapes::{response, Empty, Reply};

/// Handles UpdateAlias.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (alias_name, target_key_id) = alias_and_target(body)?;
    service.update_alias(ctx, &alias_name, &target_key_id).await?;
    response(&Empty {})
}
