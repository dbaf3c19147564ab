//! The conformance suite the [`KeyStore`] must pass on each database. Each driver's tests call [`run_all`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use trent_audit::{AuditEvent, EventBatch, EventType};
use trent_domain::{
    AccountId, AliasName, Import, ImportedMaterial, IssuedImportToken, Key, KeyId, KeySpec, KeyState, KeyUsage,
    MultiRegionKeyType, Origin, Region, Rotation, RotationSchedule, RotationType, ScheduledDeletion, Tag, Timestamp,
};

use crate::driver::Sql;
use crate::group_commit::Insertion;
use crate::value::{params, Param, ToParams};
use crate::{
    Alias, IdentityRefusal, KeyStore, StoreError, StoredCredential, StoredGrant, StoredUser, StoredUserPolicy,
};

/// A key in account 111122223333, us-east-1, enabled.
pub fn sample_key() -> Key {
    Key {
        created_at: Timestamp(1_700_000_000_000),
        description: "sample".to_owned(),
        tags: vec![Tag { key: "team".to_owned(), value: "orders".to_owned() }],
        policy: "{}".to_owned(),
        deletion_protection: true,
        deletion_protection_description: "holds the orders".to_owned(),
        cancel_on_use: true,
        wrapped_material: vec![1, 2, 3],
        rotations: vec![Rotation {
            material_version: 1,
            rotated_at: Timestamp(1_700_000_100_000),
            rotation_type: RotationType::OnDemand,
            wrapped_material: vec![4, 5, 6],
        }],
        rotation_schedule: Some(RotationSchedule { period_days: 90, next_rotation: Timestamp(1_707_776_100_000) }),
        ..Key::sample(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, KeyState::Enabled)
    }
}

/// An alias named `name` pointing at `key`, created and updated at 1 ms.
pub fn sample_alias(key: &Key, name: &AliasName) -> Alias {
    Alias {
        account: key.account.clone(),
        region: key.region.clone(),
        name: name.clone(),
        key_id: key.id,
        created_at: Timestamp(1),
        updated_at: Timestamp(1),
    }
}

/// An audit event about `key`.
pub fn sample_event(key: &Key, name: &str) -> AuditEvent {
    AuditEvent::new(
        name,
        EventType::AwsApiCall,
        key.created_at,
        &key.account,
        &key.region,
        AuditEvent::service_identity(),
        Some(key.arn().to_string()),
    )
}

/// Runs every conformance check against `store`, starting from a reset.
pub async fn run_all(store: &KeyStore) {
    store.reset().await.unwrap();
    keys_round_trip_and_are_scoped(store).await;
    updates_are_conditional_on_version(store).await;
    several_keys_are_written_together_or_not_at_all(store).await;
    listing_pages_in_key_order(store).await;
    aliases_are_unique_and_follow_their_key(store).await;
    aliases_of_a_key_past_its_deletion_date_are_not_listed(store).await;
    destroy_removes_key_aliases_and_records_event(store).await;
    grants_are_found_by_key_grantee_and_retiring_principal_until_deleted(store).await;
    a_key_created_with_its_alias_is_all_or_nothing(store).await;
    concurrent_changes_commit_together_and_a_failing_one_is_undone_alone(store).await;
    key_creations_made_at_once_are_inserted_together_and_each_answered_its_own_outcome(store).await;
    due_deletions_are_found_by_date_and_cancelled_or_protected_keys_are_spared(store).await;
    due_rotations_are_found_by_date_among_enabled_keys(store).await;
    expiring_material_is_found_by_date_while_the_key_holds_it(store).await;
    a_multi_region_set_is_every_region_s_key_with_its_id(store).await;
    a_primary_pending_replica_deletion_is_found_once_its_last_replica_is_gone(store).await;
    a_primary_is_never_destroyed_while_a_replica_is_stored(store).await;
    a_replica_made_from_a_stale_primary_is_not_stored(store).await;
    meta_and_credentials_are_kept(store).await;
    users_keep_their_access_keys_and_policies_until_deleted_with_them(store).await;
    audit_events_form_a_verifiable_chain(store).await;
    usage_evidence_is_summed_with_the_events(store).await;
    pruning_keeps_the_chain_verifiable(store).await;
    retirement_plans_are_conditional_and_commit_with_their_key(store).await;
    reset_wipes_keys_aliases_and_events(store).await;
    a_reset_during_appends_leaves_one_chain_that_continues(store).await;
}

