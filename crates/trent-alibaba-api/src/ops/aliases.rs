//! Alias operations on Alibaba's API: CreateAlias, UpdateAlias, DeleteAlias, ListAliases, ListAliasesByKeyId.

use trent_service::{RequestContext, Service};

use super::{all_pages, answer, key_id, nothing, paging, Outcome, PAGE};
use crate::error::WireError;
use crate::names;
use crate::params::Params;
use crate::shapes::{self, Listed};

/// The `AliasName` parameter: Alibaba's rule (1 to 255 characters, `alias/` first, never `alias/acs`), then the
/// service's own.
fn alias_name(p: Params<'_>) -> Result<&str, WireError> {
    let name = p.required("AliasName")?;
    if name.len() > 255 || !name.starts_with("alias/") || name.starts_with("alias/acs") {
        return Err(WireError::invalid_parameter("AliasName"));
    }
    Ok(name)
}

pub(super) async fn create_alias(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let alias = alias_name(p)?;
    service.create_alias(ctx, alias, &key_id(p)?).await?;
    nothing(ctx)
}

pub(super) async fn update_alias(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let alias = alias_name(p)?;
    service.update_alias(ctx, alias, &key_id(p)?).await?;
    nothing(ctx)
}

pub(super) async fn delete_alias(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    service.delete_alias(ctx, p.required("AliasName")?).await?;
    nothing(ctx)
}

/// ListAliases, or with `by_key` ListAliasesByKeyId.
pub(super) async fn list_aliases(service: &Service, ctx: &RequestContext, p: Params<'_>, by_key: bool) -> Outcome {
    let key_id = if by_key { Some(key_id(p)?) } else { None };
    let key_id = key_id.as_deref();
    let (page_number, page_size) = paging(p)?;
    let aliases: Vec<shapes::ListedAlias> =
        all_pages(|marker| async move { service.list_aliases(ctx, key_id, PAGE, marker.as_deref()).await })
            .await?
            .into_iter()
            .map(|alias| shapes::ListedAlias {
                alias_arn: names::alias_arn(&alias.region, &alias.account, alias.name.as_str()),
                alias_name: alias.name.to_string(),
                key_id: alias.key_id.to_string(),
            })
            .collect();
    let listed = Listed::new(page_number, page_size, aliases.len());
    let alias = shapes::page(&aliases, page_number, page_size);
    answer(ctx, &shapes::Aliases { aliases: shapes::AliasList { alias }, listed }, None)
}
