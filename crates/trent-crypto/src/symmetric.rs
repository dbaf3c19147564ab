//! A symmetric KMS key's material in memory: AES-GCM (256-bit keys; 128- and 192-bit for Alibaba's `Aliyun_AES_128`
//! and `Aliyun_AES_192`), zeroized when dropped.

use aws_lc_rs::aead::{
    Aad, LessSafeKey, Nonce, RandomizedNonceKey, UnboundKey, AES_128_GCM, AES_192_GCM, AES_256_GCM, NONCE_LEN,
};
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
    material_version: u32,
    aead: Aead,
}

/// The AEAD key: aws-lc draws the nonce for AES-128 and AES-256 (`RandomizedNonceKey`), which it does not offer for
/// AES-192; there the nonce is drawn here, from the same generator, and given to a `LessSafeKey`.
enum Aead {
    NonceInside(RandomizedNonceKey),
    NonceDrawnHere(LessSafeKey),
}

impl std::fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SymmetricKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl SymmetricKey {
    /// Builds the key for `key_id` from 32 bytes of raw material (AES-256).
    pub fn from_material(key_id: KeyId, material: &Zeroizing<[u8; MATERIAL_LEN]>) -> Result<Self, CryptoError> {
        Self::from_secret(key_id, material.as_slice())
    }

    /// Builds the key for `key_id` from raw material of 16, 24 or 32 bytes: AES-128, -192 or -256 in GCM.
    pub fn from_secret(key_id: KeyId, material: &[u8]) -> Result<Self, CryptoError> {
        let algorithm = match material.len() {
            16 => &AES_128_GCM,
            24 => &AES_192_GCM,
            MATERIAL_LEN => &AES_256_GCM,
            _ => return Err(CryptoError::Library("symmetric key material of the wrong length")),
        };
        let failed = |_| CryptoError::Library("AES-GCM key");
        let aead = if material.len() == 24 {
            Aead::NonceDrawnHere(LessSafeKey::new(UnboundKey::new(algorithm, material).map_err(failed)?))
        } else {
            Aead::NonceInside(RandomizedNonceKey::new(algorithm, material).map_err(failed)?)
        };
        Ok(Self { key_id, material_version: 0, aead })
    }

    /// The key this material belongs to.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The same material, as version `material_version` of its key's materials (0 for the first, then one more per
    /// rotation): the version its ciphertexts carry.
    pub fn at_material_version(self, material_version: u32) -> Self {
        Self { material_version, ..self }
    }

    /// Which of its key's materials this is.
    pub fn material_version(&self) -> u32 {
        self.material_version
    }

    /// Encrypts `plaintext` with a fresh random nonce; returns `nonce || ciphertext || tag`, written into one buffer
    /// once: the plaintext is copied in behind room for the nonce, sealed in place, and the tag appended.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.extend_from_slice(&[0u8; NONCE_LEN]);
        sealed.extend_from_slice(plaintext);
        let (nonce_room, body) = sealed.split_at_mut(NONCE_LEN);
        let sealing_failed = |_| CryptoError::Library("AES-GCM seal");
        let (nonce, tag) = match &self.aead {
            Aead::NonceInside(key) => key.seal_in_place_separate_tag(Aad::from(aad), body).map_err(sealing_failed)?,
            Aead::NonceDrawnHere(key) => {
                let mut drawn = [0u8; NONCE_LEN];
                aws_lc_rs::rand::fill(&mut drawn).map_err(|_| CryptoError::Library("random nonce"))?;
                let tag = key
                    .seal_in_place_separate_tag(Nonce::assume_unique_for_key(drawn), Aad::from(aad), body)
                    .map_err(sealing_failed)?;
                (Nonce::assume_unique_for_key(drawn), tag)
            }
        };
        nonce_room.copy_from_slice(nonce.as_ref());
        sealed.extend_from_slice(tag.as_ref());
        Ok(sealed)
    }

    /// Opens `nonce || ciphertext || tag` made by [`SymmetricKey::seal`] with the same `aad`.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::InvalidCiphertext);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::InvalidCiphertext)?;
        let mut in_out = Zeroizing::new(body.to_vec());
        let opened = match &self.aead {
            Aead::NonceInside(key) => key.open_in_place(nonce, Aad::from(aad), in_out.as_mut_slice()),
            Aead::NonceDrawnHere(key) => key.open_in_place(nonce, Aad::from(aad), in_out.as_mut_slice()),
        };
        let plaintext_len = opened.map_err(|_| CryptoError::InvalidCiphertext)?.len();
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
    fn each_aes_key_size_seals_and_only_itself_opens() {
        let id = KeyId::generate();
        let keys: Vec<SymmetricKey> =
            [16, 24, 32].into_iter().map(|len| SymmetricKey::from_secret(id, &vec![3u8; len]).unwrap()).collect();
        for (i, key) in keys.iter().enumerate() {
            let sealed = key.seal(b"aad", b"hello").unwrap();
            assert_eq!(key.open(b"aad", &sealed).unwrap().as_slice(), b"hello");
            for other in keys.iter().skip(i + 1) {
                assert_eq!(other.open(b"aad", &sealed), Err(CryptoError::InvalidCiphertext));
            }
        }
        assert!(SymmetricKey::from_secret(id, &[0u8; 20]).is_err(), "no AES key is 160 bits");
    }

    #[test]
    fn debug_output_hides_material() {
        let text = format!("{:?}", key());
        assert!(!text.contains("7, 7"));
    }
}
