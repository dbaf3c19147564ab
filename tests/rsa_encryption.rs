//! RSA encryption keys (RSA_2048/3072/4096 with ENCRYPT_DECRYPT): Encrypt and Decrypt with RSAES-OAEP through
//! aws-sdk-kms, interoperating with OpenSSL in both directions, AWS's plaintext limits, and AWS's errors for every
//! wrong use.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncryptionAlgorithmSpec, KeySpec, KeyUsageType};
use common::{error_code, error_message, openssl_oaep, TestServer};

async fn rsa_key(kms: &aws_sdk_kms::Client, spec: KeySpec) -> String {
    kms.create_key()
        .key_spec(spec)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned()
}

#[tokio::test]
async fn data_encrypted_by_openssl_to_the_public_key_decrypts_in_trent() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = rsa_key(&kms, KeySpec::Rsa2048).await;
    let public = kms.get_public_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        public.encryption_algorithms(),
        [EncryptionAlgorithmSpec::RsaesOaepSha1, EncryptionAlgorithmSpec::RsaesOaepSha256]
    );
    assert!(public.signing_algorithms().is_empty());
    let dir = tempfile::tempdir().unwrap();
    let public_path = dir.path().join("pub.der");
    std::fs::write(&public_path, public.public_key.unwrap().as_ref()).unwrap();

    for (hash, algorithm) in
        [("sha1", EncryptionAlgorithmSpec::RsaesOaepSha1), ("sha256", EncryptionAlgorithmSpec::RsaesOaepSha256)]
    {
        let key_args =
            ["-pubin".as_ref(), "-keyform".as_ref(), "DER".as_ref(), "-inkey".as_ref(), public_path.as_os_str()];
        let ciphertext = openssl_oaep(hash, &key_args, "-encrypt", b"a secret sealed outside");
        let decrypted = kms
            .decrypt()
            .key_id(&key_id)
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .encryption_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(decrypted.encryption_algorithm(), Some(&algorithm));
        assert_eq!(decrypted.plaintext.unwrap().as_ref(), b"a secret sealed outside");

        let other = if hash == "sha1" {
            EncryptionAlgorithmSpec::RsaesOaepSha256
        } else {
            EncryptionAlgorithmSpec::RsaesOaepSha1
        };
        let e = kms
            .decrypt()
            .key_id(&key_id)
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_algorithm(other)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "InvalidCiphertextException", "{hash}: the other hash does not open it");
    }
}

