//! Trent's cryptography, built on aws-lc-rs alone: the root key that seals key material at rest, the versioned
//! ciphertext blob, data keys, HMAC keys and random bytes. No primitive is written by hand.
#![warn(missing_docs)]

pub mod blob;
pub mod mac;
pub mod root_key;
pub mod symmetric;

pub use blob::{decrypt, encrypt, generate_data_key, read_header, BlobHeader, EncryptionContext};
pub use mac::MacKey;
pub use root_key::RootKey;
pub use symmetric::SymmetricKey;

/// A KMS key's material, unwrapped, of the kind its spec calls for.
#[derive(Debug)]
pub enum KeyMaterial {
    /// A symmetric encryption key (`SYMMETRIC_DEFAULT`).
    Symmetric(SymmetricKey),
    /// An HMAC key (`HMAC_224` to `HMAC_512`); boxed, as aws-lc's HMAC state is large.
    Mac(Box<MacKey>),
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

/// Fills a fresh buffer with `len` bytes from the system's secure random source.
pub fn random_bytes(len: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, CryptoError> {
    let mut bytes = zeroize::Zeroizing::new(vec![0u8; len]);
    aws_lc_rs::rand::fill(bytes.as_mut_slice()).map_err(|_| CryptoError::Library("random source"))?;
    Ok(bytes)
}
