//! Symmetric cryptography on Alibaba's API: Encrypt, Decrypt (the blob names its key), GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext and ReEncrypt. A plaintext is a string that comes back byte for byte
//! (`alibaba-kms-api.md` §4).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use trent_service::ops::re_encrypt::ReEncryptInput;
use trent_service::{RequestContext, Service};

use super::{answer, id_of, key_id, Outcome};
use crate::error::WireError;
use crate::names;
use crate::params::Params;
use crate::shapes;

pub(super) async fn encrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key_id = key_id(p)?;
    let plaintext = p.required("Plaintext")?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    // Alibaba's plaintext is a string that comes back byte for byte (§4): its UTF-8 bytes are what is encrypted.
    let encrypted = service.encrypt(ctx, &key_id, plaintext.as_bytes(), &context, None, dry_run).await?;
    let shape = shapes::Encrypted {
        ciphertext_blob: BASE64.encode(&encrypted.ciphertext),
        key_id: id_of(&encrypted.key_arn),
        key_version_id: names::key_version_id_of(id_of(&encrypted.key_arn)),
    };
    answer(ctx, &shape, Some(encrypted.key_arn.clone()))
}

pub(super) async fn decrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let blob =
        BASE64.decode(p.required("CiphertextBlob")?).map_err(|_| WireError::invalid_parameter("CiphertextBlob"))?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    let decrypted = service.decrypt(ctx, &blob, &context, None, None, dry_run).await?;
    // A ciphertext made on this API holds a string's UTF-8 bytes; one made through AWS's API may hold any bytes,
    // which come back in base64 (docs/alibaba.md).
    let plaintext = match std::str::from_utf8(&decrypted.plaintext) {
        Ok(text) => text.to_owned(),
        Err(_) => BASE64.encode(decrypted.plaintext.as_slice()),
    };
    let shape = shapes::Decrypted {
        plaintext,
        key_id: id_of(&decrypted.key_arn),
        key_version_id: names::key_version_id_of(id_of(&decrypted.key_arn)),
    };
    answer(ctx, &shape, Some(decrypted.key_arn.clone()))
}

pub(super) async fn generate_data_key(
    service: &Service,
    ctx: &RequestContext,
    p: Params<'_>,
    with_plaintext: bool,
) -> Outcome {
    let key_id = key_id(p)?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    // NumberOfBytes (1 to 1024) wins over KeySpec (AES_256 or AES_128); 32 bytes when neither is sent.
    let length = match (p.integer("NumberOfBytes", 1..=1024)?, p.optional("KeySpec").filter(|s| !s.is_empty())) {
        (Some(n), _) => usize::try_from(n).unwrap_or(32),
        (None, None | Some("AES_256")) => 32,
        (None, Some("AES_128")) => 16,
        (None, Some(_)) => return Err(WireError::invalid_parameter("KeySpec").into()),
    };
    // The data key travels as base64 text and Decrypt gives that text back, so the text is what is encrypted.
    let data_key = service.generate_random(ctx, length, None).await?;
    let text = zeroize::Zeroizing::new(BASE64.encode(data_key.as_slice()));
    let encrypted = service.encrypt(ctx, &key_id, text.as_bytes(), &context, None, dry_run).await?;
    let shape = shapes::DataKey {
        ciphertext_blob: BASE64.encode(&encrypted.ciphertext),
        plaintext: with_plaintext.then_some(text.as_str()),
        key_id: id_of(&encrypted.key_arn),
        key_version_id: names::key_version_id_of(id_of(&encrypted.key_arn)),
    };
    answer(ctx, &shape, Some(encrypted.key_arn.clone()))
}

pub(super) async fn re_encrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let ciphertext =
        BASE64.decode(p.required("CiphertextBlob")?).map_err(|_| WireError::invalid_parameter("CiphertextBlob"))?;
    let destination_key_id = names::key_reference(p.required("DestinationKeyId")?);
    let input = ReEncryptInput {
        ciphertext,
        source_context: p.encryption_context("SourceEncryptionContext")?,
        // A source named by the caller (needed for an asymmetric source ciphertext, with its algorithm).
        source_key_id: p.optional("SourceKeyId").filter(|id| !id.is_empty()).map(names::key_reference),
        destination_key_id,
        destination_context: p.encryption_context("DestinationEncryptionContext")?,
        source_algorithm: p.optional("SourceEncryptionAlgorithm").filter(|a| !a.is_empty()).map(str::to_owned),
        destination_algorithm: None,
        dry_run: p.boolean("DryRun")?.unwrap_or(false),
    };
    let output = service.re_encrypt(ctx, input).await?;
    let destination = id_of(&output.destination_key_arn);
    let shape = shapes::ReEncrypted {
        ciphertext_blob: BASE64.encode(&output.ciphertext),
        key_id: destination,
        key_version_id: names::key_version_id_of(destination),
    };
    answer(ctx, &shape, Some(output.destination_key_arn.clone()))
}
