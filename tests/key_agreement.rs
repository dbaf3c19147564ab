//! Key agreement keys (ECC_NIST_P256/P384/P521 with KEY_AGREEMENT): DeriveSharedSecret through aws-sdk-kms, with the
//! secret checked against the one OpenSSL derives from the other side, and AWS's errors for every wrong use.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType};
use common::{error_code, TestServer};

async fn agreement_key(kms: &aws_sdk_kms::Client, spec: KeySpec) -> String {
    kms.create_key()
        .key_spec(spec)
        .key_usage(KeyUsageType::KeyAgreement)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned()
}

fn openssl(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let output = Command::new("openssl").args(args).output().expect("run openssl");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// A peer key pair made by OpenSSL on `curve`: the private key's PEM path and the public key as DER SPKI.
fn openssl_peer(dir: &Path, curve: &str) -> (std::path::PathBuf, Vec<u8>) {
    let private = dir.join(format!("peer-{curve}.pem"));
    openssl(&[
        "genpkey".as_ref(),
        "-algorithm".as_ref(),
        "EC".as_ref(),
        "-pkeyopt".as_ref(),
        format!("ec_paramgen_curve:{curve}").as_ref(),
        "-out".as_ref(),
        private.as_os_str(),
    ]);
    let public = openssl(&[
        "pkey".as_ref(),
        "-in".as_ref(),
        private.as_os_str(),
        "-pubout".as_ref(),
        "-outform".as_ref(),
        "DER".as_ref(),
    ]);
    (private, public)
}

#[tokio::test]
async fn trent_and_openssl_derive_the_same_secret_from_either_side() {
    let server = TestServer::start();
    let kms = server.client();
    let dir = tempfile::tempdir().unwrap();
    for (spec, curve) in
        [(KeySpec::EccNistP256, "P-256"), (KeySpec::EccNistP384, "P-384"), (KeySpec::EccNistP521, "P-521")]
    {
        let key_id = agreement_key(&kms, spec.clone()).await;
        let described = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(described.key_agreement_algorithms(), [KeyAgreementAlgorithmSpec::Ecdh]);
        assert!(described.signing_algorithms().is_empty() && described.encryption_algorithms().is_empty());

        let (peer_private, peer_public) = openssl_peer(dir.path(), curve);
        let derived = kms
            .derive_shared_secret()
            .key_id(&key_id)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer_public))
            .send()
            .await
            .unwrap();
        assert_eq!(derived.key_agreement_algorithm(), Some(&KeyAgreementAlgorithmSpec::Ecdh));
        assert_eq!(derived.key_origin().map(|o| o.as_str()), Some("AWS_KMS"));
        let secret = derived.shared_secret.unwrap().into_inner();

        let public = kms.get_public_key().key_id(&key_id).send().await.unwrap();
        assert_eq!(public.key_agreement_algorithms(), [KeyAgreementAlgorithmSpec::Ecdh]);
        let trent_public = dir.path().join(format!("trent-{curve}.der"));
        std::fs::write(&trent_public, public.public_key.unwrap().as_ref()).unwrap();
        let theirs = openssl(&[
            "pkeyutl".as_ref(),
            "-derive".as_ref(),
            "-inkey".as_ref(),
            peer_private.as_os_str(),
            "-peerkey".as_ref(),
            trent_public.as_os_str(),
            "-peerform".as_ref(),
            "DER".as_ref(),
        ]);
        assert_eq!(secret, theirs, "{spec:?}: both sides hold the same secret");
    }
}

#[tokio::test]
async fn wrong_uses_of_key_agreement_keys_get_aws_errors() {
    let server = TestServer::start();
    let kms = server.client();
    let dir = tempfile::tempdir().unwrap();
    let key_id = agreement_key(&kms, KeySpec::EccNistP256).await;
    let (_, p384_public) = openssl_peer(dir.path(), "P-384");
    let (_, p256_public) = openssl_peer(dir.path(), "P-256");
    let derive = |key: &str, public: Vec<u8>| {
        kms.derive_shared_secret()
            .key_id(key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(public))
            .send()
    };

    assert_eq!(
        error_code(&derive(&key_id, p384_public).await.unwrap_err()),
        "ValidationException",
        "a peer key on another curve"
    );
    assert_eq!(
        error_code(&derive(&key_id, b"InvalidPublicKey".to_vec()).await.unwrap_err()),
        "ValidationException",
        "not a public key"
    );
    let signing = kms
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = derive(signing.key_id(), p256_public.clone()).await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    assert!(
        common::error_message(&e).ends_with("key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret."),
        "{e:?}"
    );
    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "a KEY_AGREEMENT key does not sign");
    let e = kms
        .create_key()
        .key_spec(KeySpec::EccSecgP256K1)
        .key_usage(KeyUsageType::KeyAgreement)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationException", "secp256k1 is for signing only");
    let e = kms.create_key().key_spec(KeySpec::Rsa2048).key_usage(KeyUsageType::KeyAgreement).send().await.unwrap_err();
    assert_eq!(common::error_message(&e), "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048");

    kms.disable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(error_code(&derive(&key_id, p256_public.clone()).await.unwrap_err()), "DisabledException");
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(error_code(&derive(&key_id, p256_public).await.unwrap_err()), "KMSInvalidStateException");
}
