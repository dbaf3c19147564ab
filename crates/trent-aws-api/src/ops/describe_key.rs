//! The edge of DescribeKey.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;

/// Handles DescribeKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let key = service.describe_key(ctx, &key_with_grant_tokens(body)?).await?;
    let set = service.multi_region_set(&key).await?;
    response(&KeyMetadataResponse { key_metadata: KeyMetadata::of(&key).in_set(key.multi_region, &set) })
}
