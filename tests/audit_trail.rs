//! The audit trail (with `--audit-calls true`): every call, successful or failed (authentication failures and unknown keys included), is
//! recorded before it is answered; records never hold plaintext; the hash chain exposes any changed, removed or
//! reordered event; acknowledged events survive `kill -9`; queries filter by key, name, errors and time.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use common::{error_code, TestServer};
use serde_json::{json, Value};

fn call(server: &TestServer, target: &str, body: Value) -> Value {
    let (status, _, text) = server.signed_dev(target, &body.to_string());
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn verify(server: &TestServer) -> Value {
    call(server, "Trent.VerifyAuditTrail", json!({}))
}

/// The recorded events with this name; asking for a verification first waits until every journaled event is stored.
fn named(server: &TestServer, name: &str) -> Vec<Value> {
    verify(server);
    server
        .audit_events()
        .into_iter()
        .filter(|(n, _, _)| n == name)
        .map(|(_, _, r)| serde_json::from_str(&r).unwrap())
        .collect()
}

#[tokio::test]
async fn every_call_is_recorded_once_successful_or_not_and_never_with_plaintext() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let arn = key.arn().unwrap().to_owned();
    let secret = "PLAINTEXT-IN-AUDIT-7c1d";
    let blob =
        kms.encrypt().key_id(key.key_id()).plaintext(Blob::new(secret)).send().await.unwrap().ciphertext_blob.unwrap();
    kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    kms.describe_key().key_id("1234abcd-12ab-34cd-56ef-1234567890ab").send().await.unwrap_err();
    kms.schedule_key_deletion().key_id(key.key_id()).pending_window_in_days(3).send().await.unwrap_err();
    server.client_for("us-east-1", "test", "wrong-secret").list_keys().send().await.unwrap_err();
    server.client_for("us-east-1", "AKIASTRANGER", "x").list_keys().send().await.unwrap_err();
    server
        .client_for("us-east-1", "AKIASTRANGER", "x")
        .disable_key()
        .key_id("alias/unreachable")
        .send()
        .await
        .unwrap_err();

    assert_eq!(named(&server, "CreateKey").len(), 1, "a key change is recorded once, in its own transaction");
    let encrypt = &named(&server, "Encrypt")[0];
    assert_eq!(encrypt["eventSource"], "kms.amazonaws.com");
    assert_eq!(encrypt["resources"][0]["ARN"], arn);
    assert_eq!(encrypt["requestParameters"]["keyId"], key.key_id());
    assert_eq!(encrypt["userIdentity"]["accessKeyId"], "test");
    assert!(encrypt["userAgent"].as_str().is_some_and(|ua| !ua.is_empty()));
    assert!(encrypt.get("errorCode").is_none());
    assert_eq!(named(&server, "Decrypt").len(), 1);
    let missing = &named(&server, "DescribeKey")[0];
    assert_eq!(missing["errorCode"], "NotFoundException");
    assert_eq!(missing["readOnly"], true);
    let invalid = &named(&server, "ScheduleKeyDeletion")[0];
    assert_eq!(
        (invalid["errorCode"].as_str(), invalid["requestParameters"]["pendingWindowInDays"].as_i64()),
        (Some("ValidationException"), Some(3))
    );
    let refusals: Vec<String> =
        named(&server, "ListKeys").iter().map(|e| e["errorCode"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(refusals, ["InvalidSignatureException", "UnrecognizedClientException"]);
    assert_eq!(named(&server, "ListKeys")[1]["userIdentity"]["accessKeyId"], "AKIASTRANGER");
    let stranger = &named(&server, "DisableKey")[0];
    assert_eq!(
        (stranger["errorCode"].as_str(), stranger["requestParameters"]["keyId"].as_str()),
        (Some("UnrecognizedClientException"), Some("alias/unreachable")),
        "a call refused before any operation read its body still records its members"
    );

    verify(&server);
    for (_, _, record) in server.audit_events() {
        assert!(!record.contains(secret), "{record}");
        assert!(!record.contains("CiphertextBlob") && !record.contains("\"plaintext\""), "{record}");
    }
    assert_eq!(verify(&server)["Verified"], true);
}

#[tokio::test]
async fn changed_removed_and_truncated_events_are_detected_and_named() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    for _ in 0..5 {
        kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();
    }
    let intact = verify(&server);
    assert_eq!(intact["Verified"], true, "{intact}");
    // Every call is in the store now (verification waited for the journal), so tampering hits stored rows.
    assert!(intact["EventsChecked"].as_u64().unwrap() >= 6);

    // Change one call's stored entry (its event name, a length then the text): the event is named.
    let (encrypt, forged) = (b"\x07\0\0\0Encrypt", b"\x07\0\0\0Decrypt");
    server.rewrite_audit_entry(|entry| common::replaced(entry, encrypt, forged));
    assert!(server.audit_events().iter().any(|(name, _, _)| name == "Decrypt"), "the forged entry still reads");
    let changed = verify(&server);
    assert_eq!(changed["Verified"], false);
    assert!(changed["Break"].as_str().unwrap().contains("was changed"), "{changed}");
    server.rewrite_audit_entry(|entry| common::replaced(entry, forged, encrypt));
    assert_eq!(verify(&server)["Verified"], true, "restoring the entry restores the chain");
    let encrypt = r#""eventName":"Encrypt""#;

    // Remove one from the middle, then from the end.
    let first_encrypt = server.audit_segment_holding(|record| record.contains(encrypt));
    server.execute_sql(&format!("DELETE FROM audit_segments WHERE first_seq = {first_encrypt}"));
    let removed = verify(&server);
    assert!(removed["Break"].as_str().unwrap().contains("removed or reordered"), "{removed}");
}

#[tokio::test]
async fn removing_the_newest_events_is_detected() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    kms.create_key().send().await.unwrap();
    kms.list_keys().send().await.unwrap();
    assert_eq!(verify(&server)["Verified"], true);
    server.execute_sql("DELETE FROM audit_segments WHERE first_seq = (SELECT MAX(first_seq) FROM audit_segments)");
    let truncated = verify(&server);
    // Cut from the end, or, when an event was still on its way from the journal, a link missing before it.
    assert_eq!(truncated["Verified"], false);
    assert!(truncated["Break"].as_str().unwrap().contains("removed"), "{truncated}");
}

