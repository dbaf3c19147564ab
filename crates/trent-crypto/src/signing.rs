//! Asymmetric signing keys (`SIGN_VERIFY`): ECDSA on `ECC_NIST_P256`, `ECC_NIST_P384`, `ECC_NIST_P521` and
//! `ECC_SECG_P256K1`, RSASSA-PSS and RSASSA-PKCS1-v1_5 on `RSA_2048` to `RSA_4096`, Ed25519 on
//! `ECC_NIST_EDWARDS25519`, ML-DSA on `ML_DSA_44` to `ML_DSA_87`; signing and verifying raw messages or (ECDSA, RSA)
//! their digests, all by aws-lc-rs (which has no Ed25519ph, so `ED25519_PH_SHA_512` is not offered).

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, Ed25519KeyPair, KeyPair, ParsedPublicKey,
    PqdsaKeyPair, RsaEncoding, RsaParameters, VerificationAlgorithm,
};
use trent_domain::{Hash, KeyId, KeySpec, KeyUsage, SigningAlgorithm, UsableKey};

use crate::key_pair::{ecdsa_algorithms, ml_dsa, public_key_der};
use crate::CryptoError;

/// What is signed: the message itself, or a digest the caller computed with the algorithm's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed<'a> {
    /// `MessageType: RAW`: the message, hashed here.
    Raw(&'a [u8]),
    /// `MessageType: DIGEST`: a digest of exactly the algorithm's hash length.
    Digest(&'a [u8]),
}

/// The private key of a signing key pair, held only inside aws-lc.
enum Signer {
    Ecdsa(EcdsaKeyPair),
    Rsa(rsa::KeyPair),
    Ed25519(Ed25519KeyPair),
    MlDsa(PqdsaKeyPair),
}

/// An unwrapped signing key pair for one key, with its public key parsed once for each algorithm it verifies.
pub struct SigningKey {
    key_id: KeyId,
    signer: Signer,
    verifiers: Vec<(SigningAlgorithm, ParsedPublicKey)>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// The digest of a signing algorithm; `None` for ML-DSA, which takes no digest.
fn digest_algorithm(algorithm: SigningAlgorithm) -> Option<&'static digest::Algorithm> {
    algorithm.hash().map(|hash| match hash {
        Hash::Sha256 => &digest::SHA256,
        Hash::Sha384 => &digest::SHA384,
        Hash::Sha512 => &digest::SHA512,
    })
}

/// The digest a `DIGEST` message stands for; `None` when it has the wrong length for the algorithm (or the algorithm
/// takes none).
fn import_digest(algorithm: SigningAlgorithm, bytes: &[u8]) -> Option<Digest> {
    digest_algorithm(algorithm).and_then(|hash| Digest::import_less_safe(bytes, hash).ok())
}

/// The RSA padding for signing and the parameters for verifying with `algorithm`; `None` for any other algorithm.
fn rsa_algorithms(algorithm: SigningAlgorithm) -> Option<(&'static dyn RsaEncoding, &'static RsaParameters)> {
    match algorithm {
        SigningAlgorithm::RsassaPssSha256 => Some((&signature::RSA_PSS_SHA256, &signature::RSA_PSS_2048_8192_SHA256)),
        SigningAlgorithm::RsassaPssSha384 => Some((&signature::RSA_PSS_SHA384, &signature::RSA_PSS_2048_8192_SHA384)),
        SigningAlgorithm::RsassaPssSha512 => Some((&signature::RSA_PSS_SHA512, &signature::RSA_PSS_2048_8192_SHA512)),
        SigningAlgorithm::RsassaPkcs1V15Sha256 => {
            Some((&signature::RSA_PKCS1_SHA256, &signature::RSA_PKCS1_2048_8192_SHA256))
        }
        SigningAlgorithm::RsassaPkcs1V15Sha384 => {
            Some((&signature::RSA_PKCS1_SHA384, &signature::RSA_PKCS1_2048_8192_SHA384))
        }
        SigningAlgorithm::RsassaPkcs1V15Sha512 => {
            Some((&signature::RSA_PKCS1_SHA512, &signature::RSA_PKCS1_2048_8192_SHA512))
        }
        SigningAlgorithm::EcdsaSha256
        | SigningAlgorithm::EcdsaSha384
        | SigningAlgorithm::EcdsaSha512
        | SigningAlgorithm::MlDsaShake256
        | SigningAlgorithm::Ed25519Sha512
        | SigningAlgorithm::Ed25519PhSha512 => None,
    }
}

/// The ECDSA signing and verification algorithms of an ECC spec (the verification algorithm as the trait object a
/// parsed public key takes).
fn ecdsa_signing(
    spec: KeySpec,
) -> Result<(&'static EcdsaSigningAlgorithm, &'static dyn VerificationAlgorithm), CryptoError> {
    ecdsa_algorithms(spec).map(|(signing, verifying, _): (_, &'static EcdsaVerificationAlgorithm, _)| {
        (signing, verifying as &'static dyn VerificationAlgorithm)
    })
}

impl SigningKey {
    /// The signing key pair of `spec` for `key_id` from its PKCS #8 document.
    pub fn from_pkcs8(key_id: KeyId, spec: KeySpec, document: &[u8]) -> Result<Self, CryptoError> {
        let rejected = |_| CryptoError::Library("PKCS #8 key of another spec");
        let mut verifiers = Vec::new();
        let parse = |algorithm: &'static dyn VerificationAlgorithm, public: &[u8]| {
            ParsedPublicKey::new(algorithm, public).map_err(|_| CryptoError::Library("public key"))
        };
        let signer = match (spec.rsa_bits(), ml_dsa(spec)) {
            _ if spec == KeySpec::EccNistEdwards25519 => {
                let pair = Ed25519KeyPair::from_pkcs8(document).map_err(rejected)?;
                verifiers
                    .push((SigningAlgorithm::Ed25519Sha512, parse(&signature::ED25519, pair.public_key().as_ref())?));
                Signer::Ed25519(pair)
            }
            (_, Some((signing, verifying))) => {
                let pair = PqdsaKeyPair::from_pkcs8(signing, document).map_err(rejected)?;
                verifiers.push((SigningAlgorithm::MlDsaShake256, parse(verifying, pair.public_key().as_ref())?));
                Signer::MlDsa(pair)
            }
            (Some(bits), None) => {
                let pair = rsa::KeyPair::from_pkcs8(document).map_err(rejected)?;
                if pair.public_modulus_len() * 8 != bits {
                    return Err(CryptoError::Library("PKCS #8 key of another spec"));
                }
                for &algorithm in trent_domain::algorithms::algorithms(spec, KeyUsage::SignVerify).signing {
                    if let Some((_, parameters)) = rsa_algorithms(algorithm) {
                        verifiers.push((algorithm, parse(parameters, pair.public_key().as_ref())?));
                    }
                }
                Signer::Rsa(pair)
            }
            (None, None) => {
                let (signing, verifying) = ecdsa_signing(spec)?;
                let pair = EcdsaKeyPair::from_pkcs8(signing, document).map_err(rejected)?;
                for &algorithm in trent_domain::algorithms::algorithms(spec, KeyUsage::SignVerify).signing {
                    verifiers.push((algorithm, parse(verifying, pair.public_key().as_ref())?));
                }
                Signer::Ecdsa(pair)
            }
        };
        Ok(Self { key_id, signer, verifiers })
    }

    /// The public key as DER SubjectPublicKeyInfo (what GetPublicKey returns).
    pub fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        match &self.signer {
            Signer::Ecdsa(pair) => public_key_der(pair.public_key()),
            Signer::Rsa(pair) => public_key_der(pair.public_key()),
            Signer::Ed25519(pair) => public_key_der(pair.public_key()),
            Signer::MlDsa(pair) => public_key_der(pair.public_key()),
        }
    }

    /// A signature over `signed` with `algorithm` (which the caller checked the key supports): DER for ECDSA, the
    /// modulus length for RSA. `None` when a digest has the wrong length for the algorithm.
    pub fn sign(
        &self,
        key: UsableKey<'_>,
        algorithm: SigningAlgorithm,
        signed: Signed<'_>,
    ) -> Result<Option<Vec<u8>>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        let digest = match signed {
            Signed::Raw(_) => None,
            Signed::Digest(bytes) => match import_digest(algorithm, bytes) {
                Some(digest) => Some(digest),
                None => return Ok(None),
            },
        };
        let failed = |_| CryptoError::Library("signing");
        match (&self.signer, rsa_algorithms(algorithm)) {
            (Signer::Ecdsa(pair), None) => {
                // A message is hashed here and its digest signed: the signature `sign` would make, without the
                // message-digest context (`EVP_DigestSign`) it sets up for every call.
                let digest = match (signed, digest, digest_algorithm(algorithm)) {
                    (_, Some(digest), _) => digest,
                    (Signed::Raw(message) | Signed::Digest(message), None, Some(hash)) => digest::digest(hash, message),
                    (_, None, None) => return Err(CryptoError::Library("ECDSA signing algorithm without a hash")),
                };
                Ok(Some(pair.sign_digest(&digest).map_err(failed)?.as_ref().to_vec()))
            }
            (Signer::Rsa(pair), Some((padding, _))) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                match (signed, digest) {
                    (_, Some(digest)) => pair.sign_digest(padding, &digest, &mut signature),
                    (Signed::Raw(message) | Signed::Digest(message), None) => {
                        pair.sign(padding, &SystemRandom::new(), message, &mut signature)
                    }
                }
                .map_err(failed)?;
                Ok(Some(signature))
            }
            (Signer::Ed25519(pair), None) if algorithm == SigningAlgorithm::Ed25519Sha512 => match signed {
                Signed::Raw(message) => Ok(Some(pair.try_sign(message).map_err(failed)?.as_ref().to_vec())),
                Signed::Digest(_) => Ok(None),
            },
            (Signer::MlDsa(pair), None) => match signed {
                Signed::Raw(message) => {
                    let mut signature = vec![0u8; pair.algorithm().signature_len()];
                    let len = pair.sign(message, &mut signature).map_err(failed)?;
                    signature.truncate(len);
                    Ok(Some(signature))
                }
                Signed::Digest(_) => Ok(None),
            },
            (Signer::Ecdsa(_) | Signer::MlDsa(_) | Signer::Ed25519(_), _) | (Signer::Rsa(_), None) => {
                Err(CryptoError::Library("signing algorithm of another key type"))
            }
        }
    }

    /// Whether `signature` is a valid signature over `signed` with `algorithm`; `None` when a digest has the wrong
    /// length.
    pub fn verify(
        &self,
        key: UsableKey<'_>,
        algorithm: SigningAlgorithm,
        signed: Signed<'_>,
        signature: &[u8],
    ) -> Result<Option<bool>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        let public = self
            .verifiers
            .iter()
            .find_map(|(supported, public)| (*supported == algorithm).then_some(public))
            .ok_or(CryptoError::Library("signing algorithm of another key spec"))?;
        Ok(match signed {
            Signed::Raw(message) => Some(public.verify_sig(message, signature).is_ok()),
            Signed::Digest(bytes) => {
                import_digest(algorithm, bytes).map(|digest| public.verify_digest_sig(&digest, signature).is_ok())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_domain::{KeyState, KeyUsage};

    fn pair(spec: KeySpec) -> (trent_domain::Key, SigningKey, SigningKey) {
        let id = KeyId::generate();
        let record = crate::test_keys::key(id, spec, KeyUsage::SignVerify, KeyState::Enabled);
        let document = crate::key_pair::generate_private_key(spec).unwrap();
        let signing = SigningKey::from_pkcs8(id, spec, &document).unwrap();
        let reopened = SigningKey::from_pkcs8(id, spec, &document).unwrap();
        assert_eq!(signing.public_key_der().unwrap(), reopened.public_key_der().unwrap(), "{spec:?}");
        (record, signing, reopened)
    }

    #[test]
    fn signatures_verify_over_the_message_or_its_digest_and_fail_otherwise() {
        let cases = [
            (KeySpec::EccNistP256, SigningAlgorithm::EcdsaSha256),
            (KeySpec::EccNistP384, SigningAlgorithm::EcdsaSha384),
            (KeySpec::EccNistP521, SigningAlgorithm::EcdsaSha512),
            (KeySpec::EccSecgP256k1, SigningAlgorithm::EcdsaSha256),
            (KeySpec::Rsa2048, SigningAlgorithm::RsassaPssSha256),
            (KeySpec::Rsa2048, SigningAlgorithm::RsassaPkcs1V15Sha512),
        ];
        for (spec, algorithm) in cases {
            let (record, pair, reopened) = pair(spec);
            let proof = record.require_usable().unwrap();
            let signature = pair.sign(proof, algorithm, Signed::Raw(b"message")).unwrap().unwrap();
            assert_eq!(reopened.verify(proof, algorithm, Signed::Raw(b"message"), &signature).unwrap(), Some(true));
            assert_eq!(reopened.verify(proof, algorithm, Signed::Raw(b"messagE"), &signature).unwrap(), Some(false));
            let digest = digest::digest(digest_algorithm(algorithm).unwrap(), b"message");
            assert_eq!(
                reopened.verify(proof, algorithm, Signed::Digest(digest.as_ref()), &signature).unwrap(),
                Some(true),
                "a digest signs like its message"
            );
            let over_digest = pair.sign(proof, algorithm, Signed::Digest(digest.as_ref())).unwrap().unwrap();
            assert_eq!(reopened.verify(proof, algorithm, Signed::Raw(b"message"), &over_digest).unwrap(), Some(true));
            assert_eq!(
                pair.sign(proof, algorithm, Signed::Digest(b"short")).unwrap(),
                None,
                "a digest of the wrong length"
            );

            let (_, other, _) = self::pair(spec);
            let other_proof = record.require_usable().unwrap();
            let other = SigningKey { key_id: record.id, ..other };
            assert_eq!(
                other.verify(other_proof, algorithm, Signed::Raw(b"message"), &signature).unwrap(),
                Some(false),
                "another key pair"
            );
        }
    }

    #[test]
    fn ed25519_signs_raw_messages() {
        let (record, pair, reopened) = pair(KeySpec::EccNistEdwards25519);
        let proof = record.require_usable().unwrap();
        let signature = pair.sign(proof, SigningAlgorithm::Ed25519Sha512, Signed::Raw(b"message")).unwrap().unwrap();
        assert_eq!(signature.len(), 64);
        assert_eq!(
            reopened.verify(proof, SigningAlgorithm::Ed25519Sha512, Signed::Raw(b"message"), &signature).unwrap(),
            Some(true)
        );
        assert_eq!(
            reopened.verify(proof, SigningAlgorithm::Ed25519Sha512, Signed::Raw(b"messagE"), &signature).unwrap(),
            Some(false)
        );
        assert!(
            pair.sign(proof, SigningAlgorithm::Ed25519PhSha512, Signed::Digest(&[0; 64])).is_err(),
            "no Ed25519ph in aws-lc-rs"
        );
    }

    #[test]
    fn ml_dsa_signs_raw_messages_only() {
        for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
            let (record, pair, reopened) = pair(spec);
            let proof = record.require_usable().unwrap();
            let signature =
                pair.sign(proof, SigningAlgorithm::MlDsaShake256, Signed::Raw(b"message")).unwrap().unwrap();
            assert_eq!(
                reopened.verify(proof, SigningAlgorithm::MlDsaShake256, Signed::Raw(b"message"), &signature).unwrap(),
                Some(true),
                "{spec:?}"
            );
            assert_eq!(
                reopened.verify(proof, SigningAlgorithm::MlDsaShake256, Signed::Raw(b"messagE"), &signature).unwrap(),
                Some(false)
            );
            assert_eq!(
                pair.sign(proof, SigningAlgorithm::MlDsaShake256, Signed::Digest(&[0; 32])).unwrap(),
                None,
                "no digests"
            );
        }
    }

    #[test]
    fn an_rsa_signature_does_not_verify_under_another_padding() {
        let (record, pair, _) = pair(KeySpec::Rsa2048);
        let proof = record.require_usable().unwrap();
        let signature = pair.sign(proof, SigningAlgorithm::RsassaPkcs1V15Sha256, Signed::Raw(b"m")).unwrap().unwrap();
        assert_eq!(signature.len(), 256);
        assert_eq!(
            pair.verify(proof, SigningAlgorithm::RsassaPssSha256, Signed::Raw(b"m"), &signature).unwrap(),
            Some(false)
        );
    }

    #[test]
    fn a_pkcs8_document_opens_only_as_its_own_spec() {
        let document = crate::key_pair::generate_private_key(KeySpec::Rsa2048).unwrap();
        assert!(SigningKey::from_pkcs8(KeyId::generate(), KeySpec::Rsa3072, &document).is_err());
        assert!(SigningKey::from_pkcs8(KeyId::generate(), KeySpec::EccNistP256, &document).is_err());
    }
}
