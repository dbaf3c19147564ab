//! Signing keys (ECC_NIST_P256/P384/P521, ECC_SECG_P256K1 and RSA_2048/3072/4096 with SIGN_VERIFY): Sign, Verify and
//! GetPublicKey through aws-sdk-kms, with signatures checked by OpenSSL against the public key from GetPublicKey, and
//! AWS's errors for every wrong use.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use common::{error_code, TestServer};

const SPECS: [(KeySpec, SigningAlgorithmSpec, &str); 4] = [
    (KeySpec::EccNistP256, SigningAlgorithmSpec::EcdsaSha256, "-sha256"),
    (KeySpec::EccNistP384, SigningAlgorithmSpec::EcdsaSha384, "-sha384"),
    (KeySpec::EccNistP521, SigningAlgorithmSpec::EcdsaSha512, "-sha512"),
    (KeySpec::EccSecgP256K1, SigningAlgorithmSpec::EcdsaSha256, "-sha256"),
];

async fn signing_key(kms: &aws_sdk_kms::Client, spec: KeySpec) -> String {
    kms.create_key()
        .key_spec(spec)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned()
}

/// Verifies `signature` over `message` with OpenSSL, using the DER public key.
fn openssl_verifies(public_der: &[u8], digest_flag: &str, message: &[u8], signature: &[u8]) -> bool {
    openssl_verifies_with(public_der, digest_flag, &[], message, signature)
}

/// Verifies with OpenSSL, passing `sigopts` (RSA padding options) to `openssl dgst`.
fn openssl_verifies_with(
    public_der: &[u8],
    digest_flag: &str,
    sigopts: &[&str],
    message: &[u8],
    signature: &[u8],
) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let (key, msg, sig) = (dir.path().join("pub.der"), dir.path().join("msg"), dir.path().join("sig"));
    std::fs::write(&key, public_der).unwrap();
    std::fs::write(&msg, message).unwrap();
    std::fs::write(&sig, signature).unwrap();
    let output = Command::new("openssl")
        .args(["dgst", digest_flag, "-verify"])
        .arg(&key)
        .args(["-keyform", "DER"])
        .args(sigopts.iter().flat_map(|option| ["-sigopt", option]))
        .arg("-signature")
        .arg(&sig)
        .arg(&msg)
        .output()
        .expect("run openssl");
    output.status.success()
}

#[tokio::test]
async fn signatures_verify_in_trent_and_in_openssl_with_the_public_key() {
    let server = TestServer::start();
    let kms = server.client();
    for (spec, algorithm, digest_flag) in SPECS {
        let key_id = signing_key(&kms, spec.clone()).await;
        let described = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(described.signing_algorithms(), std::slice::from_ref(&algorithm));
        assert!(described.encryption_algorithms().is_empty());

        let public = kms.get_public_key().key_id(&key_id).send().await.unwrap();
        assert_eq!((public.key_spec(), public.key_usage()), (Some(&spec), Some(&KeyUsageType::SignVerify)));
        assert_eq!(public.signing_algorithms(), std::slice::from_ref(&algorithm));
        let der = public.public_key.unwrap().into_inner();

        let message = b"pay 100 to alice".to_vec();
        let signed = kms
            .sign()
            .key_id(&key_id)
            .message(Blob::new(message.clone()))
            .signing_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(signed.signing_algorithm(), Some(&algorithm));
        let signature = signed.signature.unwrap();
        assert!(
            openssl_verifies(&der, digest_flag, &message, signature.as_ref()),
            "{spec:?}: OpenSSL verifies Trent's signature"
        );
        assert!(
            !openssl_verifies(&der, digest_flag, b"pay 900 to alice", signature.as_ref()),
            "{spec:?}: and refuses it for another message"
        );

        let verified = kms
            .verify()
            .key_id(&key_id)
            .message(Blob::new(message.clone()))
            .signing_algorithm(algorithm.clone())
            .signature(signature.clone())
            .send()
            .await
            .unwrap();
        assert!(verified.signature_valid());
        let changed = kms
            .verify()
            .key_id(&key_id)
            .message(Blob::new("pay 900 to alice"))
            .signing_algorithm(algorithm.clone())
            .signature(signature)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&changed), "KMSInvalidSignatureException");
    }
}

#[tokio::test]
async fn a_digest_signs_like_its_message_and_must_have_the_hash_length() {
    use base64::Engine;
    let server = TestServer::start();
    let kms = server.client();
    for (spec, algorithm) in [
        (KeySpec::EccNistP256, SigningAlgorithmSpec::EcdsaSha256),
        (KeySpec::Rsa3072, SigningAlgorithmSpec::RsassaPssSha256),
    ] {
        let key_id = signing_key(&kms, spec.clone()).await;
        let digest = sha256(b"the message");
        let signed = kms
            .sign()
            .key_id(&key_id)
            .message(Blob::new(digest.clone()))
            .message_type(MessageType::Digest)
            .signing_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        let signature = signed.signature.unwrap();
        let raw = kms
            .verify()
            .key_id(&key_id)
            .message(Blob::new("the message"))
            .signing_algorithm(algorithm.clone())
            .signature(signature)
            .send()
            .await
            .unwrap();
        assert!(raw.signature_valid(), "{spec:?}");
        let short = base64::engine::general_purpose::STANDARD.encode(&digest[..20]);
        let body = serde_json::json!({ "KeyId": key_id, "Message": short, "MessageType": "DIGEST", "SigningAlgorithm": algorithm.as_str() });
        let (status, _, text) = server.signed_dev("TrentService.Sign", &body.to_string());
        assert_eq!((status, common::wire_type(&text).as_str()), (400, "ValidationException"), "{text}");
        assert!(text.contains(&format!("Digest is invalid length for algorithm {}.", algorithm.as_str())), "{text}");
    }
}

