//! One file per operation, each named after it: AWS KMS's, and Trent's own extensions (`get_deletion_protection`,
//! `set_deletion_protection`). Shared rules (policies, tags, paging) live here once.

pub mod abort_key_retirement;
pub mod backup_store;
pub mod cancel_key_deletion;
pub mod create_alias;
pub mod create_key;
pub mod decapsulate;
pub mod decrypt;
pub mod delete_alias;
pub mod derive_shared_secret;
pub mod describe_key;
pub mod disable_key;
pub mod enable_key;
pub mod enable_key_rotation;
pub mod encapsulate;
pub mod encrypt;
pub mod generate_data_key;
pub mod generate_data_key_pair;
pub mod generate_data_key_pair_without_plaintext;
pub mod generate_data_key_without_plaintext;
pub mod generate_mac;
pub mod generate_random;
pub mod get_deletion_protection;
pub mod get_key_last_usage;
pub mod get_key_policy;
pub mod get_key_retirement;
pub mod get_key_usage;
pub mod get_public_key;
pub mod grants;
pub mod import_key_material;
pub mod list_aliases;
pub mod list_audit_events;
pub mod list_key_access;
pub mod list_key_policies;
pub mod list_key_rotations;
pub mod list_keys;
pub mod list_resource_tags;
pub mod put_key_policy;
pub mod re_encrypt;
pub mod replicate_key;
pub mod rotate_key_on_demand;
pub mod schedule_key_deletion;
pub mod set_cancel_on_use;
pub mod set_deletion_protection;
pub mod sign;
pub mod start_key_retirement;
pub mod tag_resource;
pub mod untag_resource;
pub mod update_alias;
pub mod update_key_description;
pub mod update_primary_region;
pub mod users;
pub mod verify;
pub mod verify_audit_trail;
pub mod verify_mac;

use trent_domain::{AccountId, EncryptionAlgorithm, KeyId, KeySpec, Tag};

use crate::error::ServiceError;

/// The one policy name AWS KMS supports.
pub const DEFAULT_POLICY_NAME: &str = "default";
/// AWS's key policy size quota, in bytes.
pub const MAX_POLICY_BYTES: usize = 32_768;
/// AWS's quota of tags per key.
pub const MAX_TAGS_PER_KEY: usize = 50;

/// Generates material of `spec` with `generate`: on a blocking thread where that is slow (an RSA key pair takes up to
/// a second), on the request's thread otherwise (the hand-off there and back costs more than the generation).
pub(crate) async fn generate_material<T: Send + 'static>(
    spec: KeySpec,
    generate: impl FnOnce() -> Result<T, trent_crypto::CryptoError> + Send + 'static,
) -> Result<T, ServiceError> {
    if !spec.generation_is_slow() {
        return Ok(generate()?);
    }
    tokio::task::spawn_blocking(generate)
        .await
        .map_err(|e| ServiceError::Internal(format!("key generation: {e}")))?
        .map_err(ServiceError::from)
}

/// A new key's policy and tags from a request (CreateKey, ReplicateKey): the policy given (validated) or AWS's default
/// for `account`, and the tags given (checked as TagResource checks them).
pub(crate) fn new_key_policy_and_tags(
    account: &AccountId,
    policy: Option<String>,
    given_tags: &[Tag],
) -> Result<(String, Vec<Tag>), ServiceError> {
    let policy = match policy {
        Some(policy) => {
            validate_policy(&policy)?;
            policy
        }
        None => default_policy(account),
    };
    let mut tags = Vec::new();
    merge_tags(&mut tags, given_tags)?;
    Ok((policy, tags))
}

/// AWS's default key policy: the account's root principal may do everything.
pub fn default_policy(account: &AccountId) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// The material a ciphertext made with `algorithm` names: for a symmetric blob, its key and the material version in its
/// header (AWS's `KeyMaterialId` is made of them); `None` for an RSA ciphertext, which names nothing.
pub fn blob_material(algorithm: EncryptionAlgorithm, blob: &[u8]) -> Option<(KeyId, u32)> {
    if algorithm != EncryptionAlgorithm::SymmetricDefault {
        return None;
    }
    trent_crypto::read_header(blob).ok().map(|header| (header.key_id, header.material_version))
}

/// Checks a key policy document: within AWS's size quota, a policy by IAM's grammar (`trent-policy`), with at least
/// one statement and a `Principal` (or `NotPrincipal`) in each, as a key policy needs.
pub fn validate_policy(policy: &str) -> Result<(), ServiceError> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(ServiceError::LimitExceeded(format!(
            "Policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
        )));
    }
    let document =
        crate::authorize::parsed_policy(policy).map_err(|error| ServiceError::MalformedPolicy(error.to_string()))?;
    if document.statements.is_empty() || document.statements.iter().any(|statement| statement.principal.is_none()) {
        return Err(ServiceError::MalformedPolicy(trent_policy::PolicyError::NoStatement.to_string()));
    }
    Ok(())
}

