//! Imported key material (origin `EXTERNAL`): the RSA wrapping key and import token GetParametersForImport hands out,
//! unwrapping the owner's `EncryptedKeyMaterial` with them, and checking that material fits its key.
//!
//! The import token is a sealed record of the root key (kind 4, `docs/formats.md`) whose ID is the key's ID, the
//! token's own 16-byte ID and the wrapping algorithm, and whose plaintext is the wrapping private key (PKCS #8): the
//! private key is never stored, only handed back by whoever holds the token, and a token opens for its key alone.
//! Whether a token is still outstanding (single use, 24 hours) is the key's record to say (`trent_domain::Import`).
//!
//! The wrapping algorithms are AWS's: `RSAES_OAEP_SHA_1` and `RSAES_OAEP_SHA_256` encrypt the material itself to the
//! public key; `RSA_AES_KEY_WRAP_SHA_1` and `RSA_AES_KEY_WRAP_SHA_256` encrypt a fresh AES-256 key to it with OAEP and
//! append the material wrapped under that key with AES key wrap with padding (RFC 5649), which is how key pairs, too
//! large for OAEP, travel.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::key_wrap::{AesKek, KeyWrapPadded, AES_256};
use aws_lc_rs::rsa::{
    KeySize, OaepAlgorithm, OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
};
use trent_domain::{KeyId, KeySpec};
use zeroize::Zeroizing;

use crate::key_pair::public_key_der;
use crate::CryptoError;

/// How the owner wraps the material for transport (GetParametersForImport's `WrappingAlgorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrappingAlgorithm {
    /// `RSAES_OAEP_SHA_1`.
    RsaesOaepSha1,
    /// `RSAES_OAEP_SHA_256`.
    RsaesOaepSha256,
    /// `RSA_AES_KEY_WRAP_SHA_1`.
    RsaAesKeyWrapSha1,
    /// `RSA_AES_KEY_WRAP_SHA_256`.
    RsaAesKeyWrapSha256,
}

impl WrappingAlgorithm {
    const ALL: [WrappingAlgorithm; 4] = [
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
    ];

    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            WrappingAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            WrappingAlgorithm::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            WrappingAlgorithm::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
        }
    }

    /// Parses AWS's name; `None` for a name Trent does not offer (`RSAES_PKCS1_V1_5`, `SM2PKE`).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|algorithm| algorithm.as_str() == text)
    }

    /// The byte that names the algorithm inside a token.
    fn code(self) -> u8 {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 => 1,
            WrappingAlgorithm::RsaesOaepSha256 => 2,
            WrappingAlgorithm::RsaAesKeyWrapSha1 => 3,
            WrappingAlgorithm::RsaAesKeyWrapSha256 => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|algorithm| algorithm.code() == code)
    }

    fn oaep(self) -> &'static OaepAlgorithm {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaAesKeyWrapSha1 => &OAEP_SHA1_MGF1SHA1,
            WrappingAlgorithm::RsaesOaepSha256 | WrappingAlgorithm::RsaAesKeyWrapSha256 => &OAEP_SHA256_MGF1SHA256,
        }
    }
}

/// The size of the wrapping key pair (GetParametersForImport's `WrappingKeySpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrappingKeySpec {
    /// `RSA_2048`.
    Rsa2048,
    /// `RSA_3072`.
    Rsa3072,
    /// `RSA_4096`.
    Rsa4096,
}

impl WrappingKeySpec {
    /// Parses AWS's name; `None` for one Trent does not offer (`SM2`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "RSA_2048" => Some(WrappingKeySpec::Rsa2048),
            "RSA_3072" => Some(WrappingKeySpec::Rsa3072),
            "RSA_4096" => Some(WrappingKeySpec::Rsa4096),
            _ => None,
        }
    }

    fn size(self) -> KeySize {
        match self {
            WrappingKeySpec::Rsa2048 => KeySize::Rsa2048,
            WrappingKeySpec::Rsa3072 => KeySize::Rsa3072,
            WrappingKeySpec::Rsa4096 => KeySize::Rsa4096,
        }
    }
}