#[tokio::test]
async fn acknowledged_events_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let _db = common::DatabaseGuard::for_dir(dir.path());
    let server = TestServer::start_in(dir.path(), &["--audit-calls", "true"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let calls: Vec<_> = (0..40)
        .map(|_| {
            let kms = kms.clone();
            let key_id = key_id.clone();
            tokio::spawn(async move { kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.is_ok() })
        })
        .collect();
    let mut acknowledged = 0;
    for c in calls {
        acknowledged += usize::from(c.await.unwrap());
    }
    server.kill_9();
    let server = TestServer::start_in(dir.path(), &["--audit-calls", "true"]);
    assert_eq!(named(&server, "Encrypt").len(), acknowledged);
    assert_eq!(verify(&server)["Verified"], true);
}

#[tokio::test]
async fn audit_queries_filter_by_key_name_errors_and_time() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let first = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let second = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    kms.encrypt().key_id(&first).plaintext(Blob::new("x")).send().await.unwrap();
    kms.disable_key().key_id(&second).send().await.unwrap();
    let e = kms.encrypt().key_id(&second).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(error_code(&e), "DisabledException");

    let of_first = call(&server, "Trent.ListAuditEvents", json!({ "KeyId": first }));
    let names: Vec<&str> =
        of_first["Events"].as_array().unwrap().iter().map(|e| e["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["CreateKey", "Encrypt"]);
    let errors = call(&server, "Trent.ListAuditEvents", json!({ "ErrorsOnly": true }));
    let errors = errors["Events"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["errorCode"], "DisabledException");
    let limited = call(&server, "Trent.ListAuditEvents", json!({ "EventName": "CreateKey", "Limit": 1 }));
    assert_eq!((limited["Events"].as_array().unwrap().len(), &limited["Truncated"]), (1, &json!(true)));
    let future = call(&server, "Trent.ListAuditEvents", json!({ "StartTime": 4_000_000_000u64 }));
    assert!(future["Events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn audit_queries_page_by_marker_and_filter_by_principal() {
    let server =
        TestServer::start_with(&["--audit-calls", "true", "--credential", "AKIAOTHER:other-secret:111122223333"]);
    let kms = server.client();
    let other = server.client_for("us-east-1", "AKIAOTHER", "other-secret");
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    for _ in 0..5 {
        kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();
    }
    other.describe_key().key_id(&key_id).send().await.unwrap();

    let by_other = call(&server, "Trent.ListAuditEvents", json!({ "Principal": "AKIAOTHER" }));
    let names: Vec<&str> =
        by_other["Events"].as_array().unwrap().iter().map(|e| e["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["DescribeKey"]);

    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = call(
            &server,
            "Trent.ListAuditEvents",
            json!({ "KeyId": key_id, "EventName": "Encrypt", "Limit": 2, "Marker": marker }),
        );
        seen.extend(page["Events"].as_array().unwrap().iter().map(|e| e["eventID"].as_str().unwrap().to_owned()));
        assert_eq!(page["Truncated"], page.get("NextMarker").is_some());
        match page.get("NextMarker").and_then(Value::as_str) {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "every event once, across pages");
    seen.dedup();
    assert_eq!(seen.len(), 5);
    let (status, _, text) =
        server.signed_dev("Trent.ListAuditEvents", &json!({ "Marker": "no-such-event" }).to_string());
    assert_eq!((status, common::wire_type(&text).as_str()), (400, "InvalidMarkerException"), "{text}");
}

#[tokio::test]
async fn retention_removes_old_events_and_the_pruned_chain_still_verifies() {
    let server = TestServer::start_with(&["--audit-calls", "true", "--audit-retention-days", "7"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    for _ in 0..3 {
        kms.encrypt().key_id(&key_id).plaintext(Blob::new("old")).send().await.unwrap();
    }
    assert_eq!(verify(&server)["Verified"], true);
    server.advance_clock(8 * 86_400);
    kms.encrypt().key_id(&key_id).plaintext(Blob::new("new")).send().await.unwrap();
    verify(&server);
    server.advance_clock(1);

    let pruned = common::eventually(std::time::Duration::from_secs(10), || async {
        !named(&server, "PruneAuditEvents").is_empty()
    })
    .await;
    assert!(pruned, "the retention worker pruned the trail");
    let prune = &named(&server, "PruneAuditEvents")[0];
    assert_eq!(prune["eventType"], "AwsServiceEvent");
    assert!(prune["requestParameters"]["reason"].as_str().unwrap().contains("audit retention of 7 days"), "{prune}");
    let listed = call(&server, "Trent.ListAuditEvents", json!({ "EventName": "PruneAuditEvents" }));
    // The trail is pruned a segment at a time, so the last old segment may go in a second prune a moment later.
    assert!(!listed["Events"].as_array().unwrap().is_empty(), "the account sees the server's prunes: {listed}");
    let encrypts = named(&server, "Encrypt");
    assert!(encrypts.len() <= 1, "the old calls are gone: {}", encrypts.len());
    assert!(named(&server, "CreateKey").is_empty());
    let verified = verify(&server);
    assert_eq!(verified["Verified"], true, "{verified}");
    // The usage evidence is summed, not pruned: it still knows of all four uses.
    let (_, _, text) = server.signed_dev("Trent.GetKeyUsage", &json!({ "KeyId": key_id }).to_string());
    let usage: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(usage["ByOperation"]["Encrypt"]["Succeeded"], 4);
}
