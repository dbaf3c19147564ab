//! Encrypt, Decrypt, ReEncrypt, data keys and random bytes through aws-sdk-kms, with AWS's errors for each misuse.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use common::{error_code, error_message, TestServer};

async fn new_key(kms: &aws_sdk_kms::Client) -> (String, String) {
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    (key.key_id().to_owned(), key.arn().unwrap().to_owned())
}

#[tokio::test]
async fn encryption_context_is_bound_to_the_ciphertext() {
    let server = TestServer::start();
    let kms = server.client();
    let (key_id, arn) = new_key(&kms).await;
    let encrypted = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("pay 100"))
        .encryption_context("order", "42")
        .send()
        .await
        .unwrap();
    assert_eq!(encrypted.key_id(), Some(arn.as_str()));
    assert_eq!(encrypted.encryption_algorithm().map(|a| a.as_str()), Some("SYMMETRIC_DEFAULT"));
    let blob = encrypted.ciphertext_blob.unwrap();

    let decrypted = kms.decrypt().ciphertext_blob(blob.clone()).encryption_context("order", "42").send().await.unwrap();
    assert_eq!(decrypted.plaintext.unwrap().as_ref(), b"pay 100");
    assert_eq!(decrypted.key_id.as_deref(), Some(arn.as_str()));

    for wrong in [None, Some(("order", "43")), Some(("other", "42"))] {
        let mut request = kms.decrypt().ciphertext_blob(blob.clone());
        if let Some((k, v)) = wrong {
            request = request.encryption_context(k, v);
        }
        assert_eq!(error_code(&request.send().await.unwrap_err()), "InvalidCiphertextException");
    }
}

#[tokio::test]
async fn any_changed_byte_of_a_ciphertext_is_refused() {
    let server = TestServer::start();
    let kms = server.client();
    let (key_id, _) = new_key(&kms).await;
    let blob = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
        .into_inner();
    for index in [0, 5, 20, 25, blob.len() - 1] {
        let mut changed = blob.clone();
        changed[index] ^= 1;
        let e = kms.decrypt().ciphertext_blob(Blob::new(changed)).send().await.unwrap_err();
        assert!(
            ["InvalidCiphertextException", "NotFoundException"].contains(&error_code(&e).as_str()),
            "byte {index}: {}",
            error_code(&e)
        );
    }
    let e = kms.decrypt().ciphertext_blob(Blob::new(vec![1u8; 10])).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidCiphertextException");
}

#[tokio::test]
async fn decrypt_with_another_key_id_is_an_incorrect_key() {
    let server = TestServer::start();
    let kms = server.client();
    let (first, _) = new_key(&kms).await;
    let (second, _) = new_key(&kms).await;
    let blob = kms.encrypt().key_id(&first).plaintext(Blob::new("x")).send().await.unwrap().ciphertext_blob.unwrap();
    let e = kms.decrypt().ciphertext_blob(blob.clone()).key_id(&second).send().await.unwrap_err();
    assert_eq!(error_code(&e), "IncorrectKeyException");
    assert!(kms.decrypt().ciphertext_blob(blob).key_id(&first).send().await.is_ok());
}

#[tokio::test]
async fn data_keys_come_by_spec_or_length_and_decrypt_to_their_plaintext() {
    let server = TestServer::start();
    let kms = server.client();
    let (key_id, arn) = new_key(&kms).await;
    let by_spec = kms.generate_data_key().key_id(&key_id).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    assert_eq!(by_spec.plaintext.as_ref().unwrap().as_ref().len(), 32);
    assert_eq!(by_spec.key_id(), Some(arn.as_str()));
    let opened = kms.decrypt().ciphertext_blob(by_spec.ciphertext_blob.clone().unwrap()).send().await.unwrap();
    assert_eq!(opened.plaintext, by_spec.plaintext);

    let by_length = kms.generate_data_key().key_id(&key_id).number_of_bytes(1024).send().await.unwrap();
    assert_eq!(by_length.plaintext.unwrap().as_ref().len(), 1024);
    let aes128 =
        kms.generate_data_key_without_plaintext().key_id(&key_id).key_spec(DataKeySpec::Aes128).send().await.unwrap();
    let opened = kms.decrypt().ciphertext_blob(aes128.ciphertext_blob.unwrap()).send().await.unwrap();
    assert_eq!(opened.plaintext.unwrap().as_ref().len(), 16);

    let neither = kms.generate_data_key().key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&neither), "ValidationException");
    let both = kms
        .generate_data_key()
        .key_id(&key_id)
        .number_of_bytes(16)
        .key_spec(DataKeySpec::Aes128)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&both), "ValidationException");
    let too_many = kms.generate_data_key().key_id(&key_id).number_of_bytes(1025).send().await.unwrap_err();
    assert_eq!(error_code(&too_many), "ValidationException");
}

