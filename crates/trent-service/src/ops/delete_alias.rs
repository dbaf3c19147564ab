//! DeleteAlias: removes an alias; the key it pointed at is untouched (in any state).

use trent_domain::Arn;

use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::ops::create_alias::customer_alias_name;
use crate::Service;

impl Service {
    /// DeleteAlias.
    pub async fn delete_alias(&self, ctx: &RequestContext, alias_name: &str) -> Result<(), ServiceError> {
        let name = customer_alias_name(alias_name)?;
        if self.store.delete_alias(ctx.account(), &ctx.region, &name).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!(
                "Alias {} is not found.",
                Arn::alias(&ctx.region, ctx.account(), &name)
            )))
        }
    }
}
