//! Tags on Alibaba's API, in both of its generations (`alibaba-kms-api.md` §3): the older TagResource,
//! UntagResource and ListResourceTags (one key, tags as JSON), and the newer TagResources, UntagResources and
//! ListTagResources (several keys, `ResourceId.N`, `Tag.N.Key`, `TagKey.N`). Secrets and certificates are not Trent's.

use trent_domain::Tag;
use trent_service::ops::untag_resource::Untag;
use trent_service::{RequestContext, Service};

use super::{key_id, nothing, tags_of, Outcome};
use crate::error::WireError;
use crate::names;
use crate::params::Params;
use crate::shapes;

/// The most tags one call lists (ListResourceTags answers in one page).
const ALL_TAGS: usize = 1000;

/// Refuses the resources Trent does not hold (secrets, certificates), by the older calls' parameter names.
fn only_keys(p: Params<'_>) -> Result<(), WireError> {
    match ["SecretName", "CertificateId"].into_iter().find(|name| p.optional(name).is_some_and(|v| !v.is_empty())) {
        Some(name) => {
            Err(WireError::unsupported(format!("{name}: Trent holds keys only, not secrets or certificates.")))
        }
        None => Ok(()),
    }
}

pub(super) async fn tag_resource(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    only_keys(p)?;
    let key_id = key_id(p)?;
    let tags = tags_of(p.required("Tags")?).ok_or_else(|| WireError::invalid_parameter("Tags"))?;
    service.tag_resource(ctx, &key_id, &tags).await?;
    nothing(ctx)
}

pub(super) async fn untag_resource(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    only_keys(p)?;
    let key_id = key_id(p)?;
    // The documentation says "separate with commas" and shows a JSON array: both are accepted.
    let text = p.required("TagKeys")?;
    let tag_keys: Vec<String> = match serde_json::from_str::<Vec<String>>(text) {
        Ok(keys) => keys,
        Err(_) if !text.trim_start().starts_with('[') => text.split(',').map(|k| k.trim().to_owned()).collect(),
        Err(_) => return Err(WireError::invalid_parameter("TagKeys").into()),
    };
    service.untag_resource(ctx, &key_id, &tag_keys).await?;
    nothing(ctx)
}

pub(super) async fn list_resource_tags(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key_id = key_id(p)?;
    let key = service.describe_key(ctx, &key_id).await?;
    let (tags, _) = service.list_resource_tags(ctx, &key_id, ALL_TAGS, None).await?;
    let id = key.id.to_string();
    let tag = tags
        .into_iter()
        .map(|tag| shapes::KeyTag { key_id: id.clone(), tag_key: tag.key, tag_value: tag.value })
        .collect();
    super::about(ctx, &shapes::ResourceTags { tags: shapes::KeyTagList { tag } }, &key)
}

/// The keys a newer call names (`ResourceType` `key`, `ResourceId.1`, …), at least one.
fn resources(p: Params<'_>) -> Result<Vec<String>, WireError> {
    match p.optional("ResourceType") {
        None | Some("key" | "Key") => {}
        Some("") => return Err(WireError::missing_parameter("ResourceType")),
        Some(_) => return Err(WireError::unsupported("ResourceType: Trent holds keys only, not secrets.")),
    }
    let ids: Vec<String> = p.numbered("ResourceId").into_iter().map(|(_, id)| names::key_reference(id)).collect();
    if ids.is_empty() {
        return Err(WireError::missing_parameter("ResourceId.1"));
    }
    Ok(ids)
}

/// `Tag.N.Key` and `Tag.N.Value`, in their numbered order.
fn numbered_tags(p: Params<'_>) -> Vec<Tag> {
    let value_of = |index: u32| p.optional(&format!("Tag.{index}.Value")).unwrap_or_default().to_owned();
    let mut keys: Vec<(u32, &str)> =
        p.0.iter()
            .filter_map(|(name, value)| {
                let index = name.strip_prefix("Tag.")?.strip_suffix(".Key")?.parse::<u32>().ok()?;
                Some((index, value.as_str()))
            })
            .collect();
    keys.sort_by_key(|(index, _)| *index);
    keys.into_iter().map(|(index, key)| Tag { key: key.to_owned(), value: value_of(index) }).collect()
}

pub(super) async fn tag_resources(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let ids = resources(p)?;
    let tags = numbered_tags(p);
    if tags.is_empty() {
        return Err(WireError::missing_parameter("Tag.1.Key").into());
    }
    // Every key takes the tags in one transaction, or none does.
    service.tag_resources(ctx, &ids, &tags).await?;
    nothing(ctx)
}

pub(super) async fn untag_resources(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let ids = resources(p)?;
    let all = p.boolean("All")?.unwrap_or(false);
    let named: Vec<String> = p.numbered("TagKey").into_iter().map(|(_, key)| key.to_owned()).collect();
    if named.is_empty() && !all {
        return Err(WireError::missing_parameter("TagKey.1").into());
    }
    let untag = if all { Untag::All } else { Untag::Keys(&named) };
    service.untag_resources(ctx, &ids, untag).await?;
    nothing(ctx)
}

pub(super) async fn list_tag_resources(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let ids = resources(p)?;
    if p.optional("NextToken").is_some_and(|token| !token.is_empty()) {
        return Err(WireError::invalid_parameter("NextToken").into());
    }
    // `Tag.N.Key` (and `.Value`, when sent) filter the tags listed.
    let wanted = numbered_tags(p);
    let mut tag_resource = Vec::new();
    for id in &ids {
        let key = service.describe_key(ctx, id).await?;
        tag_resource.extend(
            key.tags
                .iter()
                .filter(|tag| {
                    wanted.is_empty()
                        || wanted.iter().any(|w| w.key == tag.key && (w.value.is_empty() || w.value == tag.value))
                })
                .map(|tag| shapes::TagResource {
                    resource_id: key.id.to_string(),
                    resource_type: "key",
                    tag_key: tag.key.clone(),
                    tag_value: tag.value.clone(),
                }),
        );
    }
    let shape = shapes::TagResources { tag_resources: shapes::TagResourceList { tag_resource }, next_token: "" };
    super::answer(ctx, &shape, None)
}
