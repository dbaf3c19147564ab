//! Symmetric cryptography on Alibaba's API: Encrypt, Decrypt (the blob names its key), GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, ReEncrypt, and ExportDataKey and GenerateAndExportDataKey (a data key encrypted to
//! the caller's own RSA public key). A plaintext is a string that comes back byte for byte
//! (`alibaba-kms-api.md` §4).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use trent_domain::{EncryptionAlgorithm, KeySpec};
use trent_service::ops::re_encrypt::ReEncryptInput;
use trent_service::{RequestContext, Service};
use zeroize::Zeroizing;

use super::{answer, key_and_version, key_id, Outcome, Refusal};
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
    let (key_id, key_version_id) = key_and_version(&encrypted.key_arn, &encrypted.ciphertext);
    let shape =
        shapes::Encrypted { ciphertext_blob: BASE64.encode(&encrypted.ciphertext), key_id: &key_id, key_version_id };
    answer(ctx, &shape, Some(encrypted.key_arn.clone()))
}

pub(super) async fn decrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let blob = p.base64("CiphertextBlob")?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    let decrypted = service.decrypt(ctx, &blob, &context, None, None, dry_run).await?;
    // A ciphertext made on this API holds a string's UTF-8 bytes; one made through AWS's API may hold any bytes,
    // which come back in base64 (docs/alibaba.md).
    let plaintext = match std::str::from_utf8(&decrypted.plaintext) {
        Ok(text) => text.to_owned(),
        Err(_) => BASE64.encode(decrypted.plaintext.as_slice()),
    };
    let (key_id, key_version_id) = key_and_version(&decrypted.key_arn, &blob);
    let shape = shapes::Decrypted { plaintext, key_id: &key_id, key_version_id };
    answer(ctx, &shape, Some(decrypted.key_arn.clone()))
}

/// What GenerateDataKey and its kin made: the data key, its base64 text, and that text encrypted under the key.
struct DataKey {
    raw: Zeroizing<Vec<u8>>,
    text: Zeroizing<String>,
    encrypted: trent_service::ops::encrypt::Encrypted,
}

/// The length of the data key asked for: `NumberOfBytes` (1 to 1024) wins over `KeySpec` (`AES_256` or `AES_128`);
/// 32 bytes when neither is sent.
fn data_key_length(p: Params<'_>) -> Result<usize, WireError> {
    match (p.integer("NumberOfBytes", 1..=1024)?, p.optional("KeySpec").filter(|s| !s.is_empty())) {
        (Some(n), _) => Ok(usize::try_from(n).unwrap_or(32)),
        (None, None | Some("AES_256")) => Ok(32),
        (None, Some("AES_128")) => Ok(16),
        (None, Some(_)) => Err(WireError::invalid_parameter("KeySpec")),
    }
}