#[tokio::test]
async fn re_encrypt_moves_a_ciphertext_between_keys_and_contexts() {
    let server = TestServer::start();
    let kms = server.client();
    let (source, source_arn) = new_key(&kms).await;
    let (destination, destination_arn) = new_key(&kms).await;
    let blob = kms
        .encrypt()
        .key_id(&source)
        .plaintext(Blob::new("moving"))
        .encryption_context("v", "1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(blob)
        .source_encryption_context("v", "1")
        .destination_key_id(&destination)
        .destination_encryption_context("v", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(moved.source_key_id(), Some(source_arn.as_str()));
    assert_eq!(moved.key_id(), Some(destination_arn.as_str()));
    let plain = kms
        .decrypt()
        .ciphertext_blob(moved.ciphertext_blob.unwrap())
        .encryption_context("v", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.plaintext.unwrap().as_ref(), b"moving");

    // A disabled destination refuses.
    kms.disable_key().key_id(&destination).send().await.unwrap();
    let blob = kms.encrypt().key_id(&source).plaintext(Blob::new("x")).send().await.unwrap().ciphertext_blob.unwrap();
    let e = kms.re_encrypt().ciphertext_blob(blob).destination_key_id(&destination).send().await.unwrap_err();
    assert_eq!(error_code(&e), "DisabledException");
}

#[tokio::test]
async fn aliases_name_keys_for_cryptography() {
    let server = TestServer::start();
    let kms = server.client();
    let (key_id, arn) = new_key(&kms).await;
    kms.create_alias().alias_name("alias/payments").target_key_id(&key_id).send().await.unwrap();
    let by_name = kms.encrypt().key_id("alias/payments").plaintext(Blob::new("x")).send().await.unwrap();
    assert_eq!(by_name.key_id(), Some(arn.as_str()));
    let alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/payments";
    assert!(kms.encrypt().key_id(alias_arn).plaintext(Blob::new("x")).send().await.is_ok());
    assert_eq!(kms.describe_key().key_id(alias_arn).send().await.unwrap().key_metadata.unwrap().key_id(), key_id);

    // Aliases are not accepted where AWS wants a key ID or ARN.
    let refused = kms.disable_key().key_id("alias/payments").send().await.unwrap_err();
    assert_eq!(
        (error_code(&refused).as_str(), error_message(&refused).as_str()),
        ("InvalidArnException", "Key Aliases are not supported for this operation.")
    );
    // Duplicate, reserved and malformed names.
    let e = kms.create_alias().alias_name("alias/payments").target_key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&e), "AlreadyExistsException");
    assert_eq!(error_message(&e), format!("An alias with the name {alias_arn} already exists"));
    let e = kms.create_alias().alias_name("alias/aws/s3").target_key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidAliasNameException");
    let e = kms.create_alias().alias_name("payments").target_key_id(&key_id).send().await.unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");
    assert!(error_message(&e).starts_with("Alias must start with the prefix \"alias/\"."), "{}", error_message(&e));
    let e = kms.describe_key().key_id("alias/nobody").send().await.unwrap_err();
    assert_eq!(error_code(&e), "NotFoundException");

    // UpdateAlias moves it; ListAliases shows it once, with its target.
    let (other, _) = new_key(&kms).await;
    kms.update_alias().alias_name("alias/payments").target_key_id(&other).send().await.unwrap();
    let listed = kms.list_aliases().send().await.unwrap();
    assert_eq!(listed.aliases().len(), 1);
    assert_eq!(listed.aliases()[0].target_key_id(), Some(other.as_str()));
    assert_eq!(listed.aliases()[0].alias_arn(), Some(alias_arn));
    assert!(kms.list_aliases().key_id(&key_id).send().await.unwrap().aliases().is_empty());
}

