//! A key's record: identity, metadata, state and its wrapped key material, plus the proof type that gates cryptography.

use crate::algorithms::{algorithms, KeyAlgorithms};
use crate::arn::Arn;
use crate::clock::Timestamp;
use crate::ids::{AccountId, KeyId, Region};
use crate::state::{transition, Action, KeyState, StateError};

/// The kind of key material Trent can create so far (the specs AWS allows are in [`crate::key_specs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// AES-256-GCM.
    SymmetricDefault,
    /// HMAC with SHA-224 and a 224-bit key.
    Hmac224,
    /// HMAC with SHA-256 and a 256-bit key.
    Hmac256,
    /// HMAC with SHA-384 and a 384-bit key.
    Hmac384,
    /// HMAC with SHA-512 and a 512-bit key.
    Hmac512,
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// NIST P-256.
    EccNistP256,
    /// NIST P-384.
    EccNistP384,
    /// NIST P-521.
    EccNistP521,
    /// secp256k1 (signing only).
    EccSecgP256k1,
    /// ML-DSA-44 (FIPS 204).
    MlDsa44,
    /// ML-DSA-65 (FIPS 204).
    MlDsa65,
    /// ML-DSA-87 (FIPS 204).
    MlDsa87,
    /// ML-KEM-512 (FIPS 203).
    MlKem512,
    /// ML-KEM-768 (FIPS 203).
    MlKem768,
    /// ML-KEM-1024 (FIPS 203).
    MlKem1024,
}

impl KeySpec {
    /// Every spec Trent can create.
    pub const ALL: &'static [KeySpec] = &[
        KeySpec::SymmetricDefault,
        KeySpec::Hmac224,
        KeySpec::Hmac256,
        KeySpec::Hmac384,
        KeySpec::Hmac512,
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
        KeySpec::MlDsa44,
        KeySpec::MlDsa65,
        KeySpec::MlDsa87,
        KeySpec::MlKem512,
        KeySpec::MlKem768,
        KeySpec::MlKem1024,
    ];

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySpec::SymmetricDefault => "SYMMETRIC_DEFAULT",
            KeySpec::Hmac224 => "HMAC_224",
            KeySpec::Hmac256 => "HMAC_256",
            KeySpec::Hmac384 => "HMAC_384",
            KeySpec::Hmac512 => "HMAC_512",
            KeySpec::Rsa2048 => "RSA_2048",
            KeySpec::Rsa3072 => "RSA_3072",
            KeySpec::Rsa4096 => "RSA_4096",
            KeySpec::EccNistP256 => "ECC_NIST_P256",
            KeySpec::EccNistP384 => "ECC_NIST_P384",
            KeySpec::EccNistP521 => "ECC_NIST_P521",
            KeySpec::EccSecgP256k1 => "ECC_SECG_P256K1",
            KeySpec::MlDsa44 => "ML_DSA_44",
            KeySpec::MlDsa65 => "ML_DSA_65",
            KeySpec::MlDsa87 => "ML_DSA_87",
            KeySpec::MlKem512 => "ML_KEM_512",
            KeySpec::MlKem768 => "ML_KEM_768",
            KeySpec::MlKem1024 => "ML_KEM_1024",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|spec| spec.as_str() == text)
    }

    /// The length in bytes of a secret key's material; `None` for a key pair, whose material is a PKCS #8 document.
    pub fn secret_len(self) -> Option<usize> {
        match self {
            KeySpec::SymmetricDefault | KeySpec::Hmac256 => Some(32),
            KeySpec::Hmac224 => Some(28),
            KeySpec::Hmac384 => Some(48),
            KeySpec::Hmac512 => Some(64),
            KeySpec::Rsa2048
            | KeySpec::Rsa3072
            | KeySpec::Rsa4096
            | KeySpec::EccNistP256
            | KeySpec::EccNistP384
            | KeySpec::EccNistP521
            | KeySpec::EccSecgP256k1
            | KeySpec::MlDsa44
            | KeySpec::MlDsa65
            | KeySpec::MlDsa87
            | KeySpec::MlKem512
            | KeySpec::MlKem768
            | KeySpec::MlKem1024 => None,
        }
    }
}

/// What a key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUsage {
    /// Encrypt and decrypt.
    EncryptDecrypt,
    /// Generate and verify MACs.
    GenerateVerifyMac,
    /// Sign and verify.
    SignVerify,
    /// Derive shared secrets (ECDH).
    KeyAgreement,
    /// Encapsulate and decapsulate shared secrets (ML-KEM).
    EncapsulateDecapsulate,
}