/// A new data key of `length` bytes under the `KeyId` key. The data key travels as base64 text and Decrypt gives that
/// text back, so the text is what is encrypted.
async fn make_data_key(
    service: &Service,
    ctx: &RequestContext,
    p: Params<'_>,
    length: usize,
) -> Result<DataKey, Refusal> {
    let key_id = key_id(p)?;
    let context = p.encryption_context("EncryptionContext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    let raw = service.generate_random(ctx, length, None).await?;
    let text = Zeroizing::new(BASE64.encode(raw.as_slice()));
    let encrypted = service.encrypt(ctx, &key_id, text.as_bytes(), &context, None, dry_run).await?;
    Ok(DataKey { raw, text, encrypted })
}

pub(super) async fn generate_data_key(
    service: &Service,
    ctx: &RequestContext,
    p: Params<'_>,
    with_plaintext: bool,
) -> Outcome {
    let made = make_data_key(service, ctx, p, data_key_length(p)?).await?;
    let key_arn = &made.encrypted.key_arn;
    let (key_id, key_version_id) = key_and_version(key_arn, &made.encrypted.ciphertext);
    let shape = shapes::DataKey {
        ciphertext_blob: BASE64.encode(&made.encrypted.ciphertext),
        plaintext: with_plaintext.then_some(made.text.as_str()),
        exported_data_key: None,
        key_id: &key_id,
        key_version_id,
    };
    answer(ctx, &shape, Some(key_arn.clone()))
}

/// The caller's public key and how to encrypt to it: `PublicKeyBlob` (base64 DER SubjectPublicKeyInfo),
/// `WrappingKeySpec` (`RSA_2048`) and `WrappingAlgorithm` (`RSAES_OAEP_SHA_256` or `RSAES_OAEP_SHA_1`), read and
/// checked before anything is decrypted or made.
struct Wrapping {
    public_key: trent_crypto::CallerPublicKey,
    spec: KeySpec,
    algorithm: EncryptionAlgorithm,
}

impl Wrapping {
    fn of(p: Params<'_>) -> Result<Self, WireError> {
        let der = p.base64("PublicKeyBlob")?;
        let spec = match p.required("WrappingKeySpec")? {
            "RSA_2048" => KeySpec::Rsa2048,
            "EC_SM2" => return Err(WireError::unsupported("EC_SM2 is not supported by Trent.")),
            _ => return Err(WireError::invalid_parameter("WrappingKeySpec")),
        };
        let algorithm = match p.required("WrappingAlgorithm")? {
            "RSAES_OAEP_SHA_256" => EncryptionAlgorithm::RsaesOaepSha256,
            "RSAES_OAEP_SHA_1" => EncryptionAlgorithm::RsaesOaepSha1,
            "SM2PKE" => return Err(WireError::unsupported("SM2PKE is not supported by Trent.")),
            _ => return Err(WireError::invalid_parameter("WrappingAlgorithm")),
        };
        // A public key that is not RSA of the size named is refused before anything is made.
        let public_key = trent_crypto::CallerPublicKey::from_der(&der, spec)
            .ok_or_else(|| WireError::invalid_parameter("PublicKeyBlob"))?;
        Ok(Self { public_key, spec, algorithm })
    }

    /// The most bytes RSAES-OAEP with this key and hash can encrypt.
    fn limit(&self) -> usize {
        self.algorithm.max_plaintext_len(self.spec)
    }

    /// Base64 of `data_key` encrypted to the public key.
    fn wrap(&self, data_key: &[u8]) -> Result<String, WireError> {
        if data_key.len() > self.limit() {
            return Err(WireError::invalid_parameter("WrappingAlgorithm"));
        }
        match self.public_key.encrypt(self.algorithm, data_key) {
            Ok(wrapped) => Ok(BASE64.encode(wrapped)),
            Err(error) => Err(WireError::from_service(error.into(), None)),
        }
    }
}

pub(super) async fn generate_and_export_data_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let wrapping = Wrapping::of(p)?;
    let length = data_key_length(p)?;
    if length > wrapping.limit() {
        // RSAES-OAEP with a 2048-bit key carries at most 190 (SHA-256) or 214 (SHA-1) bytes.
        return Err(WireError::invalid_parameter("NumberOfBytes").into());
    }
    let made = make_data_key(service, ctx, p, length).await?;
    let key_arn = &made.encrypted.key_arn;
    let (key_id, key_version_id) = key_and_version(key_arn, &made.encrypted.ciphertext);
    let shape = shapes::DataKey {
        ciphertext_blob: BASE64.encode(&made.encrypted.ciphertext),
        plaintext: None,
        exported_data_key: Some(wrapping.wrap(&made.raw)?),
        key_id: &key_id,
        key_version_id,
    };
    answer(ctx, &shape, Some(key_arn.clone()))
}

pub(super) async fn export_data_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let blob = p.base64("CiphertextBlob")?;
    let context = p.encryption_context("EncryptionContext")?;
    let wrapping = Wrapping::of(p)?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    let decrypted = service.decrypt(ctx, &blob, &context, None, None, dry_run).await?;
    // A data key made on this API holds its base64 text; one made through AWS's API holds the key's bytes.
    let data_key = match std::str::from_utf8(&decrypted.plaintext).ok().and_then(|text| BASE64.decode(text).ok()) {
        Some(raw) => Zeroizing::new(raw),
        None => decrypted.plaintext.clone(),
    };
    let key_arn = &decrypted.key_arn;
    let (key_id, key_version_id) = key_and_version(key_arn, &blob);
    let shape = shapes::Exported { exported_data_key: wrapping.wrap(&data_key)?, key_id: &key_id, key_version_id };
    answer(ctx, &shape, Some(key_arn.clone()))
}

pub(super) async fn re_encrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let ciphertext = p.base64("CiphertextBlob")?;
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
    let (key_id, key_version_id) = key_and_version(&output.destination_key_arn, &output.ciphertext);
    let shape =
        shapes::ReEncrypted { ciphertext_blob: BASE64.encode(&output.ciphertext), key_id: &key_id, key_version_id };
    answer(ctx, &shape, Some(output.destination_key_arn.clone()))
}
