//! UntagResource: removes tags from a key by tag key (refused while the key is pending deletion).

use trent_domain::Action;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

impl Service {
    /// UntagResource. Tag keys the key does not have are ignored, as AWS does.
    pub async fn untag_resource(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        tag_keys: &[String],
    ) -> Result<(), ServiceError> {
        self.modify_key(ctx, key_id, |key| {
            authorize(&ctx.principal, "kms:UntagResource", key)?;
            apply_state(key, Action::TagResource)?;
            key.tags.retain(|t| !tag_keys.contains(&t.key));
            Ok(Some(self.api_event(ctx, "UntagResource", key)))
        })
        .await?;
        Ok(())
    }
}
