//! Asymmetric keys on Alibaba's API: GetPublicKey (PEM), AsymmetricSign and AsymmetricVerify (over a digest the
//! caller computed), AsymmetricEncrypt and AsymmetricDecrypt (RSAES-OAEP). Each names the key's version, which must be
//! the key's one version; Alibaba's algorithm names map to the service's (`alibaba-kms-api.md` §3, §4).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use trent_domain::Key;
use trent_service::ops::sign::{MessageType, SignRequest};
use trent_service::{RequestContext, Service, ServiceError};

use super::{about, key_id, named_version, Outcome};
use crate::error::WireError;
use crate::names;
use crate::params::Params;
use crate::shapes;

/// Alibaba's signing algorithms and the service's.
const SIGNING: [(&str, &str); 3] = [
    ("RSA_PSS_SHA_256", "RSASSA_PSS_SHA_256"),
    ("RSA_PKCS1_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("ECDSA_SHA_256", "ECDSA_SHA_256"),
];

/// Alibaba's asymmetric encryption algorithms, which the service names alike.
const ENCRYPTION: [&str; 2] = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1"];

/// The SM2 algorithms, which aws-lc (and so Trent) does not have.
const SM2: [&str; 2] = ["SM2DSA", "SM2PKE"];

/// The service's name for the `Algorithm` parameter, from `table`.
fn algorithm(p: Params<'_>, table: &[(&'static str, &'static str)]) -> Result<&'static str, WireError> {
    let name = p.required("Algorithm")?;
    match table.iter().find(|(alibaba, _)| *alibaba == name) {
        Some((_, service)) => Ok(service),
        None if SM2.contains(&name) => Err(WireError::unsupported(format!("{name} is not supported by Trent."))),
        None => Err(WireError::invalid_parameter("Algorithm")),
    }
}

/// The key a call names, at the version it names (an asymmetric key has one).
async fn versioned_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Result<Key, super::Refusal> {
    let key = service.describe_key(ctx, &key_id(p)?).await?;
    named_version(p, &key)?;
    Ok(key)
}

pub(super) async fn get_public_key(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = versioned_key(service, ctx, p).await?;
    let (_, der) = service.get_public_key(ctx, &key.id.to_string()).await?;
    let (id, version) = (key.id.to_string(), names::key_version_id(key.id, 0));
    about(ctx, &shapes::PublicKey { key_id: &id, key_version_id: &version, public_key: pem(&der) }, &key)
}

/// A DER SubjectPublicKeyInfo in PEM armour, 64 characters to a line.
fn pem(der: &[u8]) -> String {
    let encoded = BASE64.encode(der);
    let mut text = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in encoded.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str("-----END PUBLIC KEY-----\n");
    text
}

/// Sign and Verify's request: a digest the caller computed (`Digest`, base64).
fn signing<'a>(p: Params<'_>, key_id: &'a str, digest: &'a [u8]) -> Result<SignRequest<'a>, WireError> {
    Ok(SignRequest {
        key_id,
        message: digest,
        message_type: MessageType::Digest,
        algorithm: algorithm(p, &SIGNING)?,
        dry_run: p.boolean("DryRun")?.unwrap_or(false),
    })
}

pub(super) async fn sign(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = versioned_key(service, ctx, p).await?;
    let (id, version) = (key.id.to_string(), names::key_version_id(key.id, 0));
    let digest = p.base64("Digest")?;
    let (signature, _) = service.sign(ctx, signing(p, &id, &digest)?).await?;
    let shape = shapes::Asymmetric {
        key_id: &id,
        key_version_id: &version,
        value: Some(BASE64.encode(signature)),
        ciphertext_blob: None,
        plaintext: None,
    };
    about(ctx, &shape, &key)
}

pub(super) async fn verify(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = versioned_key(service, ctx, p).await?;
    let (id, version) = (key.id.to_string(), names::key_version_id(key.id, 0));
    let digest = p.base64("Digest")?;
    let signature = p.base64("Value")?;
    // A signature that does not verify is an answer here (`Value: false`), not an error as on AWS's API.
    let value = match service.verify(ctx, signing(p, &id, &digest)?, &signature).await {
        Ok(_) => true,
        Err(ServiceError::InvalidSignature) => false,
        Err(other) => return Err(other.into()),
    };
    about(ctx, &shapes::Verified { key_id: &id, key_version_id: &version, value }, &key)
}

pub(super) async fn encrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = versioned_key(service, ctx, p).await?;
    let (id, version) = (key.id.to_string(), names::key_version_id(key.id, 0));
    let algorithm = encryption_algorithm(p)?;
    let plaintext = p.base64("Plaintext")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    let encrypted = service.encrypt(ctx, &id, &plaintext, &Default::default(), Some(algorithm), dry_run).await?;
    let shape = shapes::Asymmetric {
        key_id: &id,
        key_version_id: &version,
        value: None,
        ciphertext_blob: Some(BASE64.encode(&encrypted.ciphertext)),
        plaintext: None,
    };
    about(ctx, &shape, &key)
}

pub(super) async fn decrypt(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key = versioned_key(service, ctx, p).await?;
    let (id, version) = (key.id.to_string(), names::key_version_id(key.id, 0));
    let algorithm = encryption_algorithm(p)?;
    let ciphertext = p.base64("CiphertextBlob")?;
    let dry_run = p.boolean("DryRun")?.unwrap_or(false);
    let decrypted = service.decrypt(ctx, &ciphertext, &Default::default(), Some(&id), Some(algorithm), dry_run).await?;
    let shape = shapes::Asymmetric {
        key_id: &id,
        key_version_id: &version,
        value: None,
        ciphertext_blob: None,
        plaintext: Some(BASE64.encode(decrypted.plaintext.as_slice())),
    };
    about(ctx, &shape, &key)
}

/// The `Algorithm` of AsymmetricEncrypt and AsymmetricDecrypt.
fn encryption_algorithm(p: Params<'_>) -> Result<&'static str, WireError> {
    let same: Vec<(&'static str, &'static str)> = ENCRYPTION.iter().map(|name| (*name, *name)).collect();
    algorithm(p, &same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_are_pem_in_lines_of_64() {
        let text = pem(&[0u8; 100]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"-----BEGIN PUBLIC KEY-----"));
        assert_eq!(lines.last(), Some(&"-----END PUBLIC KEY-----"));
        assert!(lines.iter().all(|line| line.len() <= 64));
        assert_eq!(lines.len(), 2 + 3, "136 base64 characters take three lines");
    }
}
