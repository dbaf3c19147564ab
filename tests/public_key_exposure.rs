//! Where an asymmetric key's public key went, for safe deletion: every GetPublicKey is recorded (even when calls are
//! not audited) and counted in the key's usage evidence; `trent key schedule-deletion` warns with that evidence; a
//! retirement plan refuses an RSA encryption key whose public key left the service unless the risk is accepted.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use common::{error_code, wire_type, TestServer};
use serde_json::{json, Value};

fn call(server: &TestServer, target: &str, body: Value) -> (u16, Value) {
    let (status, _, text) = server.signed_dev(target, &body.to_string());
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn downloads(server: &TestServer, key_id: &str) -> Value {
    let (status, usage) = call(server, "Trent.GetKeyUsage", json!({ "KeyId": key_id }));
    assert_eq!(status, 200, "{usage}");
    usage["PublicKeyDownloads"].clone()
}

async fn key(kms: &aws_sdk_kms::Client, spec: KeySpec, usage: KeyUsageType) -> String {
    kms.create_key().key_spec(spec).key_usage(usage).send().await.unwrap().key_metadata.unwrap().key_id().to_owned()
}

#[tokio::test]
async fn every_public_key_download_is_evidence_even_without_call_auditing() {
    let server = TestServer::start_with(&["--audit-calls", "false"]);
    let kms = server.client();
    let key_id = key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    assert_eq!(downloads(&server, &key_id), json!({ "Count": 0 }));
    for _ in 0..3 {
        kms.get_public_key().key_id(&key_id).send().await.unwrap();
    }
    let evidence = downloads(&server, &key_id);
    assert_eq!(evidence["Count"], 3, "{evidence}");
    assert_eq!(evidence["LastPrincipal"], "arn:aws:iam::111122223333:root", "{evidence}");
    assert_eq!(evidence["LastSourceIPAddress"], "127.0.0.1", "{evidence}");
    assert!(evidence["LastTime"].is_number(), "{evidence}");

    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let e = kms.get_public_key().key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&e), "DisabledException");
    assert_eq!(downloads(&server, &key_id)["Count"], 3, "a refused download gave nothing away");

    let (status, events) = call(&server, "Trent.ListAuditEvents", json!({ "EventName": "GetPublicKey" }));
    assert_eq!(status, 200, "{events}");
    assert_eq!(events["Events"].as_array().unwrap().len(), 3, "each download is an event in the trail: {events}");

    let symmetric = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let (_, usage) = call(&server, "Trent.GetKeyUsage", json!({ "KeyId": symmetric.key_id() }));
    assert!(usage.get("PublicKeyDownloads").is_none(), "a symmetric key has no public key: {usage}");
}

#[tokio::test]
async fn a_retirement_refuses_an_encryption_key_whose_public_key_left_unless_the_risk_is_accepted() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = key(&kms, KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt).await;
    kms.get_public_key().key_id(&key_id).send().await.unwrap();
    let start = |accept: bool| json!({ "KeyId": key_id, "ObservationPeriodInSeconds": 0, "PendingWindowInDays": 7, "Force": true, "AcceptPublicKeyRisk": accept });

    let (status, _, text) = server.signed_dev("Trent.StartKeyRetirement", &start(false).to_string());
    assert_eq!((status, wire_type(&text).as_str()), (400, "KeyInUseException"), "{text}");
    assert!(
        text.contains("was downloaded 1 time(s), last by arn:aws:iam::111122223333:root"),
        "the refusal carries the evidence: {text}"
    );
    assert!(text.contains("AcceptPublicKeyRisk"), "{text}");
    let described = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert!(described.enabled(), "a refused start changes nothing");

    let (status, started) = call(&server, "Trent.StartKeyRetirement", start(true));
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["Usage"]["PublicKeyDownloads"]["Count"], 1, "{started}");
}

#[tokio::test]
async fn key_agreement_and_encapsulation_keys_carry_the_same_risk() {
    let server = TestServer::start();
    let kms = server.client();
    for (spec, usage) in
        [(KeySpec::EccNistP256, KeyUsageType::KeyAgreement), (KeySpec::MlKem768, KeyUsageType::EncapsulateDecapsulate)]
    {
        let key_id = key(&kms, spec, usage).await;
        kms.get_public_key().key_id(&key_id).send().await.unwrap();
        let body = json!({ "KeyId": key_id, "ObservationPeriodInSeconds": 0, "PendingWindowInDays": 7, "Force": true });
        let (status, _, text) = server.signed_dev("Trent.StartKeyRetirement", &body.to_string());
        assert_eq!((status, wire_type(&text).as_str()), (400, "KeyInUseException"), "{text}");
    }
}

#[tokio::test]
async fn a_signing_key_is_retired_with_its_download_evidence_shown() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = key(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    kms.get_public_key().key_id(&key_id).send().await.unwrap();
    let body = json!({ "KeyId": key_id, "ObservationPeriodInSeconds": 0, "PendingWindowInDays": 7, "Force": true });
    let (status, started) = call(&server, "Trent.StartKeyRetirement", body);
    assert_eq!(status, 200, "verifiers may hold the public key, but nothing encrypts to it: {started}");
    assert_eq!(started["Usage"]["PublicKeyDownloads"]["Count"], 1, "{started}");
}

#[tokio::test]
async fn scheduling_deletion_from_the_cli_warns_when_the_public_key_left() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let trent = |args: &[&str]| server.trent_cli(args);
    let created =
        trent(&["key", "create", "--key-spec", "RSA_2048", "--key-usage", "ENCRYPT_DECRYPT", "--output", "json"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(created["KeyMetadata"]["EncryptionAlgorithms"], json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]));
    let quiet = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let output = trent(&["key", "schedule-deletion", &quiet, "--pending-window-in-days", "7"]);
    assert!(output.status.success());
    assert!(!String::from_utf8_lossy(&output.stderr).contains("warning"), "a public key never downloaded: no warning");

    kms.get_public_key().key_id(&key_id).send().await.unwrap();
    let output = trent(&["key", "schedule-deletion", &key_id, "--pending-window-in-days", "7"]);
    assert!(output.status.success(), "the deletion is still scheduled, as in AWS");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: the public key of arn:aws:kms:us-east-1:111122223333:key/")
            && stderr.contains("was downloaded 1 time(s)"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("KeyState: PendingDeletion"));
}

#[tokio::test]
async fn with_call_auditing_a_download_is_recorded_once() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key_id = key(&kms, KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    kms.get_public_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(downloads(&server, &key_id)["Count"], 1);
    let (_, events) = call(&server, "Trent.ListAuditEvents", json!({ "EventName": "GetPublicKey" }));
    assert_eq!(events["Events"].as_array().unwrap().len(), 1, "{events}");
}