impl KeyUsage {
    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyUsage::EncryptDecrypt => "ENCRYPT_DECRYPT",
            KeyUsage::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
            KeyUsage::SignVerify => "SIGN_VERIFY",
            KeyUsage::KeyAgreement => "KEY_AGREEMENT",
            KeyUsage::EncapsulateDecapsulate => "ENCAPSULATE_DECAPSULATE",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(text: &str) -> Option<Self> {
        [KeyUsage::EncryptDecrypt, KeyUsage::GenerateVerifyMac, KeyUsage::SignVerify, KeyUsage::KeyAgreement, KeyUsage::EncapsulateDecapsulate]
            .into_iter().find(|usage| usage.as_str() == text)
    }
}

/// Where the key material came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Generated by Trent.
    AwsKms,
}

impl Origin {
    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::AwsKms => "AWS_KMS",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(text: &str) -> Option<Self> {
        (text == "AWS_KMS").then_some(Origin::AwsKms)
    }
}

/// Who manages the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyManager {
    /// Managed by the service on a customer's behalf (`alias/aws/<service>`).
    Aws,
    /// Managed by the customer.
    Customer,
}

impl KeyManager {
    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyManager::Aws => "AWS",
            KeyManager::Customer => "CUSTOMER",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "AWS" => Some(KeyManager::Aws),
            "CUSTOMER" => Some(KeyManager::Customer),
            _ => None,
        }
    }
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    /// The tag key, 1 to 128 characters.
    pub key: String,
    /// The tag value, 0 to 256 characters.
    pub value: String,
}

/// A key as stored: everything DescribeKey reports, its tags and policy, and its key material wrapped under the root key.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's ID, unique within its account and region.
    pub id: KeyId,
    /// The owning account.
    pub account: AccountId,
    /// The region the key lives in; it is invisible from every other region.
    pub region: Region,
    /// When CreateKey ran (lifecycle clock).
    pub created_at: Timestamp,
    /// Free text, up to 8192 characters.
    pub description: String,
    /// The kind of key material.
    pub spec: KeySpec,
    /// What the key may be used for.
    pub usage: KeyUsage,
    /// Where the material came from.
    pub origin: Origin,
    /// Who manages the key.
    pub manager: KeyManager,
    /// The key's state, stored in exactly one column.
    pub state: KeyState,
    /// When a `PendingDeletion` key is destroyed; `None` in every other state.
    pub deletion_date: Option<Timestamp>,
    /// The waiting period the deletion was scheduled with; `None` unless pending deletion.
    pub pending_window_days: Option<i64>,
    /// Resource tags, in the order they were first set.
    pub tags: Vec<Tag>,
    /// The key policy document named `default`.
    pub policy: String,
    /// While true, ScheduleKeyDeletion is refused (a Trent extension, as in Alibaba Cloud KMS).
    pub deletion_protection: bool,
    /// While true, an attempted use of the key while it is pending deletion cancels the deletion (Trent's safety net).
    pub cancel_on_use: bool,
    /// The key material, sealed under the root key (see `trent-crypto`); never plaintext.
    pub wrapped_material: Vec<u8>,
    /// Bumped on every change; a write succeeds only against the version it read (conditional write).
    pub version: i64,
}

impl Key {
    /// The key's ARN.
    pub fn arn(&self) -> Arn {
        Arn::key(&self.region, &self.account, self.id)
    }

    /// The algorithms the key supports, by its spec and usage.
    pub fn algorithms(&self) -> KeyAlgorithms {
        algorithms(self.spec, self.usage)
    }

    /// Applies `action` through the transition table, updating the state, or says why the state refuses it.
    pub fn apply(&mut self, action: Action) -> Result<(), StateError> {
        self.state = transition(self.state, action)?;
        Ok(())
    }

    /// The proof that this key may be used for cryptography right now. The crypto layer accepts nothing else.
    pub fn require_usable(&self) -> Result<UsableKey<'_>, StateError> {
        transition(self.state, Action::UseForCryptography)?;
        Ok(UsableKey { key: self })
    }

    /// True when the key is pending deletion and its deletion date has passed: it is gone, whether or not the
    /// deletion worker has removed the row yet.
    pub fn is_due_for_deletion(&self, now: Timestamp) -> bool {
        self.state == KeyState::PendingDeletion && self.deletion_date.is_some_and(|date| date <= now)
    }
}

/// A key whose state allows cryptography. Only [`Key::require_usable`] makes one.
#[derive(Debug, Clone, Copy)]
pub struct UsableKey<'a> {
    key: &'a Key,
}

impl<'a> UsableKey<'a> {
    /// The key this proof is about.
    pub fn key(&self) -> &'a Key {
        self.key
    }
}
