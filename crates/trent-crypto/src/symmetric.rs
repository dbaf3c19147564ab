//! A symmetric KMS key's material in memory: AES-256-GCM, zeroized when dropped.

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use trent_domain::KeyId;
use zeroize::Zeroizing;

use crate::CryptoError;

/// Length of the key material in bytes (AES-256).
pub const MATERIAL_LEN: usize = 32;
/// Length of the GCM authentication tag.
pub const TAG_LEN: usize = 16;

/// Unwrapped key material for one key. The raw bytes live only inside aws-lc, which clears them on drop,
/// and in a `Zeroizing` buffer while the key is being built or sealed.
pub struct SymmetricKey {
    key_id: KeyId,
    aead: RandomizedNonceKey,
}

impl std::fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SymmetricKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl SymmetricKey {
    /// Builds the key for `key_id` from raw material.
    pub fn from_material(key_id: KeyId, material: &Zeroizing<[u8; MATERIAL_LEN]>) -> Result<Self, CryptoError> {
        let aead = RandomizedNonceKey::new(&AES_256_GCM, material.as_slice())
            .map_err(|_| CryptoError::Library("AES-256-GCM key"))?;
        Ok(Self { key_id, aead })
    }

    /// The key this material belongs to.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Encrypts `plaintext` with a fresh random nonce; returns `nonce || ciphertext || tag`.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut buffer = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        buffer.extend_from_slice(&[0u8; NONCE_LEN]);
        buffer.extend_from_slice(plaintext);
        let mut body = buffer.split_off(NONCE_LEN);
        let nonce = self
            .aead
            .seal_in_place_append_tag(Aad::from(aad), &mut body)
            .map_err(|_| CryptoError::Library("AES-GCM seal"))?;
        buffer.clear();
        buffer.extend_from_slice(nonce.as_ref());
        buffer.append(&mut body);
        Ok(buffer)
    }

    /// Opens `nonce || ciphertext || tag` made by [`SymmetricKey::seal`] with the same `aad`.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::InvalidCiphertext);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::InvalidCiphertext)?;
        let mut in_out = Zeroizing::new(body.to_vec());
        let plaintext_len = self
            .aead
            .open_in_place(nonce, Aad::from(aad), in_out.as_mut_slice())
            .map_err(|_| CryptoError::InvalidCiphertext)?
            .len();
        in_out.truncate(plaintext_len);
        Ok(in_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SymmetricKey {
        SymmetricKey::from_material(KeyId::generate(), &Zeroizing::new([7u8; MATERIAL_LEN])).unwrap()
    }

    #[test]
    fn seal_then_open_returns_plaintext() {
        let k = key();
        let sealed = k.seal(b"aad", b"hello").unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + 5 + TAG_LEN);
        assert_eq!(k.open(b"aad", &sealed).unwrap().as_slice(), b"hello");
    }

    #[test]
    fn open_refuses_changed_aad_or_bytes() {
        let k = key();
        let sealed = k.seal(b"aad", b"hello").unwrap();
        assert_eq!(k.open(b"other", &sealed), Err(CryptoError::InvalidCiphertext));
        for i in 0..sealed.len() {
            let mut changed = sealed.clone();
            changed[i] ^= 1;
            assert_eq!(k.open(b"aad", &changed), Err(CryptoError::InvalidCiphertext), "byte {i}");
        }
        assert_eq!(k.open(b"aad", &sealed[..10]), Err(CryptoError::InvalidCiphertext));
    }

    #[test]
    fn debug_output_hides_material() {
        let text = format!("{:?}", key());
        assert!(!text.contains("7, 7"));
    }
}
