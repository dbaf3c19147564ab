//! Deletion protection, Trent's extension operation (`Trent.SetDeletionProtection` / `Trent.GetDeletionProtection`):
//! while on, ScheduleKeyDeletion is refused and nothing changes; settled only outside a waiting period; audited.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::types::KeyState;
use common::{error_code, error_message, wire_type, TestServer};
use serde_json::{json, Value};

fn protect(server: &TestServer, key_id: &str, enabled: bool) -> (u16, Value) {
    let (status, _, body) =
        server.signed_dev("Trent.SetDeletionProtection", &json!({ "KeyId": key_id, "Enabled": enabled }).to_string());
    (status, serde_json::from_str(&body).unwrap())
}

fn protection(server: &TestServer, key_id: &str) -> Value {
    let (status, _, body) = server.signed_dev("Trent.GetDeletionProtection", &json!({ "KeyId": key_id }).to_string());
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn a_protected_key_cannot_be_scheduled_for_deletion_and_nothing_changes() {
    let server = TestServer::start();
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let (key_id, arn) = (key.key_id().to_owned(), key.arn().unwrap().to_owned());
    assert_eq!(protection(&server, &key_id)["DeletionProtection"], false);

    let (status, answer) = protect(&server, &key_id, true);
    assert_eq!(status, 200);
    assert_eq!(answer, json!({ "KeyId": arn, "DeletionProtection": true }));
    let (_, _, missing) = server.signed_dev("Trent.GetDeletionProtection", r#"{"KeyId":"alias/none-yet"}"#);
    assert_eq!(wire_type(&missing), "NotFoundException");

    let refused = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap_err();
    assert_eq!(error_code(&refused), "KMSInvalidStateException");
    assert!(error_message(&refused).contains("deletion protection"), "{}", error_message(&refused));
    let after = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(after.key_state(), Some(&KeyState::Enabled));
    assert!(after.deletion_date().is_none());

    // Turned off, the deletion can be scheduled; while pending, protection cannot be changed.
    assert_eq!(protect(&server, &key_id, false).0, 200);
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    let (status, answer) = protect(&server, &key_id, true);
    assert_eq!((status, answer["__type"].as_str()), (400, Some("KMSInvalidStateException")));
    assert_eq!(protection(&server, &key_id)["DeletionProtection"], false);

    let names = server.key_changes(&arn);
    assert_eq!(names, ["CreateKey", "SetDeletionProtection", "SetDeletionProtection", "ScheduleKeyDeletion"]);
    let set = server.audit_events().into_iter().find(|(n, _, _)| n == "SetDeletionProtection").unwrap().2;
    assert!(set.contains("\"enabled\":true"), "{set}");
}

#[tokio::test]
async fn extension_requests_are_validated_like_aws_ones() {
    let server = TestServer::start();
    let (status, _, body) =
        server.signed_dev("Trent.SetDeletionProtection", r#"{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}"#);
    assert_eq!((status, wire_type(&body).as_str()), (400, "ValidationException"));
    assert!(body.contains("Value null at 'enabled'"), "{body}");
    let (_, _, body) = server.signed_dev(
        "Trent.SetDeletionProtection",
        r#"{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","Enabled":"yes"}"#,
    );
    assert_eq!(wire_type(&body), "SerializationException");
    let (_, _, body) = server.signed_dev(
        "Trent.SetDeletionProtection",
        r#"{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","Enabled":true}"#,
    );
    assert_eq!(wire_type(&body), "NotFoundException");
    let (_, _, body) = server.signed_dev("TrentService.SetDeletionProtection", "{}");
    assert_eq!(wire_type(&body), "UnknownOperationException", "extensions never appear under AWS's prefix");
    // Unsigned extension calls are refused like any other.
    let (status, _, body) =
        server.http_full("POST", "/", &[("x-amz-target", "Trent.GetDeletionProtection".to_owned())], b"{}");
    assert_eq!((status, wire_type(&body).as_str()), (403, "MissingAuthenticationTokenException"));
}

#[tokio::test]
async fn new_keys_can_be_protected_by_default() {
    let server = TestServer::start_with(&["--deletion-protection-by-default"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    assert_eq!(protection(&server, &key_id)["DeletionProtection"], true);
    assert_eq!(
        error_code(&kms.schedule_key_deletion().key_id(&key_id).send().await.unwrap_err()),
        "KMSInvalidStateException"
    );
}

/// Runs `trent` as a user would and returns its JSON answer, asserting that it succeeded.
fn cli_json(server: &TestServer, args: &[&str]) -> Value {
    let out = server.trent_cli(args);
    assert!(out.status.success(), "trent {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn protection_turned_on_during_a_retirement_halts_the_plan_and_keeps_the_key_disabled() {
    // The issue's reproduction, step by step with the client commands: the retirement worker is a second path that
    // schedules deletions, and it must meet the same rule as ScheduleKeyDeletion.
    let server = TestServer::start();
    let created = cli_json(&server, &["key", "create", "--output", "json"]);
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    cli_json(
        &server,
        &["key", "retire", &key_id, "--observe", "1d", "--pending-window", "7", "--force", "--output", "json"],
    );
    let out = server.trent_cli(&["key", "protect", &key_id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    server.advance_clock(86_400 + 60);
    let halted = common::eventually(std::time::Duration::from_secs(10), || async {
        cli_json(&server, &["key", "retire", &key_id, "--status", "--output", "json"])["Retirement"]["Step"] == "Halted"
    })
    .await;
    let plan = cli_json(&server, &["key", "retire", &key_id, "--status", "--output", "json"]);
    assert!(halted, "the plan never halted: {plan}");
    assert!(plan["Retirement"]["Reason"].as_str().unwrap().contains("deletion protection was turned on"), "{plan}");
    let described = server.client().describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(described.key_state(), Some(&KeyState::Disabled));
    assert!(described.deletion_date().is_none());
    assert_eq!(protection(&server, &key_id)["DeletionProtection"], true);
}