#[tokio::test]
async fn trent_encrypts_up_to_awss_limit_and_decrypts_its_own_ciphertext() {
    let server = TestServer::start();
    let kms = server.client();
    for (spec, sha1_limit, sha256_limit) in
        [(KeySpec::Rsa2048, 214, 190), (KeySpec::Rsa3072, 342, 318), (KeySpec::Rsa4096, 470, 446)]
    {
        let key_id = rsa_key(&kms, spec.clone()).await;
        for (algorithm, limit) in [
            (EncryptionAlgorithmSpec::RsaesOaepSha1, sha1_limit),
            (EncryptionAlgorithmSpec::RsaesOaepSha256, sha256_limit),
        ] {
            let plaintext = vec![0x5a; limit];
            let encrypted = kms
                .encrypt()
                .key_id(&key_id)
                .plaintext(Blob::new(plaintext.clone()))
                .encryption_algorithm(algorithm.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(encrypted.encryption_algorithm(), Some(&algorithm));
            let ciphertext = encrypted.ciphertext_blob.unwrap();
            let decrypted = kms
                .decrypt()
                .key_id(&key_id)
                .ciphertext_blob(ciphertext)
                .encryption_algorithm(algorithm.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(decrypted.plaintext.unwrap().as_ref(), plaintext.as_slice());

            let e = kms
                .encrypt()
                .key_id(&key_id)
                .plaintext(Blob::new(vec![0x5a; limit + 1]))
                .encryption_algorithm(algorithm.clone())
                .send()
                .await
                .unwrap_err();
            assert_eq!(error_code(&e), "ValidationException");
            assert_eq!(
                error_message(&e),
                format!(
                    "Algorithm {} and key spec {} cannot encrypt data larger than {limit} bytes.",
                    algorithm.as_str(),
                    spec.as_str()
                )
            );
        }
    }
}

#[tokio::test]
async fn an_rsa_ciphertext_changed_by_one_bit_does_not_decrypt() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = rsa_key(&kms, KeySpec::Rsa2048).await;
    let encrypted = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("x"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    let mut ciphertext = encrypted.ciphertext_blob.unwrap().into_inner();
    assert_eq!(ciphertext.len(), 256);
    ciphertext[100] ^= 1;
    let e = kms
        .decrypt()
        .key_id(&key_id)
        .ciphertext_blob(Blob::new(ciphertext))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidCiphertextException");
}

#[tokio::test]
async fn wrong_uses_of_rsa_encryption_keys_get_aws_errors() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = rsa_key(&kms, KeySpec::Rsa2048).await;
    let aes = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();

    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(
        (error_code(&e), error_message(&e)),
        (
            "InvalidKeyUsageException".to_owned(),
            "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.".to_owned()
        )
    );
    let e = kms.generate_data_key().key_id(&key_id).number_of_bytes(32).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "an RSA key does not wrap data keys");
    let e = kms
        .encrypt()
        .key_id(&aes)
        .plaintext(Blob::new("x"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_message(&e), "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.");
    let e = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("x"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationException", "no encryption context with an asymmetric key");
    let e = kms
        .sign()
        .key_id(&key_id)
        .message(Blob::new("m"))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::RsassaPssSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidKeyUsageException", "an ENCRYPT_DECRYPT key does not sign");

    // OAEP output is random: 1 in 16,384 ciphertexts starts like a Trent blob (its version byte and a version 4
    // UUID) and names a key that does not exist. Such a one is skipped here; `read_header` explains the odds.
    let encrypt_oaep = || {
        kms.encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new("x"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
    };
    let mut ciphertext = None;
    while ciphertext.is_none() {
        let encrypted = encrypt_oaep().await.unwrap();
        ciphertext = encrypted.ciphertext_blob.filter(|blob| blob.as_ref().first() != Some(&1));
    }
    let ciphertext = ciphertext.unwrap();
    let e = kms.decrypt().ciphertext_blob(ciphertext.clone()).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidCiphertextException", "without a KeyId an RSA ciphertext names no key");
    for _ in 0..20 {
        // Whatever its random first bytes, an RSA ciphertext named with its key but no algorithm is unreadable.
        let fresh = encrypt_oaep().await.unwrap();
        let e = kms.decrypt().key_id(&key_id).ciphertext_blob(fresh.ciphertext_blob.unwrap()).send().await.unwrap_err();
        assert_eq!(error_code(&e), "InvalidCiphertextException");
    }
    let e = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationException", "an asymmetric algorithm needs the KeyId");

    // ReEncrypt moves an RSA ciphertext under a symmetric key.
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext.clone())
        .source_key_id(&key_id)
        .source_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .destination_key_id(&aes)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.source_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::RsaesOaepSha1));
    assert_eq!(moved.destination_encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    let back = kms.decrypt().ciphertext_blob(moved.ciphertext_blob.unwrap()).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"x");

    // And a symmetric ciphertext under an RSA key, within the algorithm's limit only.
    let small =
        kms.encrypt().key_id(&aes).plaintext(Blob::new(vec![1u8; 190])).send().await.unwrap().ciphertext_blob.unwrap();
    let to_rsa = kms
        .re_encrypt()
        .ciphertext_blob(small)
        .destination_key_id(&key_id)
        .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    let opened = kms
        .decrypt()
        .key_id(&key_id)
        .ciphertext_blob(to_rsa.ciphertext_blob.unwrap())
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().as_ref(), vec![1u8; 190].as_slice());
    let large =
        kms.encrypt().key_id(&aes).plaintext(Blob::new(vec![1u8; 191])).send().await.unwrap().ciphertext_blob.unwrap();
    let e = kms
        .re_encrypt()
        .ciphertext_blob(large)
        .destination_key_id(&key_id)
        .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationException", "191 bytes do not fit RSA_2048 with OAEP SHA-256");

    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let e = kms
        .decrypt()
        .key_id(&key_id)
        .ciphertext_blob(ciphertext.clone())
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "DisabledException");
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    let e = kms
        .decrypt()
        .key_id(&key_id)
        .ciphertext_blob(ciphertext)
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "KMSInvalidStateException");
}
