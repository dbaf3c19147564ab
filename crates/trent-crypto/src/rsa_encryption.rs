//! Asymmetric encryption keys (`RSA_2048` to `RSA_4096` with `ENCRYPT_DECRYPT`): RSAES-OAEP encryption to the public
//! key and decryption with the private key, with SHA-1 or SHA-256 (MGF1 with the same hash, no label), by aws-lc-rs.

use aws_lc_rs::rsa::{
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
};
use trent_domain::{EncryptionAlgorithm, KeyId, KeySpec, UsableKey};
use zeroize::Zeroizing;

use crate::key_pair::public_key_der;
use crate::CryptoError;

/// An unwrapped RSA encryption key pair for one key; the private key lives only inside aws-lc.
pub struct RsaEncryptionKey {
    key_id: KeyId,
    private: OaepPrivateDecryptingKey,
    public: OaepPublicEncryptingKey,
    public_der: Vec<u8>,
}

impl std::fmt::Debug for RsaEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("RsaEncryptionKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

fn oaep(algorithm: EncryptionAlgorithm) -> Result<&'static OaepAlgorithm, CryptoError> {
    match algorithm {
        EncryptionAlgorithm::RsaesOaepSha1 => Ok(&OAEP_SHA1_MGF1SHA1),
        EncryptionAlgorithm::RsaesOaepSha256 => Ok(&OAEP_SHA256_MGF1SHA256),
        EncryptionAlgorithm::SymmetricDefault => Err(CryptoError::Library("not an RSA encryption algorithm")),
    }
}

/// The RSAES-OAEP ciphertext of `plaintext` under `public` (which the caller checked is within the algorithm's limit).
fn oaep_encrypt(
    public: &OaepPublicEncryptingKey,
    algorithm: EncryptionAlgorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut ciphertext = vec![0u8; public.ciphertext_size()];
    let len = public
        .encrypt(oaep(algorithm)?, plaintext, &mut ciphertext, None)
        .map_err(|_| CryptoError::Library("RSA OAEP encryption"))?
        .len();
    ciphertext.truncate(len);
    Ok(ciphertext)
}

/// An RSA public key a caller brought, to encrypt to: how a data key leaves the service for the caller's own key pair
/// (Alibaba's ExportDataKey).
pub struct CallerPublicKey(OaepPublicEncryptingKey);

impl std::fmt::Debug for CallerPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerPublicKey").finish_non_exhaustive()
    }
}

impl CallerPublicKey {
    /// The key in `der` (a SubjectPublicKeyInfo), if it is an RSA public key of `spec`.
    pub fn from_der(der: &[u8], spec: KeySpec) -> Option<Self> {
        let public = PublicEncryptingKey::from_der(der).ok()?;
        if spec.rsa_bits() != Some(public.key_size_bits()) {
            return None;
        }
        OaepPublicEncryptingKey::new(public).ok().map(Self)
    }

    /// `plaintext` encrypted with RSAES-OAEP (within the algorithm's limit for the key's spec).
    pub fn encrypt(&self, algorithm: EncryptionAlgorithm, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        oaep_encrypt(&self.0, algorithm, plaintext)
    }
}

impl RsaEncryptionKey {
    /// The RSA key pair of `spec` for `key_id` from its PKCS #8 document.
    pub fn from_pkcs8(key_id: KeyId, spec: KeySpec, document: &[u8]) -> Result<Self, CryptoError> {
        let rejected = || CryptoError::Library("PKCS #8 key of another spec");
        let private = PrivateDecryptingKey::from_pkcs8(document).map_err(|_| rejected())?;
        if spec.rsa_bits() != Some(private.key_size_bits()) {
            return Err(rejected());
        }
        let public_key = private.public_key();
        let public_der = public_key_der(&public_key)?;
        let failed = |_| CryptoError::Library("RSA OAEP key");
        Ok(Self {
            key_id,
            private: OaepPrivateDecryptingKey::new(private).map_err(failed)?,
            public: OaepPublicEncryptingKey::new(public_key).map_err(failed)?,
            public_der,
        })
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.public_der.clone()
    }

