//! The key lifecycle end to end, driven by the official aws-sdk-kms client: the deletion procedure of AWS's guide
//! (create, use, disable, schedule, refuse, cancel, enable, use again; then schedule and let the period run out).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;
use common::{error_code, error_message, eventually, TestServer};

const DAY: i64 = 86_400;

#[tokio::test]
async fn the_whole_deletion_procedure_works_as_aws_documents() {
    let server = TestServer::start();
    let kms = server.client();

    // Create and use.
    let key = kms.create_key().description("orders db").send().await.unwrap().key_metadata.unwrap();
    let key_id = key.key_id().to_owned();
    let arn = key.arn().unwrap().to_owned();
    assert_eq!(key.key_state(), Some(&KeyState::Enabled));
    let ciphertext =
        kms.encrypt().key_id(&key_id).plaintext(Blob::new("card 4111")).send().await.unwrap().ciphertext_blob.unwrap();

    // Disable: every cryptographic call is DisabledException.
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let refused = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(error_code(&refused), "DisabledException");
    assert_eq!(error_message(&refused), format!("{arn} is disabled."));

    // Schedule for 7 days.
    let scheduled = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(scheduled.key_id(), Some(arn.as_str()));
    assert_eq!(scheduled.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days(), Some(7));
    let deletion_date = scheduled.deletion_date().unwrap().secs();
    let created = key.creation_date().unwrap().secs();
    assert!((deletion_date - created - 7 * DAY).abs() < 60, "deletion date is 7 days out");

    let described = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(described.key_state(), Some(&KeyState::PendingDeletion));
    assert!(!described.enabled());
    assert_eq!(described.deletion_date().map(|d| d.secs()), Some(deletion_date));

    // Every cryptographic call fails with KMSInvalidStateException while pending.
    let pending = format!("{arn} is pending deletion.");
    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!((error_code(&e), error_message(&e)), ("KMSInvalidStateException".to_owned(), pending.clone()));
    let e = kms.decrypt().ciphertext_blob(ciphertext.clone()).send().await.unwrap_err();
    assert_eq!((error_code(&e), error_message(&e)), ("KMSInvalidStateException".to_owned(), pending.clone()));
    let e = kms.generate_data_key().key_id(&key_id).number_of_bytes(32).send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    let e = kms.generate_data_key_without_plaintext().key_id(&key_id).number_of_bytes(32).send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    let e = kms.re_encrypt().ciphertext_blob(ciphertext.clone()).destination_key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    let e = kms.enable_key().key_id(&key_id).send().await.unwrap_err();
    assert_eq!((error_code(&e), error_message(&e)), ("KMSInvalidStateException".to_owned(), pending.clone()));
    let e = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(30).send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    let again = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(
        again.deletion_date().map(|d| d.secs()),
        Some(deletion_date),
        "a second schedule does not reset the window"
    );

    // Cancel: the key comes back Disabled, not Enabled, with no deletion date.
    let cancelled = kms.cancel_key_deletion().key_id(&key_id).send().await.unwrap();
    assert_eq!(cancelled.key_id(), Some(arn.as_str()));
    let back = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(back.key_state(), Some(&KeyState::Disabled));
    assert!(back.deletion_date().is_none());
    let e = kms.cancel_key_deletion().key_id(&key_id).send().await.unwrap_err();
    assert_eq!(
        (error_code(&e), error_message(&e)),
        ("KMSInvalidStateException".to_owned(), format!("{arn} is not pending deletion."))
    );

    // Enable and use again: the old ciphertext still decrypts.
    kms.enable_key().key_id(&key_id).send().await.unwrap();
    let plain = kms.decrypt().ciphertext_blob(ciphertext.clone()).send().await.unwrap().plaintext.unwrap();
    assert_eq!(plain.as_ref(), b"card 4111");

    // Schedule again and let the waiting period run out.
    kms.create_alias().alias_name("alias/orders-db").target_key_id(&key_id).send().await.unwrap();
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    server.advance_clock(7 * DAY - 120);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(kms.describe_key().key_id(&key_id).send().await.is_ok(), "never deleted early");
    server.advance_clock(180);
    let gone =
        eventually(Duration::from_secs(2), || async { kms.describe_key().key_id(&key_id).send().await.is_err() }).await;
    assert!(gone, "deleted within 2 seconds of the deletion date");

    for e in [
        error_code(&kms.describe_key().key_id(&key_id).send().await.unwrap_err()),
        error_code(&kms.describe_key().key_id(&arn).send().await.unwrap_err()),
        error_code(&kms.enable_key().key_id(&key_id).send().await.unwrap_err()),
        error_code(&kms.cancel_key_deletion().key_id(&key_id).send().await.unwrap_err()),
        error_code(&kms.describe_key().key_id("alias/orders-db").send().await.unwrap_err()),
        error_code(&kms.decrypt().ciphertext_blob(ciphertext.clone()).send().await.unwrap_err()),
    ] {
        assert_eq!(e, "NotFoundException");
    }
    let e = kms.describe_key().key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_message(&e), format!("Key '{arn}' does not exist"));
    let keys = kms.list_keys().send().await.unwrap();
    assert!(keys.keys().iter().all(|k| k.key_id() != Some(key_id.as_str())));
    let aliases = kms.list_aliases().send().await.unwrap();
    assert!(aliases.aliases().is_empty(), "the alias went with the key");

    // The schedule, the cancel and the deletion itself are in the audit table.
    assert!(server.deletion_recorded(&arn).await, "the worker's deletion is recorded");
    let names = server.key_changes(&arn);
    assert_eq!(
        names,
        [
            "CreateKey",
            "DisableKey",
            "ScheduleKeyDeletion",
            "CancelKeyDeletion",
            "EnableKey",
            "ScheduleKeyDeletion",
            "DeleteKey"
        ]
    );
    let delete = server.audit_events().into_iter().find(|(n, _, _)| n == "DeleteKey").unwrap().2;
    assert!(delete.contains("\"eventType\":\"AwsServiceEvent\""), "{delete}");
}