#[tokio::test]
async fn generate_random_returns_the_requested_length() {
    let server = TestServer::start();
    let kms = server.client();
    let random = kms.generate_random().number_of_bytes(1024).send().await.unwrap().plaintext.unwrap();
    assert_eq!(random.as_ref().len(), 1024);
    let e = kms.generate_random().number_of_bytes(0).send().await.unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");
}

#[tokio::test]
async fn dry_run_checks_everything_and_does_nothing() {
    let server = TestServer::start();
    let kms = server.client();
    let (key_id, _) = new_key(&kms).await;
    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).dry_run(true).send().await.unwrap_err();
    assert_eq!(error_code(&e), "DryRunOperationException");
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).dry_run(true).send().await.unwrap_err();
    assert_eq!(error_code(&e), "DisabledException", "a dry run that would fail reports the failure");
}

#[tokio::test]
async fn listing_pages_through_every_key_and_tag() {
    let server = TestServer::start();
    let kms = server.client();
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(new_key(&kms).await.0);
    }
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = kms.list_keys().limit(2).set_marker(marker).send().await.unwrap();
        seen.extend(page.keys().iter().map(|k| k.key_id().unwrap().to_owned()));
        if !page.truncated() {
            break;
        }
        marker = page.next_marker().map(str::to_owned);
    }
    created.sort();
    seen.sort();
    assert_eq!(seen, created);
    assert_eq!(error_code(&kms.list_keys().marker("garbage").send().await.unwrap_err()), "InvalidMarkerException");

    let key = &created[0];
    for i in 0..3 {
        let tag = aws_sdk_kms::types::Tag::builder().tag_key(format!("k{i}")).tag_value("v").build().unwrap();
        kms.tag_resource().key_id(key).tags(tag).send().await.unwrap();
    }
    let first = kms.list_resource_tags().key_id(key).limit(2).send().await.unwrap();
    assert_eq!(first.tags().len(), 2);
    assert!(first.truncated());
    let rest = kms.list_resource_tags().key_id(key).marker(first.next_marker().unwrap()).send().await.unwrap();
    assert_eq!(rest.tags().len(), 1);
    kms.untag_resource().key_id(key).tag_keys("k0").send().await.unwrap();
    assert_eq!(kms.list_resource_tags().key_id(key).send().await.unwrap().tags().len(), 2);
    let reserved = aws_sdk_kms::types::Tag::builder().tag_key("aws:x").tag_value("v").build().unwrap();
    assert_eq!(error_code(&kms.tag_resource().key_id(key).tags(reserved).send().await.unwrap_err()), "TagException");
}

#[tokio::test]
async fn key_policies_are_stored_and_returned() {
    let server = TestServer::start();
    let kms = server.client();
    let (key_id, _) = new_key(&kms).await;
    let default = kms.get_key_policy().key_id(&key_id).policy_name("default").send().await.unwrap();
    assert!(default.policy().unwrap().contains("arn:aws:iam::111122223333:root"));
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}"#;
    kms.put_key_policy().key_id(&key_id).policy_name("default").policy(policy).send().await.unwrap();
    assert_eq!(kms.get_key_policy().key_id(&key_id).send().await.unwrap().policy(), Some(policy));
    assert_eq!(kms.list_key_policies().key_id(&key_id).send().await.unwrap().policy_names(), ["default"]);
    let e = kms.put_key_policy().key_id(&key_id).policy("{not json").send().await.unwrap_err();
    assert_eq!(error_code(&e), "MalformedPolicyDocumentException");
    let created = kms.create_key().policy(policy).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(kms.get_key_policy().key_id(created.key_id()).send().await.unwrap().policy(), Some(policy));
}