async fn keys_round_trip_and_are_scoped(store: &KeyStore) {
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

async fn updates_are_conditional_on_version(store: &KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let mut disabled = key.clone();
    disabled.state = KeyState::Disabled;
    let stored = store.update_key(&disabled, Some(&sample_event(&key, "DisableKey"))).await.unwrap();
    assert_eq!(stored.version, key.version + 1);
    // A second writer that read the old version loses, and its event is not recorded.
    let mut stale = key.clone();
    stale.state = pending_since(1_000);
    assert!(matches!(
        store.update_key(&stale, Some(&sample_event(&key, "ScheduleKeyDeletion"))).await,
        Err(StoreError::Conflict)
    ));
    let now = store.get_key(&key.account, &key.region, key.id).await.unwrap().unwrap();
    assert_eq!(now.state, KeyState::Disabled);
    let names: Vec<String> =
        store.events(Some(&key.arn().to_string())).await.unwrap().into_iter().map(|e| e.event_name).collect();
    assert_eq!(names, ["CreateKey", "DisableKey"]);
}

async fn several_keys_are_written_together_or_not_at_all(store: &KeyStore) {
    let (first, second) = (sample_key(), sample_key());
    for key in [&first, &second] {
        store.create_key(key, &sample_event(key, "CreateKey")).await.unwrap();
    }
    let tagged = |key: &Key| Key { tags: vec![Tag { key: "new".to_owned(), value: String::new() }], ..key.clone() };
    // The second key's version is stale: neither key, nor either event, is written.
    let stale = Key { version: second.version + 5, ..tagged(&second) };
    let changes = [(tagged(&first), Some(sample_event(&first, "TagResource"))), (stale, None)];
    assert!(matches!(store.update_keys(&changes).await, Err(StoreError::Conflict)));
    let unchanged = store.get_key(&first.account, &first.region, first.id).await.unwrap().unwrap();
    assert_eq!(unchanged, first, "the first key was not written alone");
    let first_events = store.events(Some(&first.arn().to_string())).await.unwrap();
    assert_eq!(first_events.len(), 1, "nor its event");
    let both = [(tagged(&first), None), (tagged(&second), None)];
    let stored = store.update_keys(&both).await.unwrap();
    assert_eq!(stored.iter().map(|k| k.version).collect::<Vec<_>>(), [first.version + 1, second.version + 1]);
    assert_eq!(store.get_key(&second.account, &second.region, second.id).await.unwrap().unwrap().tags.len(), 1);
}

async fn listing_pages_in_key_order(store: &KeyStore) {
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

async fn aliases_are_unique_and_follow_their_key(store: &KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let name = AliasName::parse(&format!("alias/conformance-{}", key.id)).unwrap();
    let alias = sample_alias(&key, &name);
    store.create_alias(&alias).await.unwrap();
    assert!(matches!(store.create_alias(&alias).await, Err(StoreError::AliasExists)));
    let moved = Alias { key_id: KeyId::generate(), updated_at: Timestamp(2), ..alias.clone() };
    store.update_alias(&moved).await.unwrap();
    assert_eq!(store.get_alias(&key.account, &key.region, &name).await.unwrap(), Some(moved.clone()));
    let listed =
        store.list_aliases(&key.account, &key.region, Some(moved.key_id), None, 10, Timestamp(0)).await.unwrap();
    assert_eq!(listed, vec![moved]);
    assert!(store.delete_alias(&key.account, &key.region, &name).await.unwrap());
    assert!(!store.delete_alias(&key.account, &key.region, &name).await.unwrap());
}

async fn due_rotations_are_found_by_date_among_enabled_keys(store: &KeyStore) {
    store.reset().await.unwrap();
    let schedule = |next| Some(RotationSchedule { period_days: 90, next_rotation: Timestamp(next) });
    let due = Key { rotation_schedule: schedule(5_000), ..sample_key() };
    let later = Key { rotation_schedule: schedule(9_000), ..sample_key() };
    let disabled = Key { rotation_schedule: schedule(1_000), state: KeyState::Disabled, ..sample_key() };
    let off = Key { rotation_schedule: None, ..sample_key() };
    for key in [&due, &later, &disabled, &off] {
        store.create_key(key, &sample_event(key, "CreateKey")).await.unwrap();
    }
    assert!(store.keys_due_for_rotation(Timestamp(4_999), 10).await.unwrap().is_empty());
    let found: Vec<KeyId> =
        store.keys_due_for_rotation(Timestamp(9_000), 10).await.unwrap().iter().map(|k| k.id).collect();
    assert_eq!(found, [due.id, later.id], "enabled keys only, earliest first");
    assert_eq!(store.keys_due_for_rotation(Timestamp(9_000), 1).await.unwrap().len(), 1);
    assert_eq!(store.next_rotation_date().await.unwrap(), Some(Timestamp(5_000)));
    let stored = store.get_key(&due.account, &due.region, due.id).await.unwrap().unwrap();
    assert_eq!(stored.rotation_schedule, due.rotation_schedule, "the schedule comes back as written");
}

/// A key of origin `EXTERNAL` holding material that expires at `valid_to` (ms), with one import token outstanding.
fn imported_key(valid_to: Option<i64>) -> Key {
    Key {
        origin: Origin::External,
        rotations: Vec::new(),
        rotation_schedule: None,
        import: Import {
            materials: vec![ImportedMaterial {
                material_version: 0,
                fingerprint: "ab".repeat(32),
                imported_at: Timestamp(1_000),
                valid_to: valid_to.map(Timestamp),
                description: "from the HSM".to_owned(),
            }],
            pending: None,
            highest_version: 0,
            tokens: vec![IssuedImportToken { token_id: "cd".repeat(16), valid_to: Timestamp(2_000) }],
        },
        ..sample_key()
    }
}

async fn expiring_material_is_found_by_date_while_the_key_holds_it(store: &KeyStore) {
    store.reset().await.unwrap();
    let soon = imported_key(Some(5_000));
    let later = imported_key(Some(9_000));
    let never = imported_key(None);
    let deleted = Key { wrapped_material: Vec::new(), state: KeyState::PendingImport, ..imported_key(Some(1_000)) };
    for key in [&soon, &later, &never, &deleted] {
        store.create_key(key, &sample_event(key, "CreateKey")).await.unwrap();
    }
    let stored = store.get_key(&soon.account, &soon.region, soon.id).await.unwrap().unwrap();
    assert_eq!((stored.origin, &stored.import), (Origin::External, &soon.import), "the import comes back as written");
    assert!(store.keys_with_expired_material(Timestamp(4_999), 10).await.unwrap().is_empty());
    let found: Vec<KeyId> =
        store.keys_with_expired_material(Timestamp(9_000), 10).await.unwrap().iter().map(|k| k.id).collect();
    assert_eq!(found, [soon.id, later.id], "only material still held, earliest first");
    assert_eq!(store.next_material_expiry().await.unwrap(), Some(Timestamp(5_000)));
    let mut gone = stored.clone();
    gone.wrapped_material.clear();
    store.update_key(&gone, None).await.unwrap();
    assert_eq!(store.next_material_expiry().await.unwrap(), Some(Timestamp(9_000)), "deleted material expires no more");
}

async fn a_multi_region_set_is_every_region_s_key_with_its_id(store: &KeyStore) {
    store.reset().await.unwrap();
    let primary =
        Key { id: KeyId::generate_multi_region(), multi_region: Some(MultiRegionKeyType::Primary), ..sample_key() };
    let replica = Key {
        region: Region::parse("eu-west-1").unwrap(),
        multi_region: Some(MultiRegionKeyType::Replica),
        ..primary.clone()
    };
    store.create_key(&primary, &sample_event(&primary, "CreateKey")).await.unwrap();
    store.create_key(&replica, &sample_event(&replica, "ReplicateKey")).await.unwrap();
    store.create_key(&sample_key(), &sample_event(&primary, "CreateKey")).await.unwrap();
    let set = store.keys_in_every_region(&primary.account, primary.id).await.unwrap();
    assert_eq!(
        set.iter().map(|k| (k.region.as_str(), k.multi_region)).collect::<Vec<_>>(),
        [("eu-west-1", Some(MultiRegionKeyType::Replica)), ("us-east-1", Some(MultiRegionKeyType::Primary))]
    );
    let again = store.create_key(&replica, &sample_event(&replica, "ReplicateKey")).await;
    assert!(matches!(again, Err(StoreError::KeyExists)), "one key per region: {again:?}");
}

async fn a_primary_pending_replica_deletion_is_found_once_its_last_replica_is_gone(store: &KeyStore) {
    store.reset().await.unwrap();
    let primary = Key {
        id: KeyId::generate_multi_region(),
        multi_region: Some(MultiRegionKeyType::Primary),
        state: KeyState::PendingReplicaDeletion { pending_window_days: 9 },
        deletion_protection: false,
        ..sample_key()
    };
    let replica = Key {
        region: Region::parse("eu-west-1").unwrap(),
        multi_region: Some(MultiRegionKeyType::Replica),
        state: pending_since(1_000),
        ..primary.clone()
    };
    store.create_key(&primary, &sample_event(&primary, "CreateKey")).await.unwrap();
    store.create_key(&replica, &sample_event(&replica, "ReplicateKey")).await.unwrap();
    let stored = store.get_key(&primary.account, &primary.region, primary.id).await.unwrap().unwrap();
    assert_eq!(stored.state, primary.state, "the window comes back with the state, and no date");
    assert_eq!(store.next_deletion_date().await.unwrap(), Some(Timestamp(1_000)), "only the replica has a date");
    assert!(store.primaries_without_replicas(10).await.unwrap().is_empty(), "a replica remains");
    store.destroy_due(Timestamp(1_000), 10, std::sync::Arc::new(|k| sample_event(k, "DeleteKey"))).await.unwrap();
    let waiting: Vec<KeyId> =
        store.primaries_without_replicas(10).await.unwrap().into_iter().map(|key| key.id).collect();
    assert_eq!(waiting, vec![primary.id]);
}

async fn a_primary_is_never_destroyed_while_a_replica_is_stored(store: &KeyStore) {
    store.reset().await.unwrap();
    let primary = Key {
        id: KeyId::generate_multi_region(),
        multi_region: Some(MultiRegionKeyType::Primary),
        state: pending_since(1_000),
        deletion_protection: false,
        ..sample_key()
    };
    let replica = Key {
        region: Region::parse("eu-west-1").unwrap(),
        multi_region: Some(MultiRegionKeyType::Replica),
        state: KeyState::Enabled,
        ..primary.clone()
    };
    store.create_key(&primary, &sample_event(&primary, "CreateKey")).await.unwrap();
    store.create_key(&replica, &sample_event(&replica, "ReplicateKey")).await.unwrap();
    let destroy = || store.destroy_due(Timestamp(9_000), 10, std::sync::Arc::new(|k| sample_event(k, "DeleteKey")));
    assert!(destroy().await.unwrap().is_empty(), "a primary past its date waits while its replica is stored");
    assert_eq!(store.next_deletion_date().await.unwrap(), None, "and is not due");
    let mut scheduled = store.get_key(&replica.account, &replica.region, replica.id).await.unwrap().unwrap();
    scheduled.state = pending_since(2_000);
    scheduled.deletion_protection = false;
    store.update_key(&scheduled, None).await.unwrap();
    let destroyed: Vec<Region> = destroy().await.unwrap().into_iter().map(|key| key.region).collect();
    assert_eq!(destroyed, vec![replica.region.clone()], "the replica goes first");
    let destroyed: Vec<Region> = destroy().await.unwrap().into_iter().map(|key| key.region).collect();
    assert_eq!(destroyed, vec![primary.region.clone()], "then the primary");
}

async fn a_replica_made_from_a_stale_primary_is_not_stored(store: &KeyStore) {
    store.reset().await.unwrap();
    let primary =
        Key { id: KeyId::generate_multi_region(), multi_region: Some(MultiRegionKeyType::Primary), ..sample_key() };
    store.create_key(&primary, &sample_event(&primary, "CreateKey")).await.unwrap();
    let stored = store.get_key(&primary.account, &primary.region, primary.id).await.unwrap().unwrap();
    let replica = Key {
        region: Region::parse("eu-west-1").unwrap(),
        multi_region: Some(MultiRegionKeyType::Replica),
        ..stored.clone()
    };
    // Someone changes the primary (schedules its deletion, say) after the replica was decided.
    store.update_key(&stored, None).await.unwrap();
    let raced = store
        .create_replica(&stored, &replica, &sample_event(&replica, "CreateKey"), &sample_event(&stored, "ReplicateKey"))
        .await;
    assert!(matches!(raced, Err(StoreError::Conflict)), "{raced:?}");
    assert_eq!(store.get_key(&replica.account, &replica.region, replica.id).await.unwrap(), None, "no replica row");
}

async fn aliases_of_a_key_past_its_deletion_date_are_not_listed(store: &KeyStore) {
    store.reset().await.unwrap();
    let key = Key { state: pending_since(1_000), deletion_protection: false, ..sample_key() };
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let name = AliasName::parse("alias/conformance-doomed").unwrap();
    store.create_alias(&sample_alias(&key, &name)).await.unwrap();
    let listed = |now| store.list_aliases(&key.account, &key.region, None, None, 10, Timestamp(now));
    assert_eq!(listed(999).await.unwrap().len(), 1, "listed until the deletion date");
    assert!(listed(1_000).await.unwrap().is_empty(), "gone to callers from the deletion date, before the worker runs");
}

/// The state of a key whose 7-day waiting period ends at `deletion_date` (milliseconds).
fn pending_since(deletion_date: i64) -> KeyState {
    KeyState::PendingDeletion(ScheduledDeletion { deletion_date: Timestamp(deletion_date), pending_window_days: 7 })
}

async fn destroy_removes_key_aliases_and_records_event(store: &KeyStore) {
    store.reset().await.unwrap();
    let mut key = sample_key();
    key.state = pending_since(1_000);
    key.deletion_protection = false;
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let stored = store.get_key(&key.account, &key.region, key.id).await.unwrap().unwrap();
    assert_eq!(stored.state, key.state, "the deletion date and window come back with the state");
    let name = AliasName::parse(&format!("alias/doomed-{}", key.id)).unwrap();
    let alias = sample_alias(&key, &name);
    store.create_alias(&alias).await.unwrap();
    assert!(store.create_grant(&sample_grant(&key, "doomed", "arn:aws:iam::111122223333:user/a"), 10).await.unwrap());
    let destroyed =
        store.destroy_due(Timestamp(1_000), 10, std::sync::Arc::new(|k| sample_event(k, "DeleteKey"))).await.unwrap();
    assert_eq!(destroyed.iter().map(|k| k.id).collect::<Vec<_>>(), vec![key.id]);
    assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap(), None);
    assert_eq!(store.get_alias(&key.account, &key.region, &name).await.unwrap(), None);
    assert!(store.key_grants(&key.account, &key.region, key.id).await.unwrap().is_empty(), "grants go with the key");
    let names: Vec<String> =
        store.events(Some(&key.arn().to_string())).await.unwrap().into_iter().map(|e| e.event_name).collect();
    assert_eq!(names, ["CreateKey", "DeleteKey"]);
    assert!(
        store
            .destroy_due(Timestamp(9_000), 10, std::sync::Arc::new(|k| sample_event(k, "DeleteKey")))
            .await
            .unwrap()
            .is_empty(),
        "destroyed once only"
    );
}

fn sample_grant(key: &Key, grant_id: &str, grantee: &str) -> StoredGrant {
    StoredGrant {
        account: key.account.clone(),
        region: key.region.clone(),
        key_id: key.id,
        grant_id: grant_id.to_owned(),
        name: String::new(),
        grantee_principal: grantee.to_owned(),
        retiring_principal: Some("arn:aws:iam::111122223333:user/retirer".to_owned()),
        issuing_account: "arn:aws:iam::111122223333:root".to_owned(),
        operations: r#"["Encrypt"]"#.to_owned(),
        constraints: String::new(),
        created_at: Timestamp(1_700_000_000_000 + grant_id.len() as i64),
    }
}

async fn grants_are_found_by_key_grantee_and_retiring_principal_until_deleted(store: &KeyStore) {
    store.reset().await.unwrap();
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let (alice, bob) = ("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob");
    let first = sample_grant(&key, "g1", alice);
    let second = StoredGrant { retiring_principal: None, ..sample_grant(&key, "g22", bob) };
    assert!(store.create_grant(&first, 2).await.unwrap());
    assert!(store.create_grant(&second, 2).await.unwrap());
    assert!(!store.create_grant(&sample_grant(&key, "g333", alice), 2).await.unwrap(), "at most two on this key");
    assert_eq!(store.key_grants(&key.account, &key.region, key.id).await.unwrap(), vec![first.clone(), second]);
    assert_eq!(store.grantee_grants(&key.account, &key.region, key.id, alice).await.unwrap(), vec![first.clone()]);
    let retirer = "arn:aws:iam::111122223333:user/retirer";
    assert_eq!(store.retirable_grants(retirer).await.unwrap(), vec![first.clone()]);
    assert_eq!(store.grant(&key.account, &key.region, key.id, "g1").await.unwrap(), Some(first));
    assert!(store.delete_grant(&key.account, &key.region, key.id, "g1").await.unwrap());
    assert!(!store.delete_grant(&key.account, &key.region, key.id, "g1").await.unwrap(), "once");
    assert!(store.grantee_grants(&key.account, &key.region, key.id, alice).await.unwrap().is_empty());
}

async fn due_deletions_are_found_by_date_and_cancelled_or_protected_keys_are_spared(store: &KeyStore) {
    store.reset().await.unwrap();
    let pending = |at: i64| {
        let mut key = sample_key();
        key.state = pending_since(at);
        key.deletion_protection = false;
        key
    };
    let (soon, later, cancelled, mut protected) = (pending(1_000), pending(5_000), pending(1_000), pending(500));
    protected.deletion_protection = true;
    for key in [&soon, &later, &cancelled, &protected] {
        store.create_key(key, &sample_event(key, "CreateKey")).await.unwrap();
    }
    let mut revived = cancelled.clone();
    revived.state = KeyState::Disabled;
    store.update_key(&revived, Some(&sample_event(&revived, "CancelKeyDeletion"))).await.unwrap();
    assert_eq!(store.next_deletion_date().await.unwrap(), Some(Timestamp(1_000)));
    assert!(store
        .destroy_due(Timestamp(999), 10, std::sync::Arc::new(|k| sample_event(k, "DeleteKey")))
        .await
        .unwrap()
        .is_empty());
    let due: Vec<KeyId> = store
        .destroy_due(Timestamp(1_000), 10, std::sync::Arc::new(|k| sample_event(k, "DeleteKey")))
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(due, vec![soon.id]);
    assert_eq!(
        store.get_key(&cancelled.account, &cancelled.region, cancelled.id).await.unwrap().map(|k| k.state),
        Some(KeyState::Disabled)
    );
    assert_eq!(store.next_deletion_date().await.unwrap(), Some(Timestamp(5_000)));
    let kept = store.get_key(&protected.account, &protected.region, protected.id).await.unwrap();
    assert!(kept.is_some_and(|k| k.state.is_pending_deletion()), "a protected key is never destroyed, even when due");
}

async fn a_key_created_with_its_alias_is_all_or_nothing(store: &KeyStore) {
    let key = sample_key();
    let name = AliasName::parse(&format!("alias/aws/conformance-{}", key.id)).unwrap();
    let alias = sample_alias(&key, &name);
    store.create_key_with_alias(&key, &alias, &sample_event(&key, "CreateKey")).await.unwrap();
    assert_eq!(store.get_alias(&key.account, &key.region, &name).await.unwrap().map(|a| a.key_id), Some(key.id));
    let second = sample_key();
    let taken = Alias { key_id: second.id, ..alias };
    assert!(matches!(
        store.create_key_with_alias(&second, &taken, &sample_event(&second, "CreateKey")).await,
        Err(StoreError::AliasExists)
    ));
    assert_eq!(
        store.get_key(&second.account, &second.region, second.id).await.unwrap(),
        None,
        "nothing of the loser was stored"
    );
    assert!(store.events(Some(&second.arn().to_string())).await.unwrap().is_empty());
}

/// Changes made at once commit in one batch (one transaction); one that fails half way (its alias stored, then its
/// key's ID found taken) is undone alone and answered with its own error.
async fn concurrent_changes_commit_together_and_a_failing_one_is_undone_alone(store: &KeyStore) {
    let existing = sample_key();
    store.create_key(&existing, &sample_event(&existing, "CreateKey")).await.unwrap();
    let doomed = AliasName::parse(&format!("alias/aws/doomed-{}", existing.id)).unwrap();
    let alias = sample_alias(&existing, &doomed);
    let keys = new_keys(16);
    let event = sample_event(&existing, "CreateKey");
    let mut changes = creations(store, &keys);
    let failing = store.create_key_with_alias(&existing, &alias, &event);
    changes.insert(8, futures_util::FutureExt::boxed(failing));
    let outcomes = futures_util::future::join_all(changes).await;
    for (index, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.is_ok(), index != 8, "change {index}: {outcome:?}");
    }
    for (key, _) in &keys {
        assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap().as_ref(), Some(key));
    }
    assert_eq!(store.get_alias(&existing.account, &existing.region, &doomed).await.unwrap(), None, "undone");
    let chain = store.audit_chain().await.unwrap();
    assert_eq!(chain.verify(), Ok(chain.events.len()));
}