/// SHA-256 of `bytes`, computed by OpenSSL (a hash made outside Trent).
fn sha256(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    child.wait_with_output().unwrap().stdout
}

#[tokio::test]
async fn wrong_uses_of_signing_keys_get_aws_errors() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = signing_key(&kms, KeySpec::EccNistP384).await;
    let aes = kms.create_key().send().await.unwrap().key_metadata.unwrap();

    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    let e = kms
        .sign()
        .key_id(aes.key_id())
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "P-384 pairs with ECDSA_SHA_384 only");
    let e = kms.get_public_key().key_id(aes.key_id()).send().await.unwrap_err();
    assert_eq!(error_code(&e), "UnsupportedOperationException");
    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "DryRunOperationException");

    kms.disable_key().key_id(&key_id).send().await.unwrap();
    for e in [
        error_code(
            &kms.sign()
                .key_id(&key_id)
                .message(Blob::new("m"))
                .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
                .send()
                .await
                .unwrap_err(),
        ),
        error_code(&kms.get_public_key().key_id(&key_id).send().await.unwrap_err()),
    ] {
        assert_eq!(e, "DisabledException");
    }
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
}

#[tokio::test]
async fn rsa_signatures_of_every_padding_verify_in_openssl() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = signing_key(&kms, KeySpec::Rsa2048).await;
    let public = kms.get_public_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(public.signing_algorithms().len(), 6);
    assert!(public.encryption_algorithms().is_empty());
    let der = public.public_key.unwrap().into_inner();
    let pss = ["rsa_padding_mode:pss", "rsa_pss_saltlen:digest"];
    let cases = [
        (SigningAlgorithmSpec::RsassaPssSha256, "-sha256", &pss[..]),
        (SigningAlgorithmSpec::RsassaPssSha384, "-sha384", &pss[..]),
        (SigningAlgorithmSpec::RsassaPssSha512, "-sha512", &pss[..]),
        (SigningAlgorithmSpec::RsassaPkcs1V15Sha256, "-sha256", &[][..]),
        (SigningAlgorithmSpec::RsassaPkcs1V15Sha384, "-sha384", &[][..]),
        (SigningAlgorithmSpec::RsassaPkcs1V15Sha512, "-sha512", &[][..]),
    ];
    let message = b"release 4.2.0".to_vec();
    for (algorithm, digest_flag, sigopts) in cases {
        let signed = kms
            .sign()
            .key_id(&key_id)
            .message(Blob::new(message.clone()))
            .signing_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        let signature = signed.signature.unwrap();
        assert_eq!(signature.as_ref().len(), 256, "an RSA_2048 signature is the modulus length");
        assert!(
            openssl_verifies_with(&der, digest_flag, sigopts, &message, signature.as_ref()),
            "{algorithm:?}: OpenSSL verifies"
        );
        assert!(
            !openssl_verifies_with(&der, digest_flag, sigopts, b"release 4.2.1", signature.as_ref()),
            "{algorithm:?}: not another message"
        );
        let verified = kms
            .verify()
            .key_id(&key_id)
            .message(Blob::new(message.clone()))
            .signing_algorithm(algorithm.clone())
            .signature(signature)
            .send()
            .await
            .unwrap();
        assert!(verified.signature_valid());
    }
    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "an RSA key does not sign with ECDSA");
    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "a SIGN_VERIFY RSA key does not encrypt");
}

#[tokio::test]
async fn ed25519_signatures_verify_in_openssl() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = signing_key(&kms, KeySpec::EccNistEdwards25519).await;
    let public = kms.get_public_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        public.signing_algorithms(),
        [SigningAlgorithmSpec::Ed25519Sha512, SigningAlgorithmSpec::Ed25519PhSha512]
    );
    let der = public.public_key.unwrap().into_inner();
    let message = b"signed with edwards25519".to_vec();
    let signed = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new(message.clone()))
        .signing_algorithm(SigningAlgorithmSpec::Ed25519Sha512)
        .send()
        .await
        .unwrap();
    let signature = signed.signature.unwrap().into_inner();
    assert_eq!(signature.len(), 64);

    // OpenSSL verifies Ed25519 over the raw message (`pkeyutl -rawin`), not a digest.
    let dir = tempfile::tempdir().unwrap();
    let (key, msg, sig) = (dir.path().join("pub.der"), dir.path().join("msg"), dir.path().join("sig"));
    std::fs::write(&key, &der).unwrap();
    std::fs::write(&msg, &message).unwrap();
    std::fs::write(&sig, &signature).unwrap();
    let verified = Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-rawin", "-inkey"])
        .arg(&key)
        .arg("-in")
        .arg(&msg)
        .arg("-sigfile")
        .arg(&sig)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "OpenSSL verifies Trent's Ed25519 signature: {}",
        String::from_utf8_lossy(&verified.stderr)
    );

    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new(vec![0u8; 64]))
        .message_type(MessageType::Digest)
        .signing_algorithm(SigningAlgorithmSpec::Ed25519Sha512)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationException", "pure Ed25519 signs the raw message only");
    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new(vec![0u8; 64]))
        .message_type(MessageType::Digest)
        .signing_algorithm(SigningAlgorithmSpec::Ed25519PhSha512)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "UnsupportedOperationException", "aws-lc-rs has no Ed25519ph");
}