#[tokio::test]
async fn pending_window_is_validated_and_changes_nothing() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();

    for days in [6, 31] {
        let e = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(days).send().await.unwrap_err();
        assert_eq!(
            (error_code(&e), error_message(&e)),
            ("ValidationException".to_owned(), "PendingWindowInDays must be between 7 and 30".to_owned())
        );
    }
    let e = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(0).send().await.unwrap_err();
    assert_eq!(
        error_message(&e),
        "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    let e = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(366).send().await.unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");
    let state = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(state.key_state(), Some(&KeyState::Enabled), "refused schedules changed nothing");

    // The default window is 30 days, and 7 and 30 themselves are accepted.
    let scheduled = kms.schedule_key_deletion().key_id(&key_id).send().await.unwrap();
    assert_eq!(scheduled.pending_window_in_days(), Some(30));
    kms.cancel_key_deletion().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        kms.schedule_key_deletion()
            .key_id(&key_id)
            .pending_window_in_days(7)
            .send()
            .await
            .unwrap()
            .pending_window_in_days(),
        Some(7)
    );
}

#[tokio::test]
async fn aliases_tags_and_descriptions_follow_the_state_table() {
    let server = TestServer::start();
    let kms = server.client();
    let key = kms
        .create_key()
        .tags(aws_sdk_kms::types::Tag::builder().tag_key("team").tag_value("orders").build().unwrap())
        .send()
        .await
        .unwrap();
    let key_id = key.key_metadata.unwrap().key_id().to_owned();
    kms.create_alias().alias_name("alias/before").target_key_id(&key_id).send().await.unwrap();
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();

    // Refused while pending deletion.
    let e = kms.create_alias().alias_name("alias/after").target_key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    let tag = aws_sdk_kms::types::Tag::builder().tag_key("k").tag_value("v").build().unwrap();
    let e = kms.tag_resource().key_id(&key_id).tags(tag).send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    let e = kms.untag_resource().key_id(&key_id).tag_keys("team").send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    let e = kms.update_key_description().key_id(&key_id).description("new").send().await.unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");

    // Allowed while pending deletion: reading tags and policy, describing, deleting an alias.
    let tags = kms.list_resource_tags().key_id(&key_id).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert!(kms.get_key_policy().key_id(&key_id).send().await.unwrap().policy().unwrap().contains("kms:*"));
    assert!(kms.describe_key().key_id("alias/before").send().await.is_ok());
    kms.delete_alias().alias_name("alias/before").send().await.unwrap();
}