/// `count` new keys, each with its `CreateKey` event.
fn new_keys(count: usize) -> Vec<(Key, AuditEvent)> {
    (0..count).map(|_| sample_key()).map(|k| (k.clone(), sample_event(&k, "CreateKey"))).collect()
}

/// The creation of each of `keys`, to be run at once.
fn creations<'s>(
    store: &'s KeyStore,
    keys: &'s [(Key, AuditEvent)],
) -> Vec<futures_util::future::BoxFuture<'s, Result<(), StoreError>>> {
    keys.iter().map(|(key, event)| futures_util::FutureExt::boxed(store.create_key(key, event))).collect()
}

/// A key's ID columns, for an insertion the database refuses (a row without its other columns).
struct KeyIds(Key);

impl ToParams for KeyIds {
    fn to_params(&self) -> Result<Vec<Param<'_>>, StoreError> {
        Ok(Vec::from(params![&self.0.account, &self.0.region, &self.0.id]))
    }
}

/// Keys created at once are inserted together: one whose ID is taken is refused alone (and records nothing), and
/// one the database fails (a row it refuses) makes the others of its batch run again one by one, so that each is
/// still answered its own outcome. (The tests' runtime has one thread: every change is queued before the first batch
/// runs, so all but the first share the second batch.)
async fn key_creations_made_at_once_are_inserted_together_and_each_answered_its_own_outcome(store: &KeyStore) {
    static REFUSED: Sql = Sql::both("INSERT INTO keys (account, region, key_id) VALUES ($1, $2, $3)");
    let existing = sample_key();
    store.create_key(&existing, &sample_event(&existing, "CreateKey")).await.unwrap();
    // Sent together, nothing failing: the taken ID is answered from its row count.
    let fresh = new_keys(4);
    let taken_again = sample_event(&existing, "CreateKey");
    let mut creates = creations(store, &fresh);
    creates.insert(2, futures_util::FutureExt::boxed(store.create_key(&existing, &taken_again)));
    let outcomes = futures_util::future::join_all(creates).await;
    for (index, outcome) in outcomes.iter().enumerate() {
        assert_eq!(matches!(outcome, Err(StoreError::KeyExists)), index == 2, "create {index}: {outcome:?}");
        assert!(index == 2 || outcome.is_ok(), "create {index}: {outcome:?}");
    }
    assert_eq!(
        store.events(Some(&existing.arn().to_string())).await.unwrap().len(),
        1,
        "the taken ID recorded nothing"
    );
    let keys = new_keys(12);
    let again = sample_event(&existing, "CreateKey");
    let mut changes = creations(store, &keys);
    changes.insert(4, futures_util::FutureExt::boxed(store.create_key(&existing, &again)));
    let lost = sample_key();
    let refused = Insertion {
        sql: &REFUSED,
        row: Box::new(KeyIds(lost.clone())),
        event: sample_event(&lost, "CreateKey"),
        taken: StoreError::KeyExists,
    };
    changes.insert(9, futures_util::FutureExt::boxed(store.writes.insert(refused)));
    let outcomes = futures_util::future::join_all(changes).await;
    for (index, outcome) in outcomes.iter().enumerate() {
        match index {
            4 => assert!(matches!(outcome, Err(StoreError::KeyExists)), "the taken ID: {outcome:?}"),
            9 => assert!(matches!(outcome, Err(StoreError::Database(_))), "the refused row: {outcome:?}"),
            _ => assert!(outcome.is_ok(), "change {index}: {outcome:?}"),
        }
    }
    for (key, _) in &keys {
        assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap().as_ref(), Some(key));
        assert_eq!(store.events(Some(&key.arn().to_string())).await.unwrap().len(), 1, "its CreateKey event");
    }
    assert_eq!(store.events(Some(&existing.arn().to_string())).await.unwrap().len(), 1, "no second event");
    assert_eq!(store.get_key(&lost.account, &lost.region, lost.id).await.unwrap(), None);
    assert!(store.events(Some(&lost.arn().to_string())).await.unwrap().is_empty(), "nothing of the refused one");
    let chain = store.audit_chain().await.unwrap();
    assert_eq!(chain.verify(), Ok(chain.events.len()));
}