#[tokio::test]
async fn the_key_policy_decides_and_a_policy_that_locks_its_author_out_needs_the_bypass() {
    let server = TestServer::start();
    let kms = server.client();
    let (key_id, arn) = new_key(&kms).await;
    // AWS's lockout safety check: a policy that would not let the caller change it again is refused.
    let decrypt_only =
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}"#;
    let e = kms.put_key_policy().key_id(&key_id).policy(decrypt_only).send().await.unwrap_err();
    assert_eq!(
        (error_code(&e).as_str(), error_message(&e).as_str()),
        (
            "MalformedPolicyDocumentException",
            "The new key policy will not allow you to update the key policy in the future."
        )
    );
    assert!(kms.encrypt().key_id(&key_id).plaintext(Blob::new("still mine")).send().await.is_ok(), "nothing changed");
    let e = kms.create_key().policy(decrypt_only).send().await.unwrap_err();
    assert_eq!(error_code(&e), "MalformedPolicyDocumentException");

    // A Deny in the key policy stops the account's root user, with AWS's message, and is recorded.
    let no_short_window = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}}}]}"#;
    kms.put_key_policy().key_id(&key_id).policy(no_short_window).send().await.unwrap();
    let e = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap_err();
    assert_eq!(error_code(&e), "AccessDeniedException");
    assert_eq!(
        error_message(&e),
        format!("User: arn:aws:iam::111122223333:root is not authorized to perform: kms:ScheduleKeyDeletion on resource: {arn} with an explicit deny in a resource-based policy")
    );
    let described = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(described.key_state(), Some(&aws_sdk_kms::types::KeyState::Enabled), "nothing changed");
    let scheduled = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(30).send().await.unwrap();
    assert_eq!(
        scheduled.key_state(),
        Some(&aws_sdk_kms::types::KeyState::PendingDeletion),
        "the longest window passes"
    );
    kms.cancel_key_deletion().key_id(&key_id).send().await.unwrap();

    // With the bypass, a policy may lock out even the root user, as in AWS: only Decrypt is left.
    kms.put_key_policy()
        .key_id(&key_id)
        .policy(decrypt_only)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap();
    let e = kms.enable_key().key_id(&key_id).send().await.unwrap_err();
    assert_eq!(
        error_message(&e),
        format!("User: arn:aws:iam::111122223333:root is not authorized to perform: kms:EnableKey on resource: {arn} because no resource-based policy allows the kms:EnableKey action")
    );
}

#[tokio::test]
async fn unsupported_key_specs_say_so() {
    let server = TestServer::start();
    let kms = server.client();
    let e = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Sm2)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "UnsupportedOperationException");
    assert!(error_message(&e).contains("SM2"));
    assert!(kms.list_keys().send().await.unwrap().keys().is_empty(), "nothing was created");
}

#[tokio::test]
async fn key_spec_and_usage_pairs_aws_does_not_allow_are_validation_errors() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let server = TestServer::start();
    let kms = server.client();
    for (spec, usage) in [
        (KeySpec::EccNistP256, Some(KeyUsageType::EncryptDecrypt)),
        (KeySpec::EccNistP256, None),
        (KeySpec::Hmac256, None),
        (KeySpec::Hmac256, Some(KeyUsageType::SignVerify)),
        (KeySpec::SymmetricDefault, Some(KeyUsageType::GenerateVerifyMac)),
        (KeySpec::Rsa2048, Some(KeyUsageType::KeyAgreement)),
    ] {
        let e = kms.create_key().key_spec(spec.clone()).set_key_usage(usage.clone()).send().await.unwrap_err();
        assert_eq!(error_code(&e), "ValidationException", "{spec:?} {usage:?}");
        if usage.is_some() {
            assert!(error_message(&e).contains(spec.as_str()), "{}", error_message(&e));
        } else {
            assert_eq!(
                error_message(&e),
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
            );
        }
    }
    assert!(kms.list_keys().send().await.unwrap().keys().is_empty(), "nothing was created");
}
