//! GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext through aws-sdk-kms: RSA and ECC pairs whose private
//! key (PKCS #8) decrypts from its ciphertext under the symmetric key and context, and whose public key OpenSSL derives
//! from the private key.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::process::Command;

use aws_sdk_kms::types::{DataKeyPairSpec, KeySpec, KeyUsageType};
use common::{error_code, TestServer};

/// The DER SPKI public key OpenSSL derives from a DER PKCS #8 private key.
fn openssl_public_of(private_der: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.der");
    std::fs::write(&path, private_der).unwrap();
    let output = Command::new("openssl")
        .args(["pkey", "-inform", "DER", "-in"])
        .arg(&path)
        .args(["-pubout", "-outform", "DER"])
        .output()
        .expect("run openssl");
    assert!(output.status.success(), "openssl: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

#[tokio::test]
async fn a_data_key_pair_is_a_real_key_pair_whose_private_key_decrypts_under_the_kms_key() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP384,
        DataKeyPairSpec::EccSecgP256K1,
        DataKeyPairSpec::EccNistEdwards25519,
    ] {
        let pair = kms
            .generate_data_key_pair()
            .key_id(&key_id)
            .key_pair_spec(spec.clone())
            .encryption_context("app", "billing")
            .send()
            .await
            .unwrap();
        assert_eq!(pair.key_pair_spec(), Some(&spec));
        assert!(pair.key_id().unwrap().starts_with("arn:aws:kms:"));
        let private = pair.private_key_plaintext.unwrap().into_inner();
        let public = pair.public_key.unwrap().into_inner();
        assert_eq!(openssl_public_of(&private), public, "{spec:?}: the public key belongs to the private key");

        let opened = kms
            .decrypt()
            .ciphertext_blob(pair.private_key_ciphertext_blob.clone().unwrap())
            .encryption_context("app", "billing")
            .send()
            .await
            .unwrap();
        assert_eq!(
            opened.plaintext.unwrap().into_inner(),
            private,
            "{spec:?}: the ciphertext holds the same private key"
        );
        let e = kms.decrypt().ciphertext_blob(pair.private_key_ciphertext_blob.unwrap()).send().await.unwrap_err();
        assert_eq!(error_code(&e), "InvalidCiphertextException", "bound to its encryption context");
    }
}

#[tokio::test]
async fn without_plaintext_only_the_encrypted_private_key_leaves() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let pair = kms
        .generate_data_key_pair_without_plaintext()
        .key_id(&key_id)
        .key_pair_spec(DataKeyPairSpec::EccNistP521)
        .send()
        .await
        .unwrap();
    let public = pair.public_key.unwrap().into_inner();
    let private = kms
        .decrypt()
        .ciphertext_blob(pair.private_key_ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner();
    assert_eq!(openssl_public_of(&private), public);

    let body = serde_json::json!({ "KeyId": key_id, "KeyPairSpec": "RSA_2048" });
    let (status, _, text) = server.signed_dev("TrentService.GenerateDataKeyPairWithoutPlaintext", &body.to_string());
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains("PrivateKeyPlaintext"), "{text}");
}

#[tokio::test]
async fn data_key_pairs_need_a_usable_symmetric_key_and_a_known_spec() {
    let server = TestServer::start();
    let kms = server.client();
    let rsa = kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = kms
        .generate_data_key_pair()
        .key_id(rsa.key_id())
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "an asymmetric key does not wrap data key pairs");

    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let body = serde_json::json!({ "KeyId": key_id, "KeyPairSpec": "RSA_1024" });
    let (status, _, text) = server.signed_dev("TrentService.GenerateDataKeyPair", &body.to_string());
    assert_eq!((status, common::wire_type(&text).as_str()), (400, "ValidationException"), "{text}");
    let e = kms
        .generate_data_key_pair()
        .key_id(&key_id)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "DryRunOperationException");

    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let e = kms
        .generate_data_key_pair()
        .key_id(&key_id)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "DisabledException");
}
