//! Asymmetric signing keys (`ECC_NIST_P256`, `ECC_NIST_P384`, `ECC_NIST_P521`, `ECC_SECG_P256K1` with ECDSA): key pair
//! generation, the private key's PKCS #8 document (sealed by the root key), the public key as DER
//! SubjectPublicKeyInfo, and signing and verifying raw messages or their digests, all by aws-lc-rs.

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair, UnparsedPublicKey};
use trent_domain::{KeyId, KeySpec, UsableKey};
use zeroize::Zeroizing;

use crate::CryptoError;

/// What is signed: the message itself, or a digest the caller computed with the algorithm's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed<'a> {
    /// `MessageType: RAW`: the message, hashed here.
    Raw(&'a [u8]),
    /// `MessageType: DIGEST`: a digest of exactly the algorithm's hash length.
    Digest(&'a [u8]),
}

/// An unwrapped signing key pair for one key; the private key lives only inside aws-lc.
pub struct SigningKey {
    key_id: KeyId,
    spec: KeySpec,
    pair: EcdsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey").field("key_id", &self.key_id).field("spec", &self.spec).finish_non_exhaustive()
    }
}

/// The aws-lc-rs algorithms of a signing key spec: signing, verifying, and the hash a digest must come from.
fn algorithms(spec: KeySpec) -> Result<(&'static EcdsaSigningAlgorithm, &'static EcdsaVerificationAlgorithm, &'static digest::Algorithm), CryptoError> {
    match spec {
        KeySpec::EccNistP256 => Ok((&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &signature::ECDSA_P256_SHA256_ASN1, &digest::SHA256)),
        KeySpec::EccNistP384 => Ok((&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &signature::ECDSA_P384_SHA384_ASN1, &digest::SHA384)),
        KeySpec::EccNistP521 => Ok((&signature::ECDSA_P521_SHA512_ASN1_SIGNING, &signature::ECDSA_P521_SHA512_ASN1, &digest::SHA512)),
        KeySpec::EccSecgP256k1 => Ok((&signature::ECDSA_P256K1_SHA256_ASN1_SIGNING, &signature::ECDSA_P256K1_SHA256_ASN1, &digest::SHA256)),
        KeySpec::SymmetricDefault | KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            Err(CryptoError::Library("not a signing key spec"))
        }
    }
}

impl SigningKey {
    /// A fresh key pair of `spec` for `key_id`, and its private key as a PKCS #8 document to seal.
    pub fn generate(key_id: KeyId, spec: KeySpec) -> Result<(Self, Zeroizing<Vec<u8>>), CryptoError> {
        let (signing, _, _) = algorithms(spec)?;
        let pair = EcdsaKeyPair::generate(signing).map_err(|_| CryptoError::Library("ECDSA key generation"))?;
        let document = pair.to_pkcs8v1().map_err(|_| CryptoError::Library("PKCS #8 encoding"))?;
        Ok((Self { key_id, spec, pair }, Zeroizing::new(document.as_ref().to_vec())))
    }

    /// The key pair of `spec` for `key_id` from its PKCS #8 document.
    pub fn from_pkcs8(key_id: KeyId, spec: KeySpec, document: &[u8]) -> Result<Self, CryptoError> {
        let (signing, _, _) = algorithms(spec)?;
        let pair = EcdsaKeyPair::from_pkcs8(signing, document).map_err(|_| CryptoError::Library("PKCS #8 key of another spec"))?;
        Ok(Self { key_id, spec, pair })
    }

    /// The public key as DER SubjectPublicKeyInfo (what GetPublicKey returns).
    pub fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        let der = self.pair.public_key().as_der().map_err(|_| CryptoError::Library("public key encoding"))?;
        Ok(der.as_ref().to_vec())
    }

    /// A DER-encoded ECDSA signature over `signed`; `None` when a digest has the wrong length for the algorithm.
    pub fn sign(&self, key: UsableKey<'_>, signed: Signed<'_>) -> Result<Option<Vec<u8>>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        let (_, _, hash) = algorithms(self.spec)?;
        let rng = SystemRandom::new();
        let signature = match signed {
            Signed::Raw(message) => self.pair.sign(&rng, message),
            Signed::Digest(bytes) => match Digest::import_less_safe(bytes, hash) {
                Ok(digest) => self.pair.sign_digest(&digest),
                Err(_) => return Ok(None),
            },
        };
        signature.map(|s| Some(s.as_ref().to_vec())).map_err(|_| CryptoError::Library("ECDSA signing"))
    }

    /// Whether `signature` is a valid signature over `signed`; `None` when a digest has the wrong length.
    pub fn verify(&self, key: UsableKey<'_>, signed: Signed<'_>, signature: &[u8]) -> Result<Option<bool>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        let (_, verifying, hash) = algorithms(self.spec)?;
        let public = UnparsedPublicKey::new(verifying, self.pair.public_key().as_ref());
        Ok(match signed {
            Signed::Raw(message) => Some(public.verify(message, signature).is_ok()),
            Signed::Digest(bytes) => match Digest::import_less_safe(bytes, hash) {
                Ok(digest) => Some(public.verify_digest(&digest, signature).is_ok()),
                Err(_) => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_domain::KeyState;

    #[test]
    fn signatures_verify_over_the_message_or_its_digest_and_fail_otherwise() {
        for (spec, hash) in [
            (KeySpec::EccNistP256, &digest::SHA256),
            (KeySpec::EccNistP384, &digest::SHA384),
            (KeySpec::EccNistP521, &digest::SHA512),
            (KeySpec::EccSecgP256k1, &digest::SHA256),
        ] {
            let id = KeyId::generate();
            let record = crate::test_keys::key(id, spec, KeyState::Enabled);
            let proof = record.require_usable().unwrap();
            let (pair, document) = SigningKey::generate(id, spec).unwrap();
            let reopened = SigningKey::from_pkcs8(id, spec, &document).unwrap();
            assert_eq!(pair.public_key_der().unwrap(), reopened.public_key_der().unwrap(), "{spec:?}");

            let signature = pair.sign(proof, Signed::Raw(b"message")).unwrap().unwrap();
            assert_eq!(reopened.verify(proof, Signed::Raw(b"message"), &signature).unwrap(), Some(true));
            assert_eq!(reopened.verify(proof, Signed::Raw(b"messagE"), &signature).unwrap(), Some(false));
            let digest = digest::digest(hash, b"message");
            assert_eq!(reopened.verify(proof, Signed::Digest(digest.as_ref()), &signature).unwrap(), Some(true), "a digest signs like its message");
            let over_digest = pair.sign(proof, Signed::Digest(digest.as_ref())).unwrap().unwrap();
            assert_eq!(reopened.verify(proof, Signed::Raw(b"message"), &over_digest).unwrap(), Some(true));
            assert_eq!(pair.sign(proof, Signed::Digest(b"short")).unwrap(), None, "a digest of the wrong length");

            let (other, _) = SigningKey::generate(id, spec).unwrap();
            assert_eq!(other.verify(proof, Signed::Raw(b"message"), &signature).unwrap(), Some(false), "another key pair");
        }
    }
}
