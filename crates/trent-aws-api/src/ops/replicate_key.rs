//! The edge of ReplicateKey: the primary's key ID or ARN and `ReplicaRegion` (required; the model's `RegionType`, 1 to
//! 32 characters of `^([a-z]+-){2,3}\d+$`), the replica's `Description`, `Policy` and `Tags`; answers
//! `ReplicaKeyMetadata`, `ReplicaPolicy` and, when tags were given, `ReplicaTags`.

use serde::{Deserialize, Serialize};
use trent_service::ops::replicate_key::ReplicateInput;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{
    check_key_id, check_region, parse_body, response, tags, KeyMetadata, Reply, Shape, TagEntry, WireTag,
};
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    replica_region: Option<String>,
    description: Option<String>,
    policy: Option<String>,
    bypass_policy_lockout_safety_check: Option<bool>,
    tags: Option<Vec<WireTag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Response<'a> {
    replica_key_metadata: KeyMetadata<'a>,
    replica_policy: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    replica_tags: Vec<TagEntry<'a>>,
}

impl Shape for Response<'_> {
    fn metadata_arn(&self) -> Option<&str> {
        Some(&self.replica_key_metadata.arn)
    }
}

/// Handles ReplicateKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    check_region(&mut v, "replicaRegion", &request.replica_region);
    v.length("description", request.description.as_deref(), 0, 8192).length(
        "policy",
        request.policy.as_deref(),
        1,
        131_072,
    );
    let tags = tags(&mut v, "tags", request.tags.as_deref());
    v.finish()?;
    let input = ReplicateInput {
        key_id: request.key_id.unwrap_or_default(),
        replica_region: request.replica_region.unwrap_or_default(),
        description: request.description,
        policy: request.policy,
        tags,
        bypass_policy_lockout_safety_check: request.bypass_policy_lockout_safety_check.unwrap_or(false),
    };
    let (replica, set) = service.replicate_key(ctx, input).await?;
    response(&Response {
        replica_key_metadata: KeyMetadata::of(&replica).in_set(replica.multi_region, &set),
        replica_policy: &replica.policy,
        replica_tags: TagEntry::all(&replica.tags),
    })
}
