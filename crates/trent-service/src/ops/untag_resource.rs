//! UntagResource: removes tags from a key by tag key (refused while the key is pending deletion).

use trent_domain::Action;

use crate::authorize::{authorize_with, Permission};
use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

/// Which tags UntagResource removes.
#[derive(Debug, Clone, Copy)]
pub enum Untag<'a> {
    /// Those with these tag keys (keys a key does not have are ignored, as AWS does).
    Keys(&'a [String]),
    /// All of them (Alibaba's UntagResources with `All`).
    All,
}

impl Service {
    /// UntagResource.
    pub async fn untag_resource(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        tag_keys: &[String],
    ) -> Result<(), ServiceError> {
        self.untag_resources(ctx, &[key_id.to_owned()], Untag::Keys(tag_keys)).await
    }

    /// UntagResource on several keys at once (Alibaba's UntagResources): every key loses the tags, or none does.
    pub async fn untag_resources(
        &self,
        ctx: &RequestContext,
        key_ids: &[String],
        untag: Untag<'_>,
    ) -> Result<(), ServiceError> {
        self.modify_keys(ctx, key_ids, |key| {
            let removed = match untag {
                Untag::Keys(tag_keys) => tag_keys.to_vec(),
                Untag::All => key.tags.iter().map(|t| t.key.clone()).collect(),
            };
            let permission = Permission { removed_tag_keys: Some(&removed), ..Permission::from("kms:UntagResource") };
            authorize_with(ctx, permission, key)?;
            apply_state(key, Action::TagResource)?;
            match untag {
                Untag::Keys(tag_keys) => key.tags.retain(|t| !tag_keys.contains(&t.key)),
                Untag::All => key.tags.clear(),
            }
            Ok(Some(self.api_event(ctx, "UntagResource", key)))
        })
        .await?;
        Ok(())
    }
}
