//! ListAliases: the aliases of the caller's account and region, or of one key, paged by the last alias name.

use trent_domain::AliasName;
use trent_store::Alias;

use crate::authorize::authorize_in_account;
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::resolve::Aliases;
use crate::Service;

impl Service {
    /// ListAliases.
    pub async fn list_aliases(
        &self,
        ctx: &RequestContext,
        key_id: Option<&str>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<(Vec<Alias>, Option<String>), ServiceError> {
        authorize_in_account(ctx, "kms:ListAliases", "*")?;
        let key = match key_id {
            Some(text) => Some(self.load(ctx, text, Aliases::Refused).await?.key.id),
            None => None,
        };
        let after = match marker {
            Some(text) => {
                Some(AliasName::parse(text).map_err(|_| ServiceError::InvalidMarker("Invalid marker".to_owned()))?)
            }
            None => None,
        };
        let mut aliases = self
            .store
            .list_aliases(ctx.account(), &ctx.region, key, after.as_ref(), limit + 1, self.clock.now())
            .await?;
        let more = aliases.len() > limit;
        aliases.truncate(limit);
        let next = if more { aliases.last().map(|a| a.name.to_string()) } else { None };
        Ok((aliases, next))
    }
}
