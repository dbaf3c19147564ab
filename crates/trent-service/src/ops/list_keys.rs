//! ListKeys: the caller's keys in the request's region, paged by an opaque marker (the last key ID returned).

use trent_domain::{Key, KeyId};

use crate::authorize::authorize_in_account;
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

impl Service {
    /// ListKeys: at most `limit` keys after `marker`, and the marker for the next page if there is one.
    pub async fn list_keys(
        &self,
        ctx: &RequestContext,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<(Vec<Key>, Option<String>), ServiceError> {
        authorize_in_account(ctx, "kms:ListKeys", "*")?;
        let after = match marker {
            None => None,
            Some(text) => {
                Some(KeyId::parse(text).ok_or_else(|| ServiceError::InvalidMarker("Invalid marker".to_owned()))?)
            }
        };
        let now = self.clock.now();
        // Fetch one more than asked to learn whether another page exists.
        let mut keys = self.store.list_keys(ctx.account(), &ctx.region, after, limit + 1).await?;
        let more = keys.len() > limit;
        keys.truncate(limit);
        let next = if more { keys.last().map(|k| k.id.to_string()) } else { None };
        keys.retain(|k| !k.is_due_for_deletion(now));
        Ok((keys, next))
    }
}