/// What GetParametersForImport hands out.
pub struct ImportParameters {
    /// The token's ID, which the key records as outstanding (32 lower-case hexadecimal digits).
    pub token_id: String,
    /// The import token, to send back with the wrapped material.
    pub token: Vec<u8>,
    /// The wrapping public key, DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
}

impl std::fmt::Debug for ImportParameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportParameters").field("token_id", &self.token_id).finish_non_exhaustive()
    }
}

/// An import token, opened: which token it is and the wrapping private key it carries.
pub struct OpenedImportToken {
    /// The token's ID (32 lower-case hexadecimal digits).
    pub token_id: String,
    /// The algorithm the material was to be wrapped with.
    pub algorithm: WrappingAlgorithm,
    private: OaepPrivateDecryptingKey,
}

impl std::fmt::Debug for OpenedImportToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedImportToken").field("token_id", &self.token_id).finish_non_exhaustive()
    }
}

/// The length of an import token's ID.
const TOKEN_ID_LEN: usize = 16;
/// AES key wrap's integrity check block, which the wrapped material is longer than the material by at least.
const KEY_WRAP_OVERHEAD: usize = 8;

/// The sealed record ID of a token: the key's ID, the token's ID, the algorithm.
fn token_record_id(key_id: KeyId, token_id: &[u8; TOKEN_ID_LEN], algorithm: WrappingAlgorithm) -> Vec<u8> {
    let mut id = Vec::with_capacity(16 + TOKEN_ID_LEN + 1);
    id.extend_from_slice(key_id.as_bytes());
    id.extend_from_slice(token_id);
    id.push(algorithm.code());
    id
}

/// A fresh wrapping key pair, before its private key is sealed into a token.
pub(crate) struct NewWrappingKey {
    /// The token's ID, hexadecimal.
    pub token_id: String,
    /// The ID the token's sealed record carries.
    pub record_id: Vec<u8>,
    /// The private key, PKCS #8: the token's plaintext.
    pub private_key: Zeroizing<Vec<u8>>,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
}

/// A fresh wrapping key pair of `spec` for a token of `key_id`.
pub(crate) fn new_wrapping_key(
    key_id: KeyId,
    algorithm: WrappingAlgorithm,
    spec: WrappingKeySpec,
) -> Result<NewWrappingKey, CryptoError> {
    let private =
        PrivateDecryptingKey::generate(spec.size()).map_err(|_| CryptoError::Library("RSA key generation"))?;
    let public = public_key_der(&private.public_key())?;
    let document = private.as_der().map_err(|_| CryptoError::Library("RSA private key encoding"))?;
    let mut token_id = [0u8; TOKEN_ID_LEN];
    aws_lc_rs::rand::fill(&mut token_id).map_err(|_| CryptoError::Library("random source"))?;
    Ok(NewWrappingKey {
        token_id: trent_domain::hex::lower_hex(&token_id),
        record_id: token_record_id(key_id, &token_id, algorithm),
        private_key: Zeroizing::new(document.as_ref().to_vec()),
        public_key: public,
    })
}

/// The token ID and algorithm a token's record ID names, if it is a token of `key_id`.
pub(crate) fn parse_token_record_id(key_id: KeyId, id: &[u8]) -> Option<([u8; TOKEN_ID_LEN], WrappingAlgorithm)> {
    let rest = id.strip_prefix(key_id.as_bytes().as_slice())?;
    let (token_id, algorithm) = rest.split_first_chunk::<TOKEN_ID_LEN>()?;
    match algorithm {
        [code] => Some((*token_id, WrappingAlgorithm::from_code(*code)?)),
        _ => None,
    }
}

