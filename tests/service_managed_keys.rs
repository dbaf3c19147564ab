//! Service-managed keys: created on first use of `alias/aws/<service>` in Encrypt or GenerateDataKey, listed and
//! described like any key, and refusing every lifecycle change with AWS's error while changing nothing.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyManagerType, KeyState, Tag};
use common::{error_code, error_message, wire_type, TestServer};

#[tokio::test]
async fn first_use_of_a_service_alias_creates_its_managed_key_once() {
    let server = TestServer::start();
    let kms = server.client();
    let encrypted = kms.encrypt().key_id("alias/aws/s3").plaintext(Blob::new("object")).send().await.unwrap();
    let arn = encrypted.key_id().unwrap().to_owned();
    let again = kms.generate_data_key().key_id("alias/aws/s3").number_of_bytes(32).send().await.unwrap();
    assert_eq!(again.key_id(), Some(arn.as_str()), "the same key serves the service afterwards");
    let plain =
        kms.decrypt().ciphertext_blob(encrypted.ciphertext_blob.unwrap()).send().await.unwrap().plaintext.unwrap();
    assert_eq!(plain.as_ref(), b"object");

    let key = kms.describe_key().key_id("alias/aws/s3").send().await.unwrap().key_metadata.unwrap();
    assert_eq!(key.key_manager(), Some(&KeyManagerType::Aws));
    assert_eq!(key.arn(), Some(arn.as_str()));
    assert!(key.description().unwrap().contains("s3"));
    let aliases = kms.list_aliases().send().await.unwrap();
    assert!(aliases
        .aliases()
        .iter()
        .any(|a| a.alias_name() == Some("alias/aws/s3") && a.target_key_id() == Some(key.key_id())));
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 1);

    // Describe and Decrypt never create one; a customer alias never does either.
    assert_eq!(error_code(&kms.describe_key().key_id("alias/aws/ebs").send().await.unwrap_err()), "NotFoundException");
    assert_eq!(
        error_code(&kms.encrypt().key_id("alias/orders").plaintext(Blob::new("x")).send().await.unwrap_err()),
        "NotFoundException"
    );
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 1);
}

#[tokio::test]
async fn concurrent_first_uses_create_exactly_one_managed_key() {
    let server = TestServer::start();
    let kms = server.client();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let kms = kms.clone();
            tokio::spawn(async move {
                kms.encrypt()
                    .key_id("alias/aws/rds")
                    .plaintext(Blob::new("row"))
                    .send()
                    .await
                    .unwrap()
                    .key_id()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut arns = Vec::new();
    for task in tasks {
        arns.push(task.await.unwrap());
    }
    arns.dedup();
    assert_eq!(arns.len(), 1, "every caller got the one key");
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 1);
}

#[tokio::test]
async fn managed_keys_refuse_every_lifecycle_change_and_nothing_changes() {
    let server = TestServer::start();
    let kms = server.client();
    let arn = kms
        .encrypt()
        .key_id("alias/aws/lambda")
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap()
        .key_id()
        .unwrap()
        .to_owned();
    let key_id = arn.rsplit('/').next().unwrap().to_owned();
    let denied = |code: String, message: String, action: &str| {
        assert_eq!(code, "AccessDeniedException", "{action}");
        assert!(message.contains(action) && message.contains(&arn), "{message}");
    };
    let e = kms.disable_key().key_id(&key_id).send().await.unwrap_err();
    denied(error_code(&e), error_message(&e), "kms:DisableKey");
    let e = kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap_err();
    denied(error_code(&e), error_message(&e), "kms:ScheduleKeyDeletion");
    let e = kms.update_key_description().key_id(&key_id).description("mine now").send().await.unwrap_err();
    denied(error_code(&e), error_message(&e), "kms:UpdateKeyDescription");
    let e = kms
        .tag_resource()
        .key_id(&key_id)
        .tags(Tag::builder().tag_key("k").tag_value("v").build().unwrap())
        .send()
        .await
        .unwrap_err();
    denied(error_code(&e), error_message(&e), "kms:TagResource");
    let e = kms.put_key_policy().key_id(&key_id).policy(r#"{"Statement":[]}"#).send().await.unwrap_err();
    denied(error_code(&e), error_message(&e), "kms:PutKeyPolicy");
    let e = kms.create_alias().alias_name("alias/my-lambda").target_key_id(&key_id).send().await.unwrap_err();
    denied(error_code(&e), error_message(&e), "kms:CreateAlias");
    // Its aws/ alias cannot be moved or deleted, and its deletion protection cannot be cleared.
    let customer = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    assert_eq!(
        error_code(
            &kms.update_alias().alias_name("alias/aws/lambda").target_key_id(&customer).send().await.unwrap_err()
        ),
        "InvalidAliasNameException"
    );
    assert_eq!(
        error_code(&kms.delete_alias().alias_name("alias/aws/lambda").send().await.unwrap_err()),
        "InvalidAliasNameException"
    );
    let (_, _, body) =
        server.signed_dev("Trent.SetDeletionProtection", &format!(r#"{{"KeyId":"{key_id}","Enabled":false}}"#));
    assert_eq!(wire_type(&body), "AccessDeniedException", "{body}");

    let key = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(key.key_state(), Some(&KeyState::Enabled));
    assert!(key.description().unwrap().contains("lambda"));
    assert!(kms.list_resource_tags().key_id(&key_id).send().await.unwrap().tags().is_empty());
    assert_eq!(kms.list_aliases().key_id(&key_id).send().await.unwrap().aliases().len(), 1);
    assert!(kms.encrypt().key_id("alias/aws/lambda").plaintext(Blob::new("still works")).send().await.is_ok());
}