async fn meta_and_credentials_are_kept(store: &KeyStore) {
    assert_eq!(store.put_meta_if_absent("conformance", b"first").await.unwrap(), b"first");
    assert_eq!(store.put_meta_if_absent("conformance", b"second").await.unwrap(), b"first");
    assert_eq!(store.get_meta("conformance").await.unwrap(), Some(b"first".to_vec()));
    let credential = StoredCredential {
        access_key_id: "AKIACONFORMANCE".to_owned(),
        account: sample_key().account,
        sealed_secret: vec![9],
        created_at: Timestamp(3),
        user_name: None,
    };
    store.put_credential(&credential).await.unwrap();
    assert!(store.identities().await.unwrap().credentials.contains(&credential));
}

async fn users_keep_their_access_keys_and_policies_until_deleted_with_them(store: &KeyStore) {
    let account = sample_key().account;
    let user = StoredUser {
        account: account.clone(),
        name: "Alice".to_owned(),
        user_id: "AIDACONFORMANCEALICE".to_owned(),
        created_at: Timestamp(5),
    };
    assert_eq!(store.create_user(&user).await.unwrap(), Ok(()));
    let same_in_other_case = StoredUser { name: "ALICE".to_owned(), ..user.clone() };
    assert_eq!(store.create_user(&same_in_other_case).await.unwrap(), Err(IdentityRefusal::UserExists));
    let access_key = |id: &str, user_name: &str| StoredCredential {
        access_key_id: id.to_owned(),
        account: account.clone(),
        sealed_secret: vec![1, 2],
        created_at: Timestamp(6),
        user_name: Some(user_name.to_owned()),
    };
    assert_eq!(store.add_user_credential(&access_key("AKIAALICE1", "Alice"), 2).await.unwrap(), Ok(()));
    assert_eq!(store.add_user_credential(&access_key("AKIAALICE2", "Alice"), 2).await.unwrap(), Ok(()));
    let third = store.add_user_credential(&access_key("AKIAALICE3", "Alice"), 2).await.unwrap();
    assert_eq!(third, Err(IdentityRefusal::TooManyAccessKeys));
    let nobody = store.add_user_credential(&access_key("AKIABOB1", "Bob"), 2).await.unwrap();
    assert_eq!(nobody, Err(IdentityRefusal::NoSuchUser));
    let policy = |document: &str| StoredUserPolicy {
        account: account.clone(),
        user_name: "Alice".to_owned(),
        policy_name: "use-keys".to_owned(),
        document: document.to_owned(),
    };
    assert_eq!(store.put_user_policy(&policy("{}"), 2048).await.unwrap(), Ok(()));
    assert_eq!(store.put_user_policy(&policy("{\"Version\":\"2012-10-17\"}"), 2048).await.unwrap(), Ok(()), "replaced");
    let long = policy(&format!("{{\"x\": \"{}\"}}", "yy ".repeat(1100)));
    let refused = store.put_user_policy(&long, 2048).await.unwrap();
    assert_eq!(refused, Err(IdentityRefusal::PoliciesTooLarge), "2,200 characters, whitespace aside");
    let orphan = StoredUserPolicy { user_name: "Bob".to_owned(), ..policy("{}") };
    assert_eq!(store.put_user_policy(&orphan, 2048).await.unwrap(), Err(IdentityRefusal::NoSuchUser));

    let identities = store.identities().await.unwrap();
    assert!(identities.users.contains(&user));
    assert_eq!(identities.policies, vec![policy("{\"Version\":\"2012-10-17\"}")]);
    let alices: Vec<_> = identities.credentials.iter().filter(|c| c.user_name.as_deref() == Some("Alice")).collect();
    assert_eq!(alices.len(), 2);

    assert!(store.delete_user_credential(&account, "Alice", "AKIAALICE1").await.unwrap());
    assert!(!store.delete_user_credential(&account, "Alice", "AKIAALICE1").await.unwrap(), "already gone");
    assert!(!store.delete_user_policy(&account, "Alice", "other").await.unwrap());
    assert_eq!(store.delete_user(&account, "Alice", "arn:aws:iam::111122223333:user/Alice").await.unwrap(), Ok(()));
    assert_eq!(
        store.delete_user(&account, "Alice", "arn:aws:iam::111122223333:user/Alice").await.unwrap(),
        Err(IdentityRefusal::NoSuchUser)
    );
    let identities = store.identities().await.unwrap();
    assert!(identities.users.is_empty() && identities.policies.is_empty(), "{identities:?}");
    assert!(identities.credentials.iter().all(|c| c.user_name.is_none()), "the user's access keys went with it");
}

