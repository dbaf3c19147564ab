//! Trent's cryptography, built on aws-lc-rs alone: the root key that seals key material at rest, the versioned
//! ciphertext blob, data keys, HMAC keys, signing, RSA encryption and key agreement key pairs, data key pairs and
//! random bytes. No primitive is written by hand.
#![warn(missing_docs)]

pub mod agreement;
pub mod blob;
pub mod import;
pub mod kem;
pub mod key_pair;
pub mod mac;
pub mod root_key;
pub mod rsa_encryption;
pub mod signing;
pub mod symmetric;

pub use agreement::AgreementKey;
pub use blob::{decrypt, encrypt, generate_data_key, read_header, BlobHeader, EncryptionContext};
pub use import::{ImportParameters, OpenedImportToken, WrappingAlgorithm, WrappingKeySpec};
pub use kem::KemKey;
pub use key_pair::{generate_private_key, public_key_of};
pub use mac::MacKey;
pub use root_key::RootKey;
pub use rsa_encryption::{CallerPublicKey, RsaEncryptionKey};
pub use signing::{Signed, SigningKey};
pub use symmetric::SymmetricKey;

/// A KMS key's material, unwrapped, of the kind its spec calls for.
#[derive(Debug)]
pub enum KeyMaterial {
    /// A symmetric encryption key (`SYMMETRIC_DEFAULT`).
    Symmetric(SymmetricKey),
    /// An HMAC key (`HMAC_224` to `HMAC_512`); boxed, as aws-lc's HMAC state is large.
    Mac(Box<MacKey>),
    /// A signing key pair (ECDSA or RSA).
    Signing(Box<SigningKey>),
    /// An RSA encryption key pair.
    RsaEncryption(Box<RsaEncryptionKey>),
    /// An ECDH key agreement key pair.
    Agreement(Box<AgreementKey>),
    /// An ML-KEM key encapsulation key pair.
    Kem(Box<KemKey>),
}

impl KeyMaterial {
    /// The same material as version `material_version` of its key's (see [`SymmetricKey::at_material_version`]);
    /// only symmetric material rotates, every other kind is returned as it is.
    pub fn at_material_version(self, material_version: u32) -> Self {
        match self {
            KeyMaterial::Symmetric(key) => KeyMaterial::Symmetric(key.at_material_version(material_version)),
            other => other,
        }
    }

    /// The public key as DER SubjectPublicKeyInfo; `None` for a secret (symmetric or HMAC) key.
    pub fn public_key_der(&self) -> Option<Result<Vec<u8>, CryptoError>> {
        match self {
            KeyMaterial::Symmetric(_) | KeyMaterial::Mac(_) => None,
            KeyMaterial::Signing(pair) => Some(pair.public_key_der()),
            KeyMaterial::RsaEncryption(pair) => Some(Ok(pair.public_key_der())),
            KeyMaterial::Agreement(pair) => Some(Ok(pair.public_key_der())),
            KeyMaterial::Kem(pair) => Some(Ok(pair.public_key_der())),
        }
    }
}

/// What can go wrong in cryptography.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The ciphertext is malformed, was changed, or was bound to a different encryption context or key.
    #[error("invalid ciphertext")]
    InvalidCiphertext,
    /// A sealed record (key material, secret) does not open under this root key.
    #[error("sealed record does not open under this root key")]
    WrongRootKey,
    /// The crypto library failed where it should not (random source, key construction).
    #[error("crypto library failure: {0}")]
    Library(&'static str),
}

/// Refuses to use material for any key but the one the usable-key proof is for (a mix-up in the caller, never input).
pub(crate) fn ensure_material_of(
    key: trent_domain::UsableKey<'_>,
    material_key_id: trent_domain::KeyId,
) -> Result<(), CryptoError> {
    if key.key().id == material_key_id {
        Ok(())
    } else {
        Err(CryptoError::Library("key material does not belong to the usable key"))
    }
}

/// Fills a fresh buffer with `len` bytes from the system's secure random source.
pub fn random_bytes(len: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, CryptoError> {
    let mut bytes = zeroize::Zeroizing::new(vec![0u8; len]);
    aws_lc_rs::rand::fill(bytes.as_mut_slice()).map_err(|_| CryptoError::Library("random source"))?;
    Ok(bytes)
}

/// A key record for the unit tests of this crate.
#[cfg(test)]
pub(crate) mod test_keys {
    use trent_domain::{Key, KeyId, KeySpec, KeyState, KeyUsage};

    /// A key of `spec` and `usage` in `state`, in account 111122223333 and us-east-1.
    pub fn key(id: KeyId, spec: KeySpec, usage: KeyUsage, state: KeyState) -> Key {
        Key { id, ..Key::sample(spec, usage, state) }
    }
}