#[tokio::test]
async fn racing_schedules_and_cancels_leave_only_valid_states_and_lose_no_update() {
    let server = TestServer::start();
    let kms = server.client();
    let mut keys = Vec::new();
    for _ in 0..10 {
        let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
        keys.push((key.key_id().to_owned(), key.arn().unwrap().to_owned()));
    }
    let mut tasks = Vec::new();
    for (key_id, _) in &keys {
        for attempt in 0..8 {
            let kms = kms.clone();
            let key_id = key_id.clone();
            tasks.push(tokio::spawn(async move {
                if attempt % 2 == 0 {
                    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.is_ok()
                } else {
                    kms.cancel_key_deletion().key_id(&key_id).send().await.is_ok()
                }
            }));
        }
    }
    let mut acknowledged = 0;
    for task in tasks {
        acknowledged += usize::from(task.await.unwrap());
    }

    let events = server.audit_events();
    let mut recorded = 0;
    for (key_id, arn) in &keys {
        let key = kms.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap();
        match key.key_state().unwrap() {
            KeyState::PendingDeletion => assert!(key.deletion_date().is_some()),
            KeyState::Enabled | KeyState::Disabled => assert!(key.deletion_date().is_none()),
            other => panic!("invalid state {other:?}"),
        }
        // Every acknowledged change is recorded, and they alternate: schedule, cancel, schedule, …
        let changes = common::assert_schedule_cancel_alternate(&events, arn);
        let pending = key.key_state() == Some(&KeyState::PendingDeletion);
        assert_eq!(changes % 2 == 1, pending, "the last recorded change matches the state");
        recorded += changes;
    }
    assert_eq!(recorded, acknowledged, "every acknowledged change, and nothing else, was recorded");
}

#[tokio::test]
async fn a_cancel_racing_the_deletion_worker_either_wins_whole_or_loses_whole() {
    let server = TestServer::start();
    let kms = server.client();
    let mut keys = Vec::new();
    for _ in 0..10 {
        let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
        kms.schedule_key_deletion().key_id(key.key_id()).pending_window_in_days(7).send().await.unwrap();
        keys.push((key.key_id().to_owned(), key.arn().unwrap().to_owned()));
    }
    // Cancel each key a hair before its deletion date passes, while the worker is woken by the clock.
    server.advance_clock(7 * DAY - 1);
    let cancels: Vec<_> = keys
        .iter()
        .map(|(key_id, _)| {
            let kms = kms.clone();
            let key_id = key_id.clone();
            tokio::spawn(async move { kms.cancel_key_deletion().key_id(&key_id).send().await.is_ok() })
        })
        .collect();
    server.advance_clock(2);
    let mut cancelled = Vec::new();
    for task in cancels {
        cancelled.push(task.await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = server.audit_events();
    for ((key_id, arn), was_cancelled) in keys.iter().zip(cancelled) {
        let deletions =
            events.iter().filter(|(name, k, _)| name == "DeleteKey" && k.as_deref() == Some(arn.as_str())).count();
        let described = kms.describe_key().key_id(key_id).send().await;
        if was_cancelled {
            assert_eq!(deletions, 0, "a successful cancel means the key was never deleted");
            assert_eq!(described.unwrap().key_metadata.unwrap().key_state(), Some(&KeyState::Disabled));
        } else {
            assert_eq!(deletions, 1, "a failed cancel means the key was deleted, exactly once");
            assert_eq!(error_code(&described.unwrap_err()), "NotFoundException");
        }
    }
}
