//! ListKeyRotations and GetKeyRotationStatus: what a key's material history is, and whether it rotates by itself.
//! Both are for keys that rotate (symmetric encryption keys); any other key is `UnsupportedOperationException`, and
//! so is the rotation status of a key with imported material, which never rotates by itself.

use trent_domain::{Action, Key};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::enable_key_rotation::does_not_rotate;
use crate::ops::import_key_material::require_generated;
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// The key whose rotations a caller reads (`permission`): a key that rotates, in any state.
    pub async fn key_rotations(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        permission: &str,
    ) -> Result<Key, ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Refused).await?;
        authorize(&ctx.principal, permission, &loaded.key)?;
        check_state(&loaded.key, Action::DescribeKey)?;
        if !loaded.key.rotates() {
            return Err(does_not_rotate(&loaded.key));
        }
        Ok(loaded.key.clone())
    }

    /// The key whose automatic rotation status a caller reads (GetKeyRotationStatus).
    pub async fn key_rotation_status(&self, ctx: &RequestContext, key_id: &str) -> Result<Key, ServiceError> {
        let key = self.key_rotations(ctx, key_id, "kms:GetKeyRotationStatus").await?;
        require_generated(&key)?;
        Ok(key)
    }
}
