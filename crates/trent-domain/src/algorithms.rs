//! The algorithms each key supports, by its spec and usage, as AWS KMS reports them in DescribeKey and GetPublicKey
//! and accepts them in Encrypt, Sign, GenerateMac and DeriveSharedSecret: the one table of which algorithm goes
//! with which key.

use crate::key::{KeySpec, KeyUsage};

/// A signing algorithm (`SigningAlgorithmSpec`), in AWS's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// RSASSA-PSS with SHA-256 (salt length = digest length).
    RsassaPssSha256,
    /// RSASSA-PSS with SHA-384.
    RsassaPssSha384,
    /// RSASSA-PSS with SHA-512.
    RsassaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsassaPkcs1V15Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsassaPkcs1V15Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsassaPkcs1V15Sha512,
    /// ECDSA with SHA-256.
    EcdsaSha256,
    /// ECDSA with SHA-384.
    EcdsaSha384,
    /// ECDSA with SHA-512.
    EcdsaSha512,
    /// ML-DSA (FIPS 204), whose message representative is made with SHAKE-256.
    MlDsaShake256,
    /// Ed25519 (pure, RFC 8032): the raw message.
    Ed25519Sha512,
    /// Ed25519ph (RFC 8032): a SHA-512 digest, hashed again by the algorithm.
    Ed25519PhSha512,
}

/// A hash function a signing algorithm digests its message with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl SigningAlgorithm {
    const ALL: &'static [SigningAlgorithm] = &[
        SigningAlgorithm::RsassaPssSha256,
        SigningAlgorithm::RsassaPssSha384,
        SigningAlgorithm::RsassaPssSha512,
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        SigningAlgorithm::RsassaPkcs1V15Sha384,
        SigningAlgorithm::RsassaPkcs1V15Sha512,
        SigningAlgorithm::EcdsaSha256,
        SigningAlgorithm::EcdsaSha384,
        SigningAlgorithm::EcdsaSha512,
        SigningAlgorithm::MlDsaShake256,
        SigningAlgorithm::Ed25519Sha512,
        SigningAlgorithm::Ed25519PhSha512,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::RsassaPssSha256 => "RSASSA_PSS_SHA_256",
            SigningAlgorithm::RsassaPssSha384 => "RSASSA_PSS_SHA_384",
            SigningAlgorithm::RsassaPssSha512 => "RSASSA_PSS_SHA_512",
            SigningAlgorithm::RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
            SigningAlgorithm::RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
            SigningAlgorithm::RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
            SigningAlgorithm::EcdsaSha256 => "ECDSA_SHA_256",
            SigningAlgorithm::EcdsaSha384 => "ECDSA_SHA_384",
            SigningAlgorithm::EcdsaSha512 => "ECDSA_SHA_512",
            SigningAlgorithm::MlDsaShake256 => "ML_DSA_SHAKE_256",
            SigningAlgorithm::Ed25519Sha512 => "ED25519_SHA_512",
            SigningAlgorithm::Ed25519PhSha512 => "ED25519_PH_SHA_512",
        }
    }

    /// Parses a wire name Trent supports (the model has more; those are not built).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|algorithm| algorithm.as_str() == text)
    }

    /// The hash the message is digested with, of which a `DIGEST` message must be exactly the length; `None` for
    /// ML-DSA, which signs the message itself (`RAW`) or its 64-byte representative μ (`EXTERNAL_MU`), and for pure
    /// Ed25519, which signs only the message itself.
    pub fn hash(self) -> Option<Hash> {
        match self {
            SigningAlgorithm::RsassaPssSha256
            | SigningAlgorithm::RsassaPkcs1V15Sha256
            | SigningAlgorithm::EcdsaSha256 => Some(Hash::Sha256),
            SigningAlgorithm::RsassaPssSha384
            | SigningAlgorithm::RsassaPkcs1V15Sha384
            | SigningAlgorithm::EcdsaSha384 => Some(Hash::Sha384),
            SigningAlgorithm::RsassaPssSha512
            | SigningAlgorithm::RsassaPkcs1V15Sha512
            | SigningAlgorithm::EcdsaSha512
            | SigningAlgorithm::Ed25519PhSha512 => Some(Hash::Sha512),
            SigningAlgorithm::MlDsaShake256 | SigningAlgorithm::Ed25519Sha512 => None,
        }
    }
}

