//! ListKeyRotations and GetKeyRotationStatus: what a key's material history is, and whether it rotates by itself.
//! Both are for keys that rotate (symmetric encryption keys); any other key is `UnsupportedOperationException`, and
//! so is the rotation status of a key with imported material, which never rotates by itself. A multi-Region replica
//! shares its primary's materials and shows its primary's automatic rotation.

use trent_domain::{Action, Key, MultiRegionKeyType};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::enable_key_rotation::does_not_rotate;
use crate::ops::import_key_material::require_generated;
use crate::resolve::{Aliases, Reach};
use crate::Service;

impl Service {
    /// The key whose rotations a caller reads (`permission`): a key that rotates, in any state.
    pub async fn key_rotations(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        permission: &str,
    ) -> Result<Key, ServiceError> {
        // GetKeyRotationStatus reaches another account's key (its policy decides); ListKeyRotations does not (the
        // authorization answers as for a key that does not exist).
        let loaded = self.load_reaching(ctx, key_id, Aliases::Refused, Reach::CrossAccount).await?;
        authorize(ctx, permission, &loaded.key)?;
        check_state(&loaded.key, Action::DescribeKey)?;
        if !loaded.key.rotates() {
            return Err(does_not_rotate(&loaded.key));
        }
        Ok(loaded.key.clone())
    }

    /// The key whose automatic rotation status a caller reads (GetKeyRotationStatus), its `rotation_schedule` the one
    /// in force for it.
    pub async fn key_rotation_status(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        let mut key = self.key_rotations(ctx, key_id, "kms:GetKeyRotationStatus").await?;
        require_generated(&key)?;
        // Automatic rotation is a property of the set, set on its primary: every replica shows the primary's. A key
        // pending deletion does not rotate ("While a KMS key is pending deletion, its key rotation status is false";
        // it returns if the deletion is cancelled), and neither does a set whose primary is.
        let owner = match key.multi_region {
            Some(MultiRegionKeyType::Replica) => self
                .multi_region_set(&key)
                .await?
                .into_iter()
                .find(|member| member.multi_region == Some(MultiRegionKeyType::Primary)),
            _ => Some(key.clone()),
        };
        key.rotation_schedule = owner
            .filter(|owner| !owner.state.is_pending_deletion() && !key.state.is_pending_deletion())
            .and_then(|owner| owner.rotation_schedule);
        Ok(key)
    }
}