async fn audit_events_form_a_verifiable_chain(store: &KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    store.append_events(batch(&[sample_event(&key, "Encrypt")])).await.unwrap();
    store.append_events_marked(batch(&[sample_event(&key, "Decrypt")]), "conformance-journal", b"1:100").await.unwrap();
    store.append_events_marked(Default::default(), "conformance-journal", b"1:200").await.unwrap();
    assert_eq!(
        store.get_meta("conformance-journal").await.unwrap(),
        Some(b"1:200".to_vec()),
        "the marker moves with each batch"
    );
    let chain = store.audit_chain().await.unwrap();
    assert!(chain.events.len() >= 3);
    assert_eq!(chain.verify(), Ok(chain.events.len()));
    assert_eq!(chain.events.last().map(|e| e.seq), Some(chain.head.seq));
}

fn batch(events: &[AuditEvent]) -> std::sync::Arc<EventBatch> {
    std::sync::Arc::new(EventBatch::of(events).unwrap())
}

fn call_at(key: &Key, name: &str, at: i64) -> AuditEvent {
    let mut event = sample_event(key, name).with_request(&format!("request-{at}"), Some("10.1.2.3".to_owned()));
    event.event_millis = at;
    event
}

async fn usage_evidence_is_summed_with_the_events(store: &KeyStore) {
    let key = sample_key();
    let arn = key.arn().to_string();
    store.append_events(batch(&[call_at(&key, "Encrypt", 1_000), call_at(&key, "Encrypt", 2_000)])).await.unwrap();
    store
        .append_events_marked(
            batch(&[call_at(&key, "Encrypt", 3_000), call_at(&key, "Decrypt", 500)]),
            "conformance-usage",
            b"1",
        )
        .await
        .unwrap();
    store
        .append_events(batch(&[call_at(&key, "Decrypt", 4_000).with_error("DisabledException", "disabled")]))
        .await
        .unwrap();
    let usage = store.key_usage(&arn).await.unwrap();
    let encrypt = usage.counts.iter().find(|(k, _)| k.operation == "Encrypt").unwrap().1;
    assert_eq!(
        (encrypt.calls, encrypt.ciphertexts, encrypt.first_millis, encrypt.last_millis),
        (3, 3, 1_000, 3_000),
        "sums across batches"
    );
    let last = usage.last_use.unwrap();
    assert_eq!(
        (last.operation.as_str(), last.millis, last.request_id.as_str()),
        ("Encrypt", 3_000, "request-3000"),
        "an older event never replaces a newer last use"
    );
    assert_eq!(usage.refused.len(), 1);
    assert_eq!(usage.refused[0].error_code, "DisabledException");
    assert_eq!(store.key_usage("arn:aws:kms:us-east-1:111122223333:key/none").await.unwrap(), Default::default());
}