/// An encryption algorithm (`EncryptionAlgorithmSpec`), in AWS's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionAlgorithm {
    /// AES-256-GCM in Trent's ciphertext blob (symmetric keys).
    SymmetricDefault,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1.
    RsaesOaepSha1,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    RsaesOaepSha256,
}

impl EncryptionAlgorithm {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EncryptionAlgorithm::SymmetricDefault => "SYMMETRIC_DEFAULT",
            EncryptionAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            EncryptionAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }

    /// Parses a wire name Trent supports.
    pub fn parse(text: &str) -> Option<Self> {
        [
            EncryptionAlgorithm::SymmetricDefault,
            EncryptionAlgorithm::RsaesOaepSha1,
            EncryptionAlgorithm::RsaesOaepSha256,
        ]
        .into_iter()
        .find(|algorithm| algorithm.as_str() == text)
    }

    /// The longest plaintext AWS accepts: 4096 bytes for symmetric keys; for RSA OAEP the modulus length less twice
    /// the hash length less two (RFC 8017 section 7.1.1), e.g. 190 bytes for RSA_2048 with SHA-256.
    pub fn max_plaintext_len(self, spec: KeySpec) -> usize {
        let modulus = match spec {
            KeySpec::Rsa2048 => 256,
            KeySpec::Rsa3072 => 384,
            KeySpec::Rsa4096 => 512,
            _ => return 4096,
        };
        match self {
            EncryptionAlgorithm::SymmetricDefault => 4096,
            EncryptionAlgorithm::RsaesOaepSha1 => modulus - 2 * 20 - 2,
            EncryptionAlgorithm::RsaesOaepSha256 => modulus - 2 * 32 - 2,
        }
    }
}

/// What a key of a given spec and usage supports; every list but one is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyAlgorithms {
    /// `EncryptionAlgorithms`.
    pub encryption: &'static [EncryptionAlgorithm],
    /// `SigningAlgorithms`.
    pub signing: &'static [SigningAlgorithm],
    /// `MacAlgorithms`.
    pub mac: &'static [&'static str],
    /// `KeyAgreementAlgorithms`.
    pub key_agreement: &'static [&'static str],
    /// `EncapsulationAlgorithms`.
    pub encapsulation: &'static [&'static str],
}

const RSA_SIGNING: &[SigningAlgorithm] = &[
    SigningAlgorithm::RsassaPssSha256,
    SigningAlgorithm::RsassaPssSha384,
    SigningAlgorithm::RsassaPssSha512,
    SigningAlgorithm::RsassaPkcs1V15Sha256,
    SigningAlgorithm::RsassaPkcs1V15Sha384,
    SigningAlgorithm::RsassaPkcs1V15Sha512,
];
const RSA_ENCRYPTION: &[EncryptionAlgorithm] =
    &[EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256];
/// The one key agreement algorithm.
pub const ECDH: &str = "ECDH";
/// The one key encapsulation algorithm.
pub const ML_KEM: &str = "ML_KEM";

