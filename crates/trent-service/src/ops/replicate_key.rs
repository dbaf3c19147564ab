//! ReplicateKey, and what a multi-Region key's set is: a primary key (`CreateKey` with `MultiRegion: true`, its ID
//! `mrk-…`) and its replicas, one per region, each a key of its own (state, description, policy, tags) with the same
//! ID and the same materials, so a ciphertext made under any of them decrypts under any other, in its own region.
//! The set is every key of the account with that ID; nothing else records it. A primary whose deletion is scheduled
//! while replicas remain waits for them (see [`DeletionSchedule`]).
//!
//! Rotation is the primary's: its new materials reach every replica in the same transaction (see
//! `Service::replicas_following`). A primary's guided retirement retires the whole set, replicas first (see
//! `Service::start_key_retirement`).

use trent_domain::{Action, Arn, DeletionSchedule, Key, KeyState, MultiRegionKeyType, Region, Tag, Timestamp};

use crate::authorize::{authorize, authorize_new_key, check_lockout};
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::new_key_policy_and_tags;
use crate::Service;

/// ReplicateKey's input, after the edge checked the model's constraints.
#[derive(Debug, Clone, Default)]
pub struct ReplicateInput {
    /// The primary key's ID or ARN.
    pub key_id: String,
    /// The region of the new replica.
    pub replica_region: String,
    /// The replica's description.
    pub description: Option<String>,
    /// The replica's key policy; AWS's default policy when absent.
    pub policy: Option<String>,
    /// The replica's tags.
    pub tags: Vec<Tag>,
    /// BypassPolicyLockoutSafetyCheck: accept a replica policy that would not let the caller change it later.
    pub bypass_policy_lockout_safety_check: bool,
}

/// Refuses to change the rotation of a multi-Region replica: "To enable or disable automatic rotation of a set of
/// related multi-Region keys, set the property on the primary key", and on-demand rotation likewise (the API
/// reference; AWS's error for a replica is unrecorded: Trent's sentence).
pub(crate) fn refuse_rotating_a_replica(key: &Key) -> Result<(), ServiceError> {
    if key.multi_region == Some(MultiRegionKeyType::Replica) {
        return Err(ServiceError::Unsupported(format!(
            "{} is a multi-Region replica key: rotate its primary key, whose materials every replica shares.",
            key.arn()
        )));
    }
    Ok(())
}

impl Service {
    /// Every key of `key`'s multi-Region set, in region order; just `key` for a single-Region key. A key past its
    /// deletion date is gone, whether or not the deletion worker has removed it yet.
    pub async fn multi_region_set(&self, key: &Key) -> Result<Vec<Key>, ServiceError> {
        if key.multi_region.is_none() {
            return Ok(vec![key.clone()]);
        }
        let now = self.clock.now();
        let set = self.store.keys_in_every_region(&key.account, key.id).await?;
        Ok(set.into_iter().filter(|member| !member.is_due_for_deletion(now)).collect())
    }

    /// How a deletion of `key` asked for at `now` with a waiting period of `pending_window_days` is scheduled: a
    /// multi-Region primary with replicas waits for them. A replica counts until its row is gone, even past its date
    /// (its deletion can still be cancelled by a node whose clock is behind), so that the decision rests on what is
    /// stored, not on the clock. Every path that schedules a deletion asks this, in the attempt that writes the key.
    pub(crate) async fn deletion_schedule(
        &self,
        key: &Key,
        now: Timestamp,
        pending_window_days: i64,
    ) -> Result<DeletionSchedule, ServiceError> {
        let replicas = match key.multi_region {
            Some(MultiRegionKeyType::Primary) => {
                self.store.keys_in_every_region(&key.account, key.id).await?.len().saturating_sub(1)
            }
            _ => 0,
        };
        Ok(DeletionSchedule::new(now, pending_window_days, replicas))
    }