async fn pruning_keeps_the_chain_verifiable(store: &KeyStore) {
    let key = sample_key();
    let old: Vec<AuditEvent> = (0..5).map(|i| call_at(&key, "Encrypt", 10 + i)).collect();
    store.append_events(batch(&old)).await.unwrap();
    store.append_events(batch(&[call_at(&key, "Encrypt", i64::MAX / 2)])).await.unwrap();
    let before = store.audit_chain().await.unwrap().events.len();
    let marker = sample_event(&key, "PruneAuditEvents");
    let removed = store.prune_events(Timestamp(1_000_000), &marker).await.unwrap();
    assert!(removed >= 5, "{removed}");
    let chain = store.audit_chain().await.unwrap();
    assert_eq!(chain.events.len() as u64, before as u64 - removed + 1, "the pruning is itself recorded");
    assert!(chain.anchor.seq > 0);
    assert_eq!(chain.verify(), Ok(chain.events.len()), "the rest verifies from the anchor");
    assert_eq!(store.prune_events(Timestamp(1_000_000), &marker).await.unwrap(), 0, "nothing older is left");
}

async fn retirement_plans_are_conditional_and_commit_with_their_key(store: &KeyStore) {
    use trent_domain::{RetirementEvent, RetirementPlan, RetirementStep};
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    let plan = RetirementPlan {
        account: key.account.clone(),
        region: key.region.clone(),
        key_id: key.id,
        step: RetirementStep::Observing,
        observe_millis: 1_000,
        pending_window_days: 7,
        started_at: Timestamp(1),
        observe_until: Timestamp(1_001),
        scheduled_at: None,
        deletion_date: None,
        finished_at: None,
        reason: String::new(),
        started_by: "arn:aws:iam::111122223333:root".to_owned(),
        version: 0,
    };
    let mut disabled = key.clone();
    disabled.state = KeyState::Disabled;
    let (stored, stored_key) = store
        .save_retirement_plan(&plan, Some(&disabled), Some(&sample_event(&key, "StartKeyRetirement")))
        .await
        .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored_key.unwrap().state, KeyState::Disabled);
    assert_eq!(store.get_retirement_plan(&key.account, &key.region, key.id).await.unwrap(), Some(stored.clone()));
    assert!(store.active_retirement_plans().await.unwrap().iter().any(|p| p.key_id == key.id));
    assert!(
        matches!(store.save_retirement_plan(&plan, None, None).await, Err(StoreError::Conflict)),
        "one active plan per key"
    );

    // A key write that conflicts takes the plan's change with it.
    let mut halted = stored.clone();
    halted.advance(RetirementEvent::Halt, Timestamp(5), "attempted use").unwrap();
    assert!(matches!(store.save_retirement_plan(&halted, Some(&disabled), None).await, Err(StoreError::Conflict)));
    assert_eq!(
        store.get_retirement_plan(&key.account, &key.region, key.id).await.unwrap().unwrap().step,
        RetirementStep::Observing
    );
    let (halted, _) = store.save_retirement_plan(&halted, None, None).await.unwrap();
    assert_eq!((halted.step, halted.version), (RetirementStep::Halted, 2));
    assert!(
        matches!(store.save_retirement_plan(&stored, None, None).await, Err(StoreError::Conflict)),
        "a stale version is refused"
    );
    assert!(!store.active_retirement_plans().await.unwrap().iter().any(|p| p.key_id == key.id));
    let (again, _) = store.save_retirement_plan(&plan, None, None).await.unwrap();
    assert_eq!(
        (again.step, again.version),
        (RetirementStep::Observing, 3),
        "a finished plan can be replaced by a new one"
    );
}

