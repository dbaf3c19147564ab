//! UpdatePrimaryRegion: the replica in another region becomes its multi-Region key's primary and the primary becomes a
//! replica. Only the roles and what belongs to the primary move (automatic rotation, which "you can enable and disable
//! only on the primary key"); each key keeps its own state, description, policy and tags, and other replicas follow
//! the new primary as they are (the set is every key with the ID). Both keys change in one transaction, so the
//! transient `Updating` state AWS shows for a few seconds while its regions catch up never exists here.

use trent_domain::{Action, Key, MultiRegionKeyType, Region};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::resolve::not_found;
use crate::Service;

impl Service {
    /// UpdatePrimaryRegion: the key `key_id` names (the primary) and its replica in `primary_region` swap roles.
    pub async fn update_primary_region(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        primary_region: &str,
    ) -> Result<(), ServiceError> {
        for _ in 0..crate::WRITE_ATTEMPTS {
            let mark = self.cache.mark();
            let primary = self.load_for_write(ctx, key_id).await?;
            let replica = self.replica_to_promote(ctx, &primary, primary_region).await?;
            let (demoted, promoted) = swap_roles(primary, replica);
            let event = |key: &Key| {
                self.api_event(ctx, "UpdatePrimaryRegion", key).with_parameter("primaryRegion", primary_region)
            };
            let changes = [(demoted.clone(), Some(event(&demoted))), (promoted.clone(), Some(event(&promoted)))];
            match self.store.update_keys(&changes).await {
                Ok(stored) => {
                    for key in &stored {
                        self.cache.remember(key, &self.root_key, mark)?;
                    }
                    tracing::info!(event = "UpdatePrimaryRegion", key_arn = %promoted.arn(), former_primary = %demoted.arn(), "primary Region of a multi-Region key changed");
                    return Ok(());
                }
                Err(trent_store::StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Internal("too many concurrent changes to one key".to_owned()))
    }

    /// The replica of `primary` in `region` that may become primary, or why there is none.
    async fn replica_to_promote(&self, ctx: &RequestContext, primary: &Key, region: &str) -> Result<Key, ServiceError> {
        authorize(ctx, "kms:UpdatePrimaryRegion", primary)?;
        // ReplicateKey's recorded sentence for a key that is not a primary (no recording of this operation's).
        if primary.multi_region != Some(MultiRegionKeyType::Primary) {
            return Err(ServiceError::Unsupported(format!("{} is not a multi-region primary key.", primary.arn())));
        }
        check_state(primary, Action::UpdatePrimaryRegion)?;
        let region = Region::parse(region)
            .ok_or_else(|| ServiceError::Validation(format!("{region} is not a valid region name.")))?;
        if region == primary.region {
            return Err(ServiceError::Unsupported(format!(
                "{} is already the primary key of its multi-Region key.",
                primary.arn()
            )));
        }
        // "There must be an existing replica key in this Region" (the API reference): else it is not found, as any key.
        let arn = trent_domain::Arn::key(&region, &primary.account, primary.id).to_string();
        let now = self.clock.now();
        let replica = self
            .store
            .get_key(&primary.account, &region, primary.id)
            .await?
            .filter(|replica| !replica.is_due_for_deletion(now))
            .ok_or_else(|| not_found(&arn))?;
        // AWS asks for kms:UpdatePrimaryRegion on both keys, each in its own region.
        authorize(ctx, "kms:UpdatePrimaryRegion", &replica)?;
        check_state(&replica, Action::UpdatePrimaryRegion)?;
        Ok(replica)
    }
}

/// The primary and the replica with their roles swapped: the replica takes the primary's automatic rotation.
fn swap_roles(mut primary: Key, mut replica: Key) -> (Key, Key) {
    primary.multi_region = Some(MultiRegionKeyType::Replica);
    replica.multi_region = Some(MultiRegionKeyType::Primary);
    replica.rotation_schedule = primary.rotation_schedule.take();
    (primary, replica)
}
