//! HMAC keys (HMAC_224 to HMAC_512, GENERATE_VERIFY_MAC): GenerateMac and VerifyMac through aws-sdk-kms. A MAC
//! verifies under its own key and fails under every other; each wrong use gets AWS's error; the deletion lifecycle
//! covers these keys like any other.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec};
use common::{error_code, error_message, TestServer};

const SPECS: [(KeySpec, MacAlgorithmSpec, usize); 4] = [
    (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, 28),
    (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, 32),
    (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, 48),
    (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512, 64),
];

async fn mac_key(kms: &aws_sdk_kms::Client, spec: KeySpec) -> String {
    let key = kms
        .create_key()
        .key_spec(spec)
        .key_usage(KeyUsageType::GenerateVerifyMac)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    key.key_id().to_owned()
}

#[tokio::test]
async fn a_mac_verifies_under_its_own_key_and_fails_under_every_other() {
    let server = TestServer::start();
    let kms = server.client();
    let mut keys = Vec::new();
    for (spec, algorithm, length) in SPECS {
        let key_id = mac_key(&kms, spec.clone()).await;
        let described = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(
            (described.key_spec(), described.key_usage()),
            (Some(&spec), Some(&KeyUsageType::GenerateVerifyMac))
        );
        assert_eq!(described.mac_algorithms(), std::slice::from_ref(&algorithm));
        assert!(described.encryption_algorithms().is_empty(), "an HMAC key has no encryption algorithms");

        let made = kms
            .generate_mac()
            .key_id(&key_id)
            .message(Blob::new("the message"))
            .mac_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(made.mac_algorithm(), Some(&algorithm));
        assert_eq!(made.key_id(), described.arn());
        let mac = made.mac.unwrap();
        assert_eq!(mac.as_ref().len(), length);
        let again = kms
            .generate_mac()
            .key_id(&key_id)
            .message(Blob::new("the message"))
            .mac_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.mac.unwrap(), mac, "HMAC is deterministic");
        let verified = kms
            .verify_mac()
            .key_id(&key_id)
            .message(Blob::new("the message"))
            .mac_algorithm(algorithm.clone())
            .mac(mac.clone())
            .send()
            .await
            .unwrap();
        assert!(verified.mac_valid());
        let changed = kms
            .verify_mac()
            .key_id(&key_id)
            .message(Blob::new("the messagE"))
            .mac_algorithm(algorithm.clone())
            .mac(mac.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&changed), "KMSInvalidMacException");
        keys.push((key_id, algorithm, mac));
    }
    // Another key of the same spec: the same MAC does not verify.
    let (first_id, algorithm, mac) = keys[1].clone();
    let other = mac_key(&kms, KeySpec::Hmac256).await;
    assert_ne!(other, first_id);
    let refused = kms
        .verify_mac()
        .key_id(&other)
        .message(Blob::new("the message"))
        .mac_algorithm(algorithm)
        .mac(mac)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&refused), "KMSInvalidMacException");
}

#[tokio::test]
async fn wrong_uses_of_mac_and_encryption_keys_get_aws_errors() {
    let server = TestServer::start();
    let kms = server.client();
    let mac_id = mac_key(&kms, KeySpec::Hmac256).await;
    let aes = kms.create_key().send().await.unwrap().key_metadata.unwrap();

    let e = kms.encrypt().key_id(&mac_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    assert!(
        error_message(&e).ends_with("key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt."),
        "{}",
        error_message(&e)
    );
    let e = kms.generate_data_key().key_id(&mac_id).number_of_bytes(32).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    let e = kms
        .generate_mac()
        .key_id(aes.key_id())
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    assert!(error_message(&e).contains("ENCRYPT_DECRYPT which is not valid for GenerateMac"), "{}", error_message(&e));
    let e = kms
        .generate_mac()
        .key_id(&mac_id)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "the algorithm of another spec");

    let (status, _, body) = server.signed_dev(
        "TrentService.GenerateMac",
        &serde_json::json!({ "KeyId": mac_id, "Message": "", "MacAlgorithm": "HMAC_SHA_1" }).to_string(),
    );
    assert_eq!((status, common::wire_type(&body).as_str()), (400, "ValidationException"), "{body}");
    assert!(body.contains("macAlgorithm") && body.contains("message"), "{body}");
    let too_long = base64_of(&[7u8; 4097]);
    let (status, _, body) = server.signed_dev(
        "TrentService.VerifyMac",
        &serde_json::json!({ "KeyId": mac_id, "Message": too_long, "MacAlgorithm": "HMAC_SHA_256", "Mac": "AA==" })
            .to_string(),
    );
    assert_eq!((status, common::wire_type(&body).as_str()), (400, "ValidationException"), "{body}");

    let e = kms
        .generate_mac()
        .key_id(&mac_id)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "DryRunOperationException");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn a_mac_key_pending_deletion_cannot_generate_macs_and_is_destroyed_at_the_end() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = mac_key(&kms, KeySpec::Hmac384).await;
    let mac = kms
        .generate_mac()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha384)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let e = kms
        .verify_mac()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha384)
        .mac(mac.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "DisabledException");
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    let e = kms
        .generate_mac()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha384)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
    server.advance_clock(7 * 86_400 + 1);
    let gone = common::eventually(std::time::Duration::from_secs(10), || async {
        kms.describe_key().key_id(&key_id).send().await.is_err()
    })
    .await;
    assert!(gone, "the key is destroyed at the end of its waiting period");
    let e = kms
        .verify_mac()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha384)
        .mac(mac)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "NotFoundException");
}
