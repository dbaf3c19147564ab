//! DeleteAlias: removes an alias; the key it pointed at is untouched (in any state).

use trent_domain::Arn;

use crate::authorize::{authorize, authorize_in_account};
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::ops::create_alias::customer_alias_name;
use crate::Service;

impl Service {
    /// DeleteAlias.
    pub async fn delete_alias(&self, ctx: &RequestContext, alias_name: &str) -> Result<(), ServiceError> {
        let name = customer_alias_name(alias_name)?;
        let arn = Arn::alias(&ctx.region, ctx.account(), &name).to_string();
        // Both the alias (an identity permission) and its key (the key policy), as AWS requires.
        authorize_in_account(ctx, "kms:DeleteAlias", &arn)?;
        if let Some(alias) = self.store.get_alias(ctx.account(), &ctx.region, &name).await? {
            let key = self.load_by_id(ctx, alias.key_id).await?;
            authorize(ctx, "kms:DeleteAlias", &key.key)?;
        }
        if self.store.delete_alias(ctx.account(), &ctx.region, &name).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("Alias {arn} is not found.")))
        }
    }
}
