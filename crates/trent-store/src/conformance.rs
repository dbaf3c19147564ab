//! The conformance suite every [`KeyStore`] backend must pass. Backends call [`run_all`] from their own tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use trent_audit::{AuditEvent, EventType};
use trent_domain::{AccountId, AliasName, Key, KeyId, KeyManager, KeySpec, KeyState, KeyUsage, Origin, Region, Tag, Timestamp};

use crate::{Alias, KeyStore, StoreError, StoredCredential};

/// A key in account 111122223333, us-east-1, enabled.
pub fn sample_key() -> Key {
    Key {
        id: KeyId::generate(),
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
        created_at: Timestamp(1_700_000_000_000),
        description: "sample".to_owned(),
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::AwsKms,
        manager: KeyManager::Customer,
        state: KeyState::Enabled,
        deletion_date: None,
        pending_window_days: None,
        tags: vec![Tag { key: "team".to_owned(), value: "orders".to_owned() }],
        policy: "{}".to_owned(),
        wrapped_material: vec![1, 2, 3],
        version: 1,
    }
}

/// An audit event about `key`.
pub fn sample_event(key: &Key, name: &str) -> AuditEvent {
    AuditEvent::new(name, EventType::AwsApiCall, key.created_at, &key.account, &key.region, AuditEvent::service_identity(), Some(key.arn().to_string()))
}

/// Runs every conformance check against `store`, starting from a reset.
pub async fn run_all(store: &dyn KeyStore) {
    store.reset().await.unwrap();
    keys_round_trip_and_are_scoped(store).await;
    updates_are_conditional_on_version(store).await;
    listing_pages_in_key_order(store).await;
    aliases_are_unique_and_follow_their_key(store).await;
    destroy_removes_key_aliases_and_records_event(store).await;
    due_deletions_are_found_by_date(store).await;
    meta_and_credentials_are_kept(store).await;
    reset_wipes_keys_aliases_and_events(store).await;
}

async fn keys_round_trip_and_are_scoped(store: &dyn KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap(), Some(key.clone()));
    let other_region = Region::parse("eu-west-1").unwrap();
    assert_eq!(store.get_key(&key.account, &other_region, key.id).await.unwrap(), None);
    let other_account = AccountId::parse("444455556666").unwrap();
    assert_eq!(store.get_key(&other_account, &key.region, key.id).await.unwrap(), None);
    let events = store.events(Some(&key.arn().to_string())).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_name, "CreateKey");
}

async fn updates_are_conditional_on_version(store: &dyn KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let mut disabled = key.clone();
    disabled.state = KeyState::Disabled;
    let stored = store.update_key(&disabled, Some(&sample_event(&key, "DisableKey"))).await.unwrap();
    assert_eq!(stored.version, key.version + 1);
    // A second writer that read the old version loses, and its event is not recorded.
    let mut stale = key.clone();
    stale.state = KeyState::PendingDeletion;
    assert!(matches!(store.update_key(&stale, Some(&sample_event(&key, "ScheduleKeyDeletion"))).await, Err(StoreError::Conflict)));
    let now = store.get_key(&key.account, &key.region, key.id).await.unwrap().unwrap();
    assert_eq!(now.state, KeyState::Disabled);
    let names: Vec<String> = store.events(Some(&key.arn().to_string())).await.unwrap().into_iter().map(|e| e.event_name).collect();
    assert_eq!(names, ["CreateKey", "DisableKey"]);
}

async fn listing_pages_in_key_order(store: &dyn KeyStore) {
    store.reset().await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let key = sample_key();
        ids.push(key.id);
        store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    }
    ids.sort();
    let account = sample_key().account;
    let region = sample_key().region;
    let first = store.list_keys(&account, &region, None, 2).await.unwrap();
    assert_eq!(first.iter().map(|k| k.id).collect::<Vec<_>>(), ids[..2]);
    let rest = store.list_keys(&account, &region, Some(first[1].id), 10).await.unwrap();
    assert_eq!(rest.iter().map(|k| k.id).collect::<Vec<_>>(), ids[2..]);
}

