//! Imported key material through aws-sdk-kms, wrapped with OpenSSL: the material's plaintext never reaches the
//! database or the audit trail; a token past its 24 hours is `ExpiredImportTokenException`; re-importing names the
//! material it means (`KeyMaterialId`, `ImportType`) or is refused with `IncorrectKeyMaterialException`; an imported
//! key survives a restart with its material.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{ExpirationModelType, ImportType, KeyState, OriginType};
use common::{error_code, wrap_for_import, TestServer};

/// Material that is easy to find in a file: 32 bytes of text.
const MARKER: &[u8; 32] = b"IMPORTED-MATERIAL-MARKER-7f3a91c";

async fn external_key(kms: &aws_sdk_kms::Client) -> String {
    kms.create_key().origin(OriginType::External).send().await.unwrap().key_metadata.unwrap().key_id().to_owned()
}

#[tokio::test]
async fn imported_material_never_reaches_the_database_or_the_audit_trail_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &[]);
    let kms = server.client();
    let key_id = external_key(&kms).await;
    let (token, wrapped) = wrap_for_import(&kms, &key_id, MARKER).await;
    kms.import_key_material()
        .key_id(&key_id)
        .import_token(token)
        .encrypted_key_material(wrapped)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    let blob = kms.encrypt().key_id(&key_id).plaintext(Blob::new("kept")).send().await.unwrap().ciphertext_blob;
    let stored = server.stored_bytes();
    assert!(!stored.windows(MARKER.len()).any(|w| w == MARKER), "imported material in the database");
    for (name, _, record) in server.audit_events() {
        assert!(!record.contains(std::str::from_utf8(MARKER).unwrap()), "{name}: material in the audit trail");
    }
    server.kill_9();
    let restarted = TestServer::start_in(dir.path(), &[]);
    let kms = restarted.client();
    let opened = kms.decrypt().ciphertext_blob(blob.unwrap()).send().await.unwrap();
    assert_eq!(opened.plaintext.unwrap().as_ref(), b"kept");
}

#[tokio::test]
async fn expired_tokens_and_material_that_is_not_the_one_named_are_refused() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = external_key(&kms).await;
    let (token, wrapped) = wrap_for_import(&kms, &key_id, MARKER).await;
    server.advance_clock(24 * 3600 + 1);
    let expired = kms
        .import_key_material()
        .key_id(&key_id)
        .import_token(token)
        .encrypted_key_material(wrapped)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&expired), "ExpiredImportTokenException");

    let import = |import_type: Option<ImportType>, material_id: Option<String>| {
        let (kms, key_id) = (kms.clone(), key_id.clone());
        async move {
            let (token, wrapped) = wrap_for_import(&kms, &key_id, MARKER).await;
            kms.import_key_material()
                .key_id(&key_id)
                .import_token(token)
                .encrypted_key_material(wrapped)
                .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
                .set_import_type(import_type)
                .set_key_material_id(material_id)
                .send()
                .await
        }
    };
    let refused = import(Some(ImportType::ExistingKeyMaterial), None).await.unwrap_err();
    assert_eq!(error_code(&refused), "IncorrectKeyMaterialException", "nothing to re-import yet");
    let first = import(None, None).await.unwrap().key_material_id.unwrap();
    let refused = import(Some(ImportType::NewKeyMaterial), None).await.unwrap_err();
    assert_eq!(error_code(&refused), "IncorrectKeyMaterialException", "already the key's material");
    let refused = import(None, Some("0".repeat(64))).await.unwrap_err();
    assert_eq!(error_code(&refused), "IncorrectKeyMaterialException", "not the material named");
    kms.delete_imported_key_material().key_id(&key_id).send().await.unwrap();
    let again = import(Some(ImportType::ExistingKeyMaterial), Some(first.clone())).await.unwrap();
    assert_eq!(again.key_material_id.as_deref(), Some(first.as_str()));
    let metadata = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(metadata.key_state(), Some(&KeyState::Enabled));
    let refused = kms.delete_imported_key_material().key_id(&key_id).key_material_id("1".repeat(64)).send().await;
    assert_eq!(error_code(&refused.unwrap_err()), "NotFoundException");
}