impl OpenedImportToken {
    /// The token of `token_id`, carrying the wrapping private key `document` (PKCS #8).
    pub(crate) fn new(
        token_id: &[u8; TOKEN_ID_LEN],
        algorithm: WrappingAlgorithm,
        document: &[u8],
    ) -> Result<Self, CryptoError> {
        let rejected = |_| CryptoError::Library("wrapping private key");
        let private = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(document).map_err(rejected)?)
            .map_err(|_| CryptoError::Library("wrapping private key"))?;
        Ok(Self { token_id: trent_domain::hex::lower_hex(token_id), algorithm, private })
    }

    /// The material inside `wrapped`, or `InvalidCiphertext` when it was not wrapped with this token's public key
    /// and algorithm.
    pub fn unwrap_material(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let modulus_len = self.private.key_size_bytes();
        let (encrypted_key, wrapped_material) = match self.algorithm {
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => (wrapped, &[][..]),
            WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
                wrapped.split_at_checked(modulus_len).ok_or(CryptoError::InvalidCiphertext)?
            }
        };
        if encrypted_key.len() != modulus_len {
            return Err(CryptoError::InvalidCiphertext);
        }
        let mut decrypted = Zeroizing::new(vec![0u8; modulus_len]);
        let len = self
            .private
            .decrypt(self.algorithm.oaep(), encrypted_key, &mut decrypted, None)
            .map_err(|_| CryptoError::InvalidCiphertext)?
            .len();
        decrypted.truncate(len);
        match self.algorithm {
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => Ok(decrypted),
            WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
                let kek = AesKek::new(&AES_256, &decrypted).map_err(|_| CryptoError::InvalidCiphertext)?;
                if wrapped_material.len() <= KEY_WRAP_OVERHEAD {
                    return Err(CryptoError::InvalidCiphertext);
                }
                let mut material = Zeroizing::new(vec![0u8; wrapped_material.len()]);
                let len = kek
                    .unwrap_with_padding(wrapped_material, &mut material)
                    .map_err(|_| CryptoError::InvalidCiphertext)?
                    .len();
                material.truncate(len);
                Ok(material)
            }
        }
    }
}

