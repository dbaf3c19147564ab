//! ListResourceTags: a key's tags, paged.

use trent_domain::{Action, Tag};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::page;
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// ListResourceTags.
    pub async fn list_resource_tags(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<(Vec<Tag>, Option<String>), ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Refused).await?;
        authorize(ctx, "kms:ListResourceTags", &loaded.key)?;
        check_state(&loaded.key, Action::ListResourceTags)?;
        page(&loaded.key.tags, limit, marker)
    }
}