    /// ReplicateKey: a replica of the primary key in another region the deployment serves. Returns the replica as
    /// stored, and the whole set after it. The primary is written with the replica (see
    /// [`trent_store::KeyStore::create_replica`]), read afresh after a lost race.
    pub async fn replicate_key(
        &self,
        ctx: &RequestContext,
        input: ReplicateInput,
    ) -> Result<(Key, Vec<Key>), ServiceError> {
        for _ in 0..crate::WRITE_ATTEMPTS {
            let primary = self.load_for_write(ctx, &input.key_id).await?;
            let replica = self.replica_of(ctx, &primary, &input)?;
            let replicated = self
                .api_event(ctx, "ReplicateKey", &primary)
                .with_parameter("replicaRegion", replica.region.as_str())
                .with_response("replicaKeyArn", replica.arn().to_string());
            let created = self.api_event(ctx, "CreateKey", &replica).with_parameter("multiRegionKeyType", "REPLICA");
            let mark = self.cache.mark();
            let primary = match self.store.create_replica(&primary, &replica, &created, &replicated).await {
                Ok(primary) => primary,
                Err(trent_store::StoreError::Conflict) => continue,
                // AWS's text, as its SDKs have reported it (pulumi-aws-native #184, aws-cdk #21203).
                Err(trent_store::StoreError::KeyExists) => {
                    return Err(ServiceError::AlreadyExists(
                        "You can create only one replica of each primary key in each AWS Region.".to_owned(),
                    ))
                }
                Err(other) => return Err(other.into()),
            };
            self.cache.remember(&primary, &self.root_key, mark)?;
            self.cache.remember(&replica, &self.root_key, mark)?;
            tracing::info!(event = "ReplicateKey", key_arn = %primary.arn(), replica_region = %replica.region, "multi-Region key replicated");
            let set = self.multi_region_set(&primary).await?;
            return Ok((replica, set));
        }
        Err(ServiceError::Internal("too many concurrent changes to one key".to_owned()))
    }

    /// The replica `input` asks for of `primary`, or why there can be none.
    fn replica_of(&self, ctx: &RequestContext, primary: &Key, input: &ReplicateInput) -> Result<Key, ServiceError> {
        authorize(ctx, "kms:ReplicateKey", primary)?;
        // Recorded against AWS for a replica (LocalStack's test_replicate_replica_key_should_fail); a single-Region key
        // gets the same sentence, which is as true of it.
        if primary.multi_region != Some(MultiRegionKeyType::Primary) {
            return Err(ServiceError::Unsupported(format!("{} is not a multi-region primary key.", primary.arn())));
        }
        check_state(primary, Action::ReplicateKey)?;
        let region = Region::parse(&input.replica_region)
            .filter(|region| self.settings.regions.as_ref().is_none_or(|served| served.contains(region)))
            .ok_or_else(|| {
                ServiceError::Validation(format!("{} is not a region this deployment serves.", input.replica_region))
            })?;
        // A set lives in one partition (aws, aws-cn, aws-us-gov), as AWS's does; the text is unconfirmed.
        if Arn::key(&region, &primary.account, primary.id).partition != primary.arn().partition {
            return Err(ServiceError::Validation(
                "The replica key Region must be in the same AWS partition as the primary key Region.".to_owned(),
            ));
        }
        if region == primary.region {
            return Err(ServiceError::Validation(format!(
                "{region} cannot have a replica because it contains the primary."
            )));
        }
        let (policy, tags) = new_key_policy_and_tags(ctx.account(), input.policy.clone(), &input.tags)?;
        let mut replica = Key {
            region,
            created_at: self.clock.now(),
            description: input.description.clone().unwrap_or_default(),
            state: KeyState::Enabled,
            tags,
            policy,
            deletion_protection: self.settings.deletion_protection_by_default,
            deletion_protection_description: String::new(),
            cancel_on_use: false,
            // Automatic rotation is the primary's to do.
            rotation_schedule: None,
            multi_region: Some(MultiRegionKeyType::Replica),
            version: 1,
            ..primary.clone()
        };
        replica.take_replica_materials_of(primary);
        // The replica is a new key in its region: AWS asks for kms:CreateKey there (and kms:TagResource for its tags).
        authorize_new_key(ctx, &replica)?;
        // The lockout check is for a policy the caller wrote; AWS's default policy is installed as it is.
        check_lockout(ctx, &replica, input.bypass_policy_lockout_safety_check || input.policy.is_none())?;
        Ok(replica)
    }
}