/// The form of imported material that identifies it: a secret key's bytes, a key pair's public key (the same private
/// key may come in several PKCS #8 encodings).
pub(crate) fn identifying_form<'a>(
    spec: KeySpec,
    raw: &'a [u8],
    material: &crate::KeyMaterial,
) -> Result<std::borrow::Cow<'a, [u8]>, CryptoError> {
    match material.public_key_der() {
        Some(public) => Ok(std::borrow::Cow::Owned(public?)),
        None if spec.secret_len().is_some() => Ok(std::borrow::Cow::Borrowed(raw)),
        None => Err(CryptoError::Library("material with neither a secret nor a public key")),
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey};
    use trent_domain::KeyUsage;

    use super::*;
    use crate::key_pair::generate_private_key;
    use crate::RootKey;

    fn root() -> RootKey {
        RootKey::from_material(&Zeroizing::new([7; crate::symmetric::MATERIAL_LEN])).unwrap()
    }

    /// Wraps `material` as an owner does, with aws-lc directly: OAEP to the public key, or OAEP of a fresh AES key
    /// followed by AES key wrap with padding.
    fn wrap(public_der: &[u8], algorithm: WrappingAlgorithm, material: &[u8]) -> Vec<u8> {
        let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_der).unwrap()).unwrap();
        let oaep = |plaintext: &[u8]| {
            let mut out = vec![0u8; public.ciphertext_size()];
            public.encrypt(algorithm.oaep(), plaintext, &mut out, None).unwrap().to_vec()
        };
        match algorithm {
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => oaep(material),
            WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
                let aes_key = [9u8; 32];
                let mut wrapped = vec![0u8; material.len() + 16];
                let kek = AesKek::new(&AES_256, &aes_key).unwrap();
                let wrapped = kek.wrap_with_padding(material, &mut wrapped).unwrap().to_vec();
                [oaep(&aes_key), wrapped].concat()
            }
        }
    }

    #[test]
    fn material_wrapped_with_the_issued_public_key_is_unwrapped_and_fingerprinted_by_what_it_is() {
        let root = root();
        let key_id = KeyId::generate();
        let secret = [5u8; 32];
        let pair = generate_private_key(KeySpec::EccNistP256).unwrap();
        for (algorithm, spec, usage, material) in [
            (WrappingAlgorithm::RsaesOaepSha256, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &secret[..]),
            (WrappingAlgorithm::RsaesOaepSha1, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &secret[..]),
            (WrappingAlgorithm::RsaAesKeyWrapSha256, KeySpec::EccNistP256, KeyUsage::SignVerify, pair.as_slice()),
            (WrappingAlgorithm::RsaAesKeyWrapSha1, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &secret[..]),
        ] {
            let parameters = root.issue_import_parameters(key_id, algorithm, WrappingKeySpec::Rsa2048).unwrap();
            let token = root.open_import_token(key_id, &parameters.token).unwrap();
            assert_eq!((token.token_id.as_str(), token.algorithm), (parameters.token_id.as_str(), algorithm));
            let unwrapped = token.unwrap_material(&wrap(&parameters.public_key, algorithm, material)).unwrap();
            assert_eq!(unwrapped.as_slice(), material, "{algorithm:?}");
            let (record, fingerprint) = root.import_key_material(key_id, spec, usage, &unwrapped).unwrap();
            assert!(root.open_key_material(key_id, spec, usage, &record).is_ok());
            let (_, again) = root.import_key_material(key_id, spec, usage, material).unwrap();
            assert_eq!((fingerprint.len(), &again), (64, &fingerprint), "the same material, the same fingerprint");
            let (_, of_another_key) = root.import_key_material(KeyId::generate(), spec, usage, material).unwrap();
            assert_ne!(of_another_key, fingerprint);
            assert_eq!(
                token.unwrap_material(&wrap(&parameters.public_key, algorithm, material)[1..]),
                Err(CryptoError::InvalidCiphertext)
            );
        }
        let (_, other) =
            root.import_key_material(key_id, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &[6u8; 32]).unwrap();
        let (_, first) =
            root.import_key_material(key_id, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &secret).unwrap();
        assert_ne!(other, first, "other material, another fingerprint");
    }

    #[test]
    fn a_token_opens_only_for_its_key_and_unchanged() {
        let root = root();
        let key_id = KeyId::generate();
        let parameters =
            root.issue_import_parameters(key_id, WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048).unwrap();
        assert!(root.open_import_token(key_id, &parameters.token).is_some());
        assert!(root.open_import_token(KeyId::generate(), &parameters.token).is_none(), "another key's");
        let mut changed = parameters.token.clone();
        if let Some(byte) = changed.last_mut() {
            *byte ^= 1;
        }
        assert!(root.open_import_token(key_id, &changed).is_none(), "a changed byte");
        let other_root = RootKey::from_material(&Zeroizing::new([8; crate::symmetric::MATERIAL_LEN])).unwrap();
        assert!(other_root.open_import_token(key_id, &parameters.token).is_none(), "another root key's");
        assert!(root.open_import_token(key_id, b"").is_none());
        assert!(parameters.token.len() < 6144, "within the model's CiphertextType");
    }

    #[test]
    fn material_that_does_not_fit_its_key_is_refused() {
        let root = root();
        let id = KeyId::generate();
        let symmetric = (KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
        assert!(root.import_key_material(id, symmetric.0, symmetric.1, &[1u8; 16]).is_none(), "16 bytes for AES-256");
        let hmac = (KeySpec::Hmac256, KeyUsage::GenerateVerifyMac);
        assert!(root.import_key_material(id, hmac.0, hmac.1, &[1u8; 31]).is_none());
        assert!(root.import_key_material(id, hmac.0, hmac.1, &[1u8; 128]).is_some(), "up to 1024 bits");
        assert!(root.import_key_material(id, hmac.0, hmac.1, &[1u8; 129]).is_none());
        let rsa = generate_private_key(KeySpec::Rsa2048).unwrap();
        assert!(root.import_key_material(id, KeySpec::EccNistP256, KeyUsage::SignVerify, &rsa).is_none());
        assert!(root.import_key_material(id, KeySpec::Rsa3072, KeyUsage::SignVerify, &rsa).is_none(), "its size");
        assert!(root.import_key_material(id, KeySpec::Rsa2048, KeyUsage::EncryptDecrypt, &rsa).is_some());
    }
}
