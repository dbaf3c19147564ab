//! HMAC KMS keys (`HMAC_224` to `HMAC_512`): their material in memory, MAC generation and constant-time verification,
//! all by aws-lc-rs.

use aws_lc_rs::hmac;
use trent_domain::{KeyId, KeySpec, UsableKey};

use crate::CryptoError;

/// Unwrapped HMAC material for one key; the bytes live only inside aws-lc, which clears them on drop.
pub struct MacKey {
    key_id: KeyId,
    key: hmac::Key,
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("MacKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// The aws-lc-rs algorithm of an HMAC key spec.
fn algorithm(spec: KeySpec) -> Result<hmac::Algorithm, CryptoError> {
    match spec {
        KeySpec::Hmac224 => Ok(hmac::HMAC_SHA224),
        KeySpec::Hmac256 => Ok(hmac::HMAC_SHA256),
        KeySpec::Hmac384 => Ok(hmac::HMAC_SHA384),
        KeySpec::Hmac512 => Ok(hmac::HMAC_SHA512),
        _ => Err(CryptoError::Library("not an HMAC key spec")),
    }
}

impl MacKey {
    /// Builds the HMAC key of `spec` for `key_id` from raw material of a length the spec takes.
    pub fn from_material(key_id: KeyId, spec: KeySpec, material: &[u8]) -> Result<Self, CryptoError> {
        if !spec.fits_secret_len(material.len()) {
            return Err(CryptoError::Library("HMAC key material of the wrong length"));
        }
        Ok(Self { key_id, key: hmac::Key::new(algorithm(spec)?, material) })
    }

    /// The MAC of `message`, for a key whose state allows it.
    pub fn generate(&self, key: UsableKey<'_>, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        Ok(hmac::sign(&self.key, message).as_ref().to_vec())
    }

    /// True when `mac` is the MAC of `message` under this key (compared in constant time).
    pub fn verify(&self, key: UsableKey<'_>, message: &[u8], mac: &[u8]) -> Result<bool, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        Ok(hmac::verify(&self.key, message, mac).is_ok())
    }
}
