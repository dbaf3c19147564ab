//! The ciphertext blob, version 1, and the operations that make and open it (documented in `docs/formats.md`):
//!
//! ```text
//! 0x01 | key ID (16 bytes) | key material version (u32 BE) | nonce (12) | AES-GCM ciphertext | tag (16)
//! ```
//! The header (the first 21 bytes) and the canonical encryption context are the additional authenticated data, so
//! changing any byte, or decrypting with another context, fails.

use std::collections::BTreeMap;

use trent_domain::{KeyId, UsableKey};
use zeroize::Zeroizing;

use crate::symmetric::{SymmetricKey, TAG_LEN};
use crate::{random_bytes, CryptoError};

const BLOB_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 16 + 4;
/// The overhead a blob adds to its plaintext.
pub const BLOB_OVERHEAD: usize = HEADER_LEN + aws_lc_rs::aead::NONCE_LEN + TAG_LEN;

/// An encryption context: string pairs bound to the ciphertext. Sorted, so equal maps encode equally.
pub type EncryptionContext = BTreeMap<String, String>;

/// What a blob's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobHeader {
    /// The key that made the blob.
    pub key_id: KeyId,
    /// Which of the key's materials made it: 0 for the first, then one more per rotation.
    pub material_version: u32,
}

/// Reads the header of a blob without decrypting it, so Decrypt can find the key without a KeyId. Bytes that are no
/// blob of Trent's (an RSA ciphertext, say) are refused here unless they happen to start with the version byte and a
/// UUID of version 4 or 8, the only key IDs Trent makes (single- and multi-Region): 1 in 8,192 random inputs.
pub fn read_header(blob: &[u8]) -> Result<BlobHeader, CryptoError> {
    if blob.len() < BLOB_OVERHEAD || blob.first() != Some(&BLOB_VERSION) {
        return Err(CryptoError::InvalidCiphertext);
    }
    let key_id: [u8; 16] = blob.get(1..17).and_then(|b| b.try_into().ok()).ok_or(CryptoError::InvalidCiphertext)?;
    let key_id = KeyId::from_generated_bytes(key_id).ok_or(CryptoError::InvalidCiphertext)?;
    let version: [u8; 4] = blob.get(17..21).and_then(|b| b.try_into().ok()).ok_or(CryptoError::InvalidCiphertext)?;
    Ok(BlobHeader { key_id, material_version: u32::from_be_bytes(version) })
}

/// Encrypts `plaintext` under the usable key, binding `context`.
pub fn encrypt(
    key: UsableKey<'_>,
    material: &SymmetricKey,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, CryptoError> {
    crate::ensure_material_of(key, material.key_id())?;
    let header = header(BlobHeader { key_id: material.key_id(), material_version: material.material_version() });
    let sealed = material.seal(&aad(&header, context), plaintext)?;
    let mut blob = header;
    blob.extend_from_slice(&sealed);
    Ok(blob)
}

/// Decrypts a blob made by [`encrypt`] under the usable key with the same `context`.
pub fn decrypt(
    key: UsableKey<'_>,
    material: &SymmetricKey,
    blob: &[u8],
    context: &EncryptionContext,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    crate::ensure_material_of(key, material.key_id())?;
    let found = read_header(blob)?;
    if found.key_id != material.key_id() || found.material_version != material.material_version() {
        return Err(CryptoError::InvalidCiphertext);
    }
    let (header, sealed) = blob.split_at(HEADER_LEN);
    material.open(&aad(header, context), sealed)
}

/// Generates a data key of `len` bytes: its plaintext, and the same bytes encrypted under the usable key.
pub fn generate_data_key(
    key: UsableKey<'_>,
    material: &SymmetricKey,
    len: usize,
    context: &EncryptionContext,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), CryptoError> {
    let plaintext = random_bytes(len)?;
    let blob = encrypt(key, material, &plaintext, context)?;
    Ok((plaintext, blob))
}

fn header(header: BlobHeader) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    bytes.push(BLOB_VERSION);
    bytes.extend_from_slice(header.key_id.as_bytes());
    bytes.extend_from_slice(&header.material_version.to_be_bytes());
    bytes
}

