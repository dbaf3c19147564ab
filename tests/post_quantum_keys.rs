//! Post-quantum keys through aws-sdk-kms: ML-DSA (ML_DSA_44/65/87 with SIGN_VERIFY, ML_DSA_SHAKE_256) signs and
//! verifies raw messages; ML-KEM (ML_KEM_512/768/1024 with ENCAPSULATE_DECAPSULATE) encapsulates a shared secret that
//! only Decapsulate with the same key recovers; AWS's errors for every wrong use. Python's `cryptography` checks both
//! against the public keys (tests/python/test_asymmetric_interop.py).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncapsulationAlgorithmSpec, KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use common::{error_code, TestServer};

#[tokio::test]
async fn ml_dsa_keys_sign_and_verify_raw_messages() {
    let server = TestServer::start();
    let kms = server.client();
    for (spec, signature_len) in [(KeySpec::MlDsa44, 2420), (KeySpec::MlDsa65, 3309), (KeySpec::MlDsa87, 4627)] {
        let key = kms
            .create_key()
            .key_spec(spec.clone())
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(key.signing_algorithms(), [SigningAlgorithmSpec::MlDsaShake256]);
        let key_id = key.key_id();
        let signed = kms
            .sign()
            .key_id(key_id)
            .message(Blob::new("post-quantum"))
            .signing_algorithm(SigningAlgorithmSpec::MlDsaShake256)
            .send()
            .await
            .unwrap();
        let signature = signed.signature.unwrap();
        assert_eq!(signature.as_ref().len(), signature_len, "{spec:?}");
        let verify = |message: &'static str, signature: Blob| {
            kms.verify()
                .key_id(key_id)
                .message(Blob::new(message))
                .signing_algorithm(SigningAlgorithmSpec::MlDsaShake256)
                .signature(signature)
                .send()
        };
        assert!(verify("post-quantum", signature.clone()).await.unwrap().signature_valid());
        assert_eq!(error_code(&verify("pre-quantum", signature).await.unwrap_err()), "KMSInvalidSignatureException");
        let public = kms.get_public_key().key_id(key_id).send().await.unwrap();
        assert_eq!(public.signing_algorithms(), [SigningAlgorithmSpec::MlDsaShake256]);
    }
}

#[tokio::test]
async fn ml_dsa_refuses_digests_and_does_not_yet_take_external_mu() {
    let server = TestServer::start();
    let kms = server.client();
    let key = kms
        .create_key()
        .key_spec(KeySpec::MlDsa44)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let sign = |message_type: MessageType, algorithm: SigningAlgorithmSpec| {
        kms.sign()
            .key_id(key.key_id())
            .message(Blob::new(vec![7u8; 64]))
            .message_type(message_type)
            .signing_algorithm(algorithm)
            .send()
    };
    assert_eq!(
        error_code(&sign(MessageType::Digest, SigningAlgorithmSpec::MlDsaShake256).await.unwrap_err()),
        "ValidationException"
    );
    assert_eq!(
        error_code(&sign(MessageType::ExternalMu, SigningAlgorithmSpec::MlDsaShake256).await.unwrap_err()),
        "UnsupportedOperationException"
    );
    assert_eq!(
        error_code(&sign(MessageType::Raw, SigningAlgorithmSpec::EcdsaSha256).await.unwrap_err()),
        "InvalidKeyUsageException"
    );
    let ecc = kms
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = kms
        .sign()
        .key_id(ecc.key_id())
        .message(Blob::new(vec![7u8; 64]))
        .message_type(MessageType::ExternalMu)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationException", "EXTERNAL_MU is for ML-DSA keys only");
}

#[tokio::test]
async fn ml_kem_keys_encapsulate_a_secret_only_their_decapsulation_recovers() {
    let server = TestServer::start();
    let kms = server.client();
    for (spec, ciphertext_len) in [(KeySpec::MlKem512, 768), (KeySpec::MlKem768, 1088), (KeySpec::MlKem1024, 1568)] {
        let key = kms
            .create_key()
            .key_spec(spec.clone())
            .key_usage(KeyUsageType::EncapsulateDecapsulate)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(key.encapsulation_algorithms(), [EncapsulationAlgorithmSpec::MlKem]);
        let key_id = key.key_id();
        let made = kms
            .encapsulate()
            .key_id(key_id)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .unwrap();
        let secret = made.shared_secret.unwrap();
        let ciphertext = made.shared_secret_ciphertext_blob.unwrap();
        assert_eq!((secret.as_ref().len(), ciphertext.as_ref().len()), (32, ciphertext_len), "{spec:?}");
        let decapsulate = |blob: Vec<u8>| {
            kms.decapsulate()
                .key_id(key_id)
                .shared_secret_ciphertext_blob(Blob::new(blob))
                .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
                .send()
        };
        let recovered = decapsulate(ciphertext.as_ref().to_vec()).await.unwrap();
        assert_eq!(recovered.shared_secret.unwrap(), secret);
        let mut changed = ciphertext.as_ref().to_vec();
        changed[5] ^= 1;
        assert_ne!(
            decapsulate(changed).await.unwrap().shared_secret.unwrap(),
            secret,
            "implicit rejection: another secret, no error"
        );
        assert_eq!(
            error_code(&decapsulate(ciphertext.as_ref()[1..].to_vec()).await.unwrap_err()),
            "InvalidCiphertextException"
        );
        let public = kms.get_public_key().key_id(key_id).send().await.unwrap();
        assert_eq!(public.encapsulation_algorithms(), [EncapsulationAlgorithmSpec::MlKem]);
    }
}

#[tokio::test]
async fn wrong_uses_of_post_quantum_keys_get_aws_errors() {
    let server = TestServer::start();
    let kms = server.client();
    let kem = kms
        .create_key()
        .key_spec(KeySpec::MlKem768)
        .key_usage(KeyUsageType::EncapsulateDecapsulate)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = kms.encrypt().key_id(kem.key_id()).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    let e = kms
        .sign()
        .key_id(kem.key_id())
        .message(Blob::new("x"))
        .signing_algorithm(SigningAlgorithmSpec::MlDsaShake256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    let aes = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let e = kms
        .encapsulate()
        .key_id(aes.key_id())
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException");
    let e = kms.create_key().key_spec(KeySpec::MlKem768).key_usage(KeyUsageType::SignVerify).send().await.unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");
    let e =
        kms.create_key().key_spec(KeySpec::MlDsa65).key_usage(KeyUsageType::EncryptDecrypt).send().await.unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");

    kms.disable_key().key_id(kem.key_id()).send().await.unwrap();
    let e = kms
        .encapsulate()
        .key_id(kem.key_id())
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "DisabledException");
    kms.schedule_key_deletion().key_id(kem.key_id()).pending_window_in_days(7).send().await.unwrap();
    let e = kms
        .decapsulate()
        .key_id(kem.key_id())
        .shared_secret_ciphertext_blob(Blob::new(vec![0u8; 1088]))
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
}