async fn aliases_are_unique_and_follow_their_key(store: &dyn KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let name = AliasName::parse(&format!("alias/conformance-{}", key.id)).unwrap();
    let alias = Alias { account: key.account.clone(), region: key.region.clone(), name: name.clone(), key_id: key.id, created_at: Timestamp(1), updated_at: Timestamp(1) };
    store.create_alias(&alias).await.unwrap();
    assert!(matches!(store.create_alias(&alias).await, Err(StoreError::AliasExists)));
    let moved = Alias { key_id: KeyId::generate(), updated_at: Timestamp(2), ..alias.clone() };
    store.update_alias(&moved).await.unwrap();
    assert_eq!(store.get_alias(&key.account, &key.region, &name).await.unwrap(), Some(moved.clone()));
    let listed = store.list_aliases(&key.account, &key.region, Some(moved.key_id), None, 10).await.unwrap();
    assert_eq!(listed, vec![moved]);
    assert!(store.delete_alias(&key.account, &key.region, &name).await.unwrap());
    assert!(!store.delete_alias(&key.account, &key.region, &name).await.unwrap());
}

async fn destroy_removes_key_aliases_and_records_event(store: &dyn KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let name = AliasName::parse(&format!("alias/doomed-{}", key.id)).unwrap();
    let alias = Alias { account: key.account.clone(), region: key.region.clone(), name: name.clone(), key_id: key.id, created_at: Timestamp(1), updated_at: Timestamp(1) };
    store.create_alias(&alias).await.unwrap();
    let mut stale = key.clone();
    stale.version += 7;
    assert!(matches!(store.destroy_key(&stale, &sample_event(&key, "DeleteKey")).await, Err(StoreError::Conflict)));
    store.destroy_key(&key, &sample_event(&key, "DeleteKey")).await.unwrap();
    assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap(), None);
    assert_eq!(store.get_alias(&key.account, &key.region, &name).await.unwrap(), None);
    let names: Vec<String> = store.events(Some(&key.arn().to_string())).await.unwrap().into_iter().map(|e| e.event_name).collect();
    assert_eq!(names, ["CreateKey", "DeleteKey"]);
    assert!(matches!(store.destroy_key(&key, &sample_event(&key, "DeleteKey")).await, Err(StoreError::Conflict)));
}

async fn due_deletions_are_found_by_date(store: &dyn KeyStore) {
    store.reset().await.unwrap();
    let mut soon = sample_key();
    soon.state = KeyState::PendingDeletion;
    soon.deletion_date = Some(Timestamp(1_000));
    soon.pending_window_days = Some(7);
    let mut later = sample_key();
    later.state = KeyState::PendingDeletion;
    later.deletion_date = Some(Timestamp(5_000));
    later.pending_window_days = Some(7);
    for key in [&soon, &later] {
        store.create_key(key, &sample_event(key, "CreateKey")).await.unwrap();
    }
    assert_eq!(store.next_deletion_date().await.unwrap(), Some(Timestamp(1_000)));
    assert!(store.due_deletions(Timestamp(999), 10).await.unwrap().is_empty());
    let due: Vec<KeyId> = store.due_deletions(Timestamp(1_000), 10).await.unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(due, vec![soon.id]);
    assert_eq!(store.due_deletions(Timestamp(9_000), 10).await.unwrap().len(), 2);
}

async fn meta_and_credentials_are_kept(store: &dyn KeyStore) {
    assert_eq!(store.put_meta_if_absent("conformance", b"first").await.unwrap(), b"first");
    assert_eq!(store.put_meta_if_absent("conformance", b"second").await.unwrap(), b"first");
    assert_eq!(store.get_meta("conformance").await.unwrap(), Some(b"first".to_vec()));
    let credential = StoredCredential { access_key_id: "AKIACONFORMANCE".to_owned(), account: sample_key().account, sealed_secret: vec![9], created_at: Timestamp(3) };
    store.put_credential(&credential).await.unwrap();
    assert!(store.credentials().await.unwrap().contains(&credential));
}

async fn reset_wipes_keys_aliases_and_events(store: &dyn KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    store.reset().await.unwrap();
    assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap(), None);
    assert!(store.events(None).await.unwrap().is_empty());
    assert!(store.get_meta("conformance").await.unwrap().is_some(), "reset keeps the store's own bookkeeping");
}