    /// The RSAES-OAEP ciphertext of `plaintext` (which the caller checked is within the algorithm's limit).
    pub fn encrypt(
        &self,
        key: UsableKey<'_>,
        algorithm: EncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        oaep_encrypt(&self.public, algorithm, plaintext)
    }

    /// The plaintext of an RSAES-OAEP `ciphertext`; `InvalidCiphertext` when it does not decrypt under this key with
    /// `algorithm`.
    pub fn decrypt(
        &self,
        key: UsableKey<'_>,
        algorithm: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        let mut plaintext = Zeroizing::new(vec![0u8; self.private.min_output_size()]);
        let len = self
            .private
            .decrypt(oaep(algorithm)?, ciphertext, &mut plaintext, None)
            .map_err(|_| CryptoError::InvalidCiphertext)?
            .len();
        plaintext.truncate(len);
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_domain::{KeyState, KeyUsage};

    #[test]
    fn a_callers_public_key_of_the_named_size_receives_what_its_private_key_opens() {
        let id = KeyId::generate();
        let record = crate::test_keys::key(id, KeySpec::Rsa2048, KeyUsage::EncryptDecrypt, KeyState::Enabled);
        let proof = record.require_usable().unwrap();
        let key = RsaEncryptionKey::from_pkcs8(
            id,
            KeySpec::Rsa2048,
            &crate::key_pair::generate_private_key(KeySpec::Rsa2048).unwrap(),
        )
        .unwrap();
        let sha256 = EncryptionAlgorithm::RsaesOaepSha256;
        let der = key.public_key_der();
        let caller = CallerPublicKey::from_der(&der, KeySpec::Rsa2048).unwrap();
        let wrapped = caller.encrypt(sha256, b"data key").unwrap();
        assert_eq!(key.decrypt(proof, sha256, &wrapped).unwrap().as_slice(), b"data key");
        assert!(CallerPublicKey::from_der(&der, KeySpec::Rsa3072).is_none(), "another size");
        assert!(CallerPublicKey::from_der(b"not a key", KeySpec::Rsa2048).is_none());
    }

    #[test]
    fn oaep_round_trips_only_with_the_same_key_and_hash() {
        let id = KeyId::generate();
        let record = crate::test_keys::key(id, KeySpec::Rsa2048, KeyUsage::EncryptDecrypt, KeyState::Enabled);
        let proof = record.require_usable().unwrap();
        let document = crate::key_pair::generate_private_key(KeySpec::Rsa2048).unwrap();
        let key = RsaEncryptionKey::from_pkcs8(id, KeySpec::Rsa2048, &document).unwrap();
        for algorithm in [EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256] {
            let limit = algorithm.max_plaintext_len(KeySpec::Rsa2048);
            let ciphertext = key.encrypt(proof, algorithm, &vec![7u8; limit]).unwrap();
            assert_eq!(ciphertext.len(), 256);
            assert_eq!(key.decrypt(proof, algorithm, &ciphertext).unwrap().as_slice(), vec![7u8; limit].as_slice());
            assert!(
                key.encrypt(proof, algorithm, &vec![7u8; limit + 1]).is_err(),
                "one byte over AWS's limit is over OAEP's"
            );
        }
        let ciphertext = key.encrypt(proof, EncryptionAlgorithm::RsaesOaepSha256, b"secret").unwrap();
        assert_eq!(
            key.decrypt(proof, EncryptionAlgorithm::RsaesOaepSha1, &ciphertext),
            Err(CryptoError::InvalidCiphertext)
        );
        assert_eq!(
            key.decrypt(proof, EncryptionAlgorithm::RsaesOaepSha256, &ciphertext[1..]),
            Err(CryptoError::InvalidCiphertext)
        );
        let other = RsaEncryptionKey::from_pkcs8(
            id,
            KeySpec::Rsa2048,
            &crate::key_pair::generate_private_key(KeySpec::Rsa2048).unwrap(),
        )
        .unwrap();
        assert_eq!(
            other.decrypt(proof, EncryptionAlgorithm::RsaesOaepSha256, &ciphertext),
            Err(CryptoError::InvalidCiphertext)
        );
    }
}