async fn reset_wipes_keys_aliases_and_events(store: &KeyStore) {
    let key = sample_key();
    store.create_key(&key, &sample_event(&key, "CreateKey")).await.unwrap();
    store.reset().await.unwrap();
    assert_eq!(store.get_key(&key.account, &key.region, key.id).await.unwrap(), None);
    assert!(store.events(None).await.unwrap().is_empty());
    assert!(store.get_meta("conformance").await.unwrap().is_some(), "reset keeps the store's own bookkeeping");
}

/// The audit writer appends while a reset runs (dev mode's reset between tests, with every call audited): an append
/// must land wholly before the reset (and be wiped) or after it (and start the new chain), never leave a segment
/// that the new chain later collides with.
async fn a_reset_during_appends_leaves_one_chain_that_continues(store: &KeyStore) {
    let key = sample_key();
    for _ in 0..5 {
        let appends = async {
            for _ in 0..20 {
                store.append_events(batch(&[sample_event(&key, "Encrypt")])).await.unwrap();
            }
        };
        let (_, reset) = tokio::join!(appends, store.reset());
        reset.unwrap();
        for _ in 0..30 {
            store.append_events(batch(&[sample_event(&key, "Encrypt")])).await.unwrap();
        }
        let chain = store.audit_chain().await.unwrap();
        assert!(chain.verify().is_ok(), "the chain after a reset verifies: {:?}", chain.verify());
    }
    store.reset().await.unwrap();
}

