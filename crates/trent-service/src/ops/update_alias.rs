//! UpdateAlias: points an existing alias at another key. The alias's current key may be pending deletion; the new
//! one may not.

use trent_domain::{Action, Arn};
use trent_store::{Alias, StoreError};

use crate::authorize::{authorize, authorize_in_account};
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::ops::create_alias::customer_alias_name;
use crate::Service;

impl Service {
    /// UpdateAlias.
    pub async fn update_alias(
        &self,
        ctx: &RequestContext,
        alias_name: &str,
        target_key_id: &str,
    ) -> Result<(), ServiceError> {
        let name = customer_alias_name(alias_name)?;
        let not_found =
            || ServiceError::NotFound(format!("Alias {} is not found.", Arn::alias(&ctx.region, ctx.account(), &name)));
        let existing = self.store.get_alias(ctx.account(), &ctx.region, &name).await?.ok_or_else(not_found)?;
        // Both the alias (an identity permission) and the key it is pointed at (the key policy), as AWS requires; the
        // key it leaves needs the permission too.
        authorize_in_account(ctx, "kms:UpdateAlias", &Arn::alias(&ctx.region, ctx.account(), &name).to_string())?;
        let leaving = self.load_by_id(ctx, existing.key_id).await?;
        authorize(ctx, "kms:UpdateAlias", &leaving.key)?;
        let key = self.load_for_write(ctx, target_key_id).await?;
        authorize(ctx, "kms:UpdateAlias", &key)?;
        check_state(&key, Action::UpdateAliasTarget)?;
        let alias = Alias { key_id: key.id, updated_at: self.clock.now(), ..existing };
        match self.store.update_alias(&alias).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict) => Err(not_found()),
            Err(other) => Err(other.into()),
        }
    }
}
