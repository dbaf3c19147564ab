//! Usage evidence (`Trent.GetKeyUsage`) and AWS's `GetKeyLastUsage`, with `--audit-calls true`: the counts equal the
//! calls made, per operation, outcome and principal; ciphertexts and data keys produced are counted; every attempt on
//! a disabled or pending key is listed; GetKeyLastUsage names the last successful use and its audit event.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use common::{error_code, TestServer};
use serde_json::{json, Value};

fn usage(server: &TestServer, key_id: &str) -> Value {
    let (status, _, text) = server.signed_dev("Trent.GetKeyUsage", &json!({ "KeyId": key_id }).to_string());
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn usage_counts_equal_the_calls_made() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let key_id = key.key_id().to_owned();
    let mut blobs = Vec::new();
    for i in 0..5 {
        blobs.push(
            kms.encrypt()
                .key_id(&key_id)
                .plaintext(Blob::new(format!("secret {i}")))
                .send()
                .await
                .unwrap()
                .ciphertext_blob
                .unwrap(),
        );
    }
    for blob in blobs.iter().take(3) {
        kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap();
    }
    for _ in 0..2 {
        kms.generate_data_key().key_id(&key_id).number_of_bytes(32).send().await.unwrap();
    }
    kms.generate_data_key_without_plaintext().key_id(&key_id).number_of_bytes(32).send().await.unwrap();
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    for _ in 0..4 {
        assert_eq!(
            error_code(&kms.encrypt().key_id(&key_id).plaintext(Blob::new("late")).send().await.unwrap_err()),
            "DisabledException"
        );
    }
    kms.decrypt().ciphertext_blob(blobs[0].clone()).send().await.unwrap_err();

    let report = usage(&server, &key_id);
    assert_eq!(report["KeyId"], key.arn().unwrap());
    assert_eq!(report["Tracking"], true);
    assert_eq!(report["ByOperation"]["Encrypt"], json!({ "Succeeded": 5, "Failed": 4 }));
    assert_eq!(report["ByOperation"]["Decrypt"], json!({ "Succeeded": 3, "Failed": 1 }));
    assert_eq!(report["ByOperation"]["GenerateDataKey"], json!({ "Succeeded": 2, "Failed": 0 }));
    assert_eq!(report["ByOperation"]["GenerateDataKeyWithoutPlaintext"], json!({ "Succeeded": 1, "Failed": 0 }));
    assert_eq!(report["CiphertextsProduced"], 8, "5 Encrypt + 3 data keys");
    assert_eq!(report["DataKeysProduced"], 3);
    assert_eq!(report["FailuresByErrorCode"]["DisabledException"], 5);
    assert_eq!(report["ByPrincipal"]["arn:aws:iam::111122223333:root"]["Failed"], 5);
    assert_eq!(
        report["BySourceIPAddress"]["127.0.0.1"]["Succeeded"].as_i64().unwrap(),
        report["Calls"]["Succeeded"].as_i64().unwrap()
    );
    let refused = report["RefusedAttempts"].as_array().unwrap();
    assert_eq!(refused.len(), 5, "every attempt while disabled is listed: {refused:?}");
    assert!(refused.iter().all(|a| a["KeyState"] == "Disabled" && a["Principal"] == "arn:aws:iam::111122223333:root"));
    assert_eq!(refused.iter().filter(|a| a["Operation"] == "Decrypt").count(), 1);
    assert_eq!(report["LastUse"]["Operation"], "GenerateDataKeyWithoutPlaintext", "refused attempts are not uses");

    // The figures agree with the audit trail they are summed from.
    let (_, _, text) = server.signed_dev(
        "Trent.ListAuditEvents",
        &json!({ "KeyId": key_id, "EventName": "Encrypt", "Limit": 1000 }).to_string(),
    );
    let events: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(events["Events"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn get_key_last_usage_answers_with_the_last_successful_use_and_its_audit_event() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let key_id = key.key_id().to_owned();

    let unused = kms.get_key_last_usage().key_id(&key_id).send().await.unwrap();
    assert_eq!(unused.key_id(), Some(key_id.as_str()));
    assert!(unused.key_last_usage().is_some_and(|u| u.operation().is_none()), "an empty KeyLastUsage before any use");
    assert_eq!(unused.key_creation_date(), key.creation_date());
    assert!(unused.tracking_start_date().unwrap().secs() >= key.creation_date().unwrap().secs());

    let blob = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap().ciphertext_blob.unwrap();
    kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    kms.describe_key().key_id(&key_id).send().await.unwrap();
    let used = kms.get_key_last_usage().key_id(key.arn().unwrap()).send().await.unwrap();
    let last = used.key_last_usage().unwrap();
    assert_eq!(last.operation().map(|o| o.as_str()), Some("Decrypt"), "DescribeKey is not a cryptographic use");
    let event_id = last.cloud_trail_event_id().unwrap();
    let (_, _, text) =
        server.signed_dev("Trent.ListAuditEvents", &json!({ "KeyId": key_id, "EventName": "Decrypt" }).to_string());
    let events: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(events["Events"][0]["eventID"], event_id);
    assert_eq!(events["Events"][0]["requestID"], last.kms_request_id().unwrap());

    let alias = kms.get_key_last_usage().key_id("alias/anything").send().await.unwrap_err();
    assert_eq!(error_code(&alias), "InvalidArnException");
}

#[tokio::test]
async fn without_call_recording_usage_is_reported_as_not_tracked() {
    let server = TestServer::start_with(&["--audit-calls", "false"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap();
    assert_eq!(usage(&server, &key_id)["Tracking"], false);
    let refused = kms.get_key_last_usage().key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&refused), "UnsupportedOperationException");
}