/// The algorithms of a key of `spec` created with `usage` (a pair AWS allows; any other pair supports nothing).
pub fn algorithms(spec: KeySpec, usage: KeyUsage) -> KeyAlgorithms {
    let none = KeyAlgorithms::default();
    match (spec, usage) {
        (KeySpec::SymmetricDefault | KeySpec::Aes128 | KeySpec::Aes192, KeyUsage::EncryptDecrypt) => {
            KeyAlgorithms { encryption: &[EncryptionAlgorithm::SymmetricDefault], ..none }
        }
        (KeySpec::Hmac224, KeyUsage::GenerateVerifyMac) => KeyAlgorithms { mac: &["HMAC_SHA_224"], ..none },
        (KeySpec::Hmac256, KeyUsage::GenerateVerifyMac) => KeyAlgorithms { mac: &["HMAC_SHA_256"], ..none },
        (KeySpec::Hmac384, KeyUsage::GenerateVerifyMac) => KeyAlgorithms { mac: &["HMAC_SHA_384"], ..none },
        (KeySpec::Hmac512, KeyUsage::GenerateVerifyMac) => KeyAlgorithms { mac: &["HMAC_SHA_512"], ..none },
        (KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096, KeyUsage::EncryptDecrypt) => {
            KeyAlgorithms { encryption: RSA_ENCRYPTION, ..none }
        }
        (KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096, KeyUsage::SignVerify) => {
            KeyAlgorithms { signing: RSA_SIGNING, ..none }
        }
        (KeySpec::EccNistP256 | KeySpec::EccSecgP256k1, KeyUsage::SignVerify) => {
            KeyAlgorithms { signing: &[SigningAlgorithm::EcdsaSha256], ..none }
        }
        (KeySpec::EccNistP384, KeyUsage::SignVerify) => {
            KeyAlgorithms { signing: &[SigningAlgorithm::EcdsaSha384], ..none }
        }
        (KeySpec::EccNistP521, KeyUsage::SignVerify) => {
            KeyAlgorithms { signing: &[SigningAlgorithm::EcdsaSha512], ..none }
        }
        (KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521, KeyUsage::KeyAgreement) => {
            KeyAlgorithms { key_agreement: &[ECDH], ..none }
        }
        (KeySpec::EccNistEdwards25519, KeyUsage::SignVerify) => {
            KeyAlgorithms { signing: &[SigningAlgorithm::Ed25519Sha512, SigningAlgorithm::Ed25519PhSha512], ..none }
        }
        (KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87, KeyUsage::SignVerify) => {
            KeyAlgorithms { signing: &[SigningAlgorithm::MlDsaShake256], ..none }
        }
        (KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024, KeyUsage::EncapsulateDecapsulate) => {
            KeyAlgorithms { encapsulation: &[ML_KEM], ..none }
        }
        // Every other pair is one AWS does not allow; CreateKey refuses it, so no key has it.
        _ => none,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_aws_allows_and_trent_builds_supports_some_algorithm() {
        for &spec in KeySpec::ALL {
            for usage in [
                KeyUsage::EncryptDecrypt,
                KeyUsage::GenerateVerifyMac,
                KeyUsage::SignVerify,
                KeyUsage::KeyAgreement,
                KeyUsage::EncapsulateDecapsulate,
            ] {
                let supported = algorithms(spec, usage);
                let any = !supported.encryption.is_empty()
                    || !supported.signing.is_empty()
                    || !supported.mac.is_empty()
                    || !supported.key_agreement.is_empty()
                    || !supported.encapsulation.is_empty();
                assert_eq!(any, crate::key_specs::allows(spec.as_str(), usage.as_str()), "{spec:?} {usage:?}");
            }
        }
    }

    #[test]
    fn rsa_oaep_plaintext_limits_are_awss() {
        assert_eq!(EncryptionAlgorithm::RsaesOaepSha1.max_plaintext_len(KeySpec::Rsa2048), 214);
        assert_eq!(EncryptionAlgorithm::RsaesOaepSha256.max_plaintext_len(KeySpec::Rsa2048), 190);
        assert_eq!(EncryptionAlgorithm::RsaesOaepSha1.max_plaintext_len(KeySpec::Rsa3072), 342);
        assert_eq!(EncryptionAlgorithm::RsaesOaepSha256.max_plaintext_len(KeySpec::Rsa3072), 318);
        assert_eq!(EncryptionAlgorithm::RsaesOaepSha1.max_plaintext_len(KeySpec::Rsa4096), 470);
        assert_eq!(EncryptionAlgorithm::RsaesOaepSha256.max_plaintext_len(KeySpec::Rsa4096), 446);
    }

    #[test]
    fn signing_algorithm_names_round_trip_with_their_hash() {
        for &algorithm in SigningAlgorithm::ALL {
            assert_eq!(SigningAlgorithm::parse(algorithm.as_str()), Some(algorithm));
        }
        assert_eq!(SigningAlgorithm::RsassaPssSha384.hash(), Some(Hash::Sha384));
        assert_eq!(SigningAlgorithm::MlDsaShake256.hash(), None);
        assert_eq!(SigningAlgorithm::Ed25519Sha512.hash(), None);
        assert_eq!(SigningAlgorithm::parse("SM2DSA"), None);
    }
}