/// Checks tags a caller wants to set, and merges them into `existing` (a tag key already present gets the new value);
/// a refusal leaves `existing` as it was.
pub fn merge_tags(existing: &mut Vec<Tag>, new: &[Tag]) -> Result<(), ServiceError> {
    // AWS's sentences, recorded by LocalStack's tag tests (2025): no trailing periods.
    let reserved = |key: &str| key.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"));
    if new.iter().any(|tag| reserved(&tag.key)) {
        return Err(ServiceError::Tag("Tags beginning with aws: are reserved".to_owned()));
    }
    let mut seen = std::collections::HashSet::with_capacity(new.len());
    if !new.iter().all(|tag| seen.insert(tag.key.as_str())) {
        return Err(ServiceError::Tag("Duplicate tag keys".to_owned()));
    }
    let mut merged = existing.clone();
    for tag in new {
        match merged.iter_mut().find(|t| t.key == tag.key) {
            Some(current) => current.value.clone_from(&tag.value),
            None => merged.push(tag.clone()),
        }
    }
    if merged.len() > MAX_TAGS_PER_KEY {
        return Err(ServiceError::Tag("Too many tags".to_owned()));
    }
    *existing = merged;
    Ok(())
}

/// Pages a sorted list by an opaque marker: the position to start at, as decimal text.
pub fn page<T: Clone>(
    items: &[T],
    limit: usize,
    marker: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= items.len())
            .ok_or_else(|| ServiceError::InvalidMarker("Invalid marker".to_owned()))?,
    };
    let end = start.saturating_add(limit).min(items.len());
    let chunk = items.get(start..end).unwrap_or_default().to_vec();
    Ok((chunk, (end < items.len()).then(|| end.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid_and_names_the_account() {
        let account = AccountId::parse("111122223333").unwrap();
        let policy = default_policy(&account);
        validate_policy(&policy).unwrap();
        assert!(policy.contains("arn:aws:iam::111122223333:root"));
    }

    #[test]
    fn malformed_or_oversized_policies_are_refused() {
        assert!(matches!(validate_policy("not json"), Err(ServiceError::MalformedPolicy(_))));
        assert!(matches!(validate_policy("{}"), Err(ServiceError::MalformedPolicy(_))));
        let big = format!("{{\"Statement\":[],\"x\":\"{}\"}}", "a".repeat(MAX_POLICY_BYTES));
        assert!(matches!(validate_policy(&big), Err(ServiceError::LimitExceeded(_))));
    }

    #[test]
    fn tags_merge_and_reserved_prefix_is_refused() {
        let mut tags = vec![Tag { key: "a".into(), value: "1".into() }];
        merge_tags(
            &mut tags,
            &[Tag { key: "a".into(), value: "2".into() }, Tag { key: "b".into(), value: "3".into() }],
        )
        .unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].value, "2");
        assert!(matches!(
            merge_tags(&mut tags, &[Tag { key: "aws:x".into(), value: String::new() }]),
            Err(ServiceError::Tag(_))
        ));
    }

    #[test]
    fn reserved_duplicate_and_surplus_tags_are_refused_and_change_nothing() {
        let tag = |key: &str| Tag { key: key.into(), value: String::new() };
        let mut tags = vec![tag("a")];
        let refusal = |result: Result<(), ServiceError>| match result {
            Err(ServiceError::Tag(message)) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(refusal(merge_tags(&mut tags, &[tag("b"), tag("AWS:x")])), "Tags beginning with aws: are reserved");
        assert_eq!(refusal(merge_tags(&mut tags, &[tag("b"), tag("b")])), "Duplicate tag keys");
        let many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"))).collect();
        assert_eq!(refusal(merge_tags(&mut tags, &many)), "Too many tags");
        assert_eq!(tags, [tag("a")], "every refusal left the tags as they were");
        assert!(merge_tags(&mut tags, &many[..49]).is_ok());
    }

    #[test]
    fn paging_walks_the_whole_list() {
        let items: Vec<u32> = (0..5).collect();
        let (first, marker) = page(&items, 2, None).unwrap();
        assert_eq!(first, [0, 1]);
        let (second, marker) = page(&items, 2, marker.as_deref()).unwrap();
        assert_eq!(second, [2, 3]);
        let (last, marker) = page(&items, 2, marker.as_deref()).unwrap();
        assert_eq!((last, marker), (vec![4], None));
        assert!(matches!(page(&items, 2, Some("x")), Err(ServiceError::InvalidMarker(_))));
    }
}
