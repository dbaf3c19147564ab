//! TagResource: adds or overwrites tags on a key (refused while the key is pending deletion).

use trent_domain::{Action, Tag};

use crate::authorize::{authorize_with, Permission};
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::ops::merge_tags;
use crate::Service;

impl Service {
    /// TagResource.
    pub async fn tag_resource(&self, ctx: &RequestContext, key_id: &str, tags: &[Tag]) -> Result<(), ServiceError> {
        self.tag_resources(ctx, &[key_id.to_owned()], tags).await
    }

    /// TagResource on several keys at once (Alibaba's TagResources): every key takes the tags, or none does.
    pub async fn tag_resources(
        &self,
        ctx: &RequestContext,
        key_ids: &[String],
        tags: &[Tag],
    ) -> Result<(), ServiceError> {
        self.modify_keys(ctx, key_ids, |key| {
            authorize_with(ctx, Permission::with_tags("kms:TagResource", tags), key)?;
            apply_state(key, Action::TagResource)?;
            merge_tags(&mut key.tags, tags)?;
            Ok(Some(self.api_event(ctx, "TagResource", key)))
        })
        .await?;
        Ok(())
    }
}
