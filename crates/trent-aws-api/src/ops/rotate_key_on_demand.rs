//! The edge of RotateKeyOnDemand: takes a key ID or key ARN, answers the key's ARN.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{required_key_id, response, KeyIdAnswer, Reply};

/// Handles RotateKeyOnDemand.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let key = service.rotate_key_on_demand(ctx, &required_key_id(body)?).await?;
    response(&KeyIdAnswer { key_id: &key.arn().to_string() })
}