/// A throwaway database on the test PostgreSQL server, dropped when this is dropped.
pub struct TestDatabase {
    /// The URL of the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside any async context's control, so use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok((client, connection)) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await {
                    tokio::spawn(connection);
                    let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A fresh database on the server at `TRENT_TEST_POSTGRES_URL`. When the variable is unset the PostgreSQL tests are
/// skipped with a printed reason, unless `TRENT_REQUIRE_POSTGRES` is set (CI), where that is a failure.
pub async fn postgres_test_database() -> Option<TestDatabase> {
    let Ok(admin_url) = std::env::var("TRENT_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("TRENT_REQUIRE_POSTGRES").is_none(),
            "TRENT_REQUIRE_POSTGRES is set but TRENT_TEST_POSTGRES_URL is not"
        );
        eprintln!("skipping PostgreSQL test: TRENT_TEST_POSTGRES_URL is not set (scripts/test.sh provides a server)");
        return None;
    };
    let (client, connection) =
        tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await.expect("connect to TRENT_TEST_POSTGRES_URL");
    tokio::spawn(connection);
    let name = format!("trent_test_{}", uuid::Uuid::new_v4().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    Some(TestDatabase { url: with_database(&admin_url, &name), admin_url, name })
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(with_database("postgres://u@h:5/postgres", "x"), "postgres://u@h:5/x");
        assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
        assert_eq!(with_database("postgres://u@h:5/db?sslmode=disable", "x"), "postgres://u@h:5/x?sslmode=disable");
    }
}
