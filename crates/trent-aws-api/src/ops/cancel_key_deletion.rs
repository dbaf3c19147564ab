//! The edge of CancelKeyDeletion: takes a key ID or key ARN; answers with the key ARN.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{required_key_id, response, KeyIdAnswer, Reply};

/// Handles CancelKeyDeletion.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let key = service.cancel_key_deletion(ctx, &required_key_id(body)?).await?;
    response(&KeyIdAnswer { key_id: &key.arn().to_string() })
}