/// Header followed by the context as length-prefixed pairs in key order.
fn aad(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad =
        Vec::with_capacity(header.len() + 8 + context.iter().map(|(k, v)| 8 + k.len() + v.len()).sum::<usize>());
    aad.extend_from_slice(header);
    aad.extend_from_slice(&(context.len() as u64).to_be_bytes());
    for (k, v) in context {
        for part in [k, v] {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_domain::{Key, KeySpec, KeyState};

    fn key(id: KeyId, state: KeyState) -> Key {
        crate::test_keys::key(id, KeySpec::SymmetricDefault, trent_domain::KeyUsage::EncryptDecrypt, state)
    }

    fn material(id: KeyId) -> SymmetricKey {
        SymmetricKey::from_material(id, &Zeroizing::new([9u8; 32])).unwrap()
    }

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_blob_names_the_material_version_that_made_it_and_only_that_material_opens_it() {
        let id = KeyId::generate();
        let k = key(id, KeyState::Enabled);
        let rotated = SymmetricKey::from_secret(id, &[5u8; 32]).unwrap().at_material_version(3);
        let blob = encrypt(k.require_usable().unwrap(), &rotated, b"after", &context(&[])).unwrap();
        assert_eq!(read_header(&blob).unwrap(), BlobHeader { key_id: id, material_version: 3 });
        assert_eq!(decrypt(k.require_usable().unwrap(), &rotated, &blob, &context(&[])).unwrap().as_slice(), b"after");
        let first = material(id);
        assert_eq!(
            decrypt(k.require_usable().unwrap(), &first, &blob, &context(&[])),
            Err(CryptoError::InvalidCiphertext),
            "version 0 does not open what version 3 made"
        );
    }

    #[test]
    fn encrypt_then_decrypt_with_same_context() {
        let id = KeyId::generate();
        let k = key(id, KeyState::Enabled);
        let m = material(id);
        let ctx = context(&[("purpose", "test")]);
        let blob = encrypt(k.require_usable().unwrap(), &m, b"secret", &ctx).unwrap();
        assert_eq!(blob.len(), 6 + BLOB_OVERHEAD);
        assert_eq!(read_header(&blob).unwrap(), BlobHeader { key_id: id, material_version: 0 });
        assert_eq!(decrypt(k.require_usable().unwrap(), &m, &blob, &ctx).unwrap().as_slice(), b"secret");
    }

    #[test]
    fn decrypt_with_different_context_fails() {
        let id = KeyId::generate();
        let k = key(id, KeyState::Enabled);
        let m = material(id);
        let blob = encrypt(k.require_usable().unwrap(), &m, b"secret", &context(&[("a", "1")])).unwrap();
        for other in [context(&[]), context(&[("a", "2")]), context(&[("a", "1"), ("b", "2")])] {
            assert_eq!(decrypt(k.require_usable().unwrap(), &m, &blob, &other), Err(CryptoError::InvalidCiphertext));
        }
    }

    #[test]
    fn context_encoding_is_unambiguous() {
        let h = [0u8; HEADER_LEN];
        assert_ne!(aad(&h, &context(&[("ab", "c")])), aad(&h, &context(&[("a", "bc")])));
    }

    #[test]
    fn any_changed_byte_fails() {
        let id = KeyId::generate();
        let k = key(id, KeyState::Enabled);
        let m = material(id);
        let blob = encrypt(k.require_usable().unwrap(), &m, b"secret", &context(&[])).unwrap();
        for i in 0..blob.len() {
            let mut changed = blob.clone();
            changed[i] ^= 0x80;
            assert!(decrypt(k.require_usable().unwrap(), &m, &changed, &context(&[])).is_err(), "byte {i}");
        }
    }

    #[test]
    fn disabled_key_gives_no_proof_of_usability() {
        assert!(key(KeyId::generate(), KeyState::Disabled).require_usable().is_err());
        assert!(key(
            KeyId::generate(),
            KeyState::PendingDeletion(trent_domain::ScheduledDeletion::starting(trent_domain::Timestamp(0), 7))
        )
        .require_usable()
        .is_err());
    }

    #[test]
    fn data_key_plaintext_decrypts_from_its_blob() {
        let id = KeyId::generate();
        let k = key(id, KeyState::Enabled);
        let m = material(id);
        let (plain, blob) = generate_data_key(k.require_usable().unwrap(), &m, 32, &context(&[])).unwrap();
        assert_eq!(plain.len(), 32);
        assert_eq!(decrypt(k.require_usable().unwrap(), &m, &blob, &context(&[])).unwrap(), plain);
    }
}
