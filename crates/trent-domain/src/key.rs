//! A key's record: identity, metadata, state and its wrapped key material, plus the proof type that gates cryptography.

use crate::algorithms::{algorithms, KeyAlgorithms};
use crate::arn::Arn;
use crate::clock::Timestamp;
use crate::ids::{AccountId, KeyId, Region};
use crate::material::{
    key_material_id, Import, MaterialState, MaterialSummary, Rotation, RotationSchedule, RotationType,
};
use crate::state::{transition, Action, KeyState, StateError};

/// The kind of key material Trent can create so far (the specs AWS allows are in [`crate::key_specs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// AES-256-GCM.
    SymmetricDefault,
    /// AES-128-GCM: Alibaba Cloud's `Aliyun_AES_128`, created only through its API (AWS has no such spec).
    Aes128,
    /// AES-192-GCM: Alibaba Cloud's `Aliyun_AES_192`, created only through its API.
    Aes192,
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
    /// Ed25519 on edwards25519 (signing only).
    EccNistEdwards25519,
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
        KeySpec::Aes128,
        KeySpec::Aes192,
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
        KeySpec::EccNistEdwards25519,
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
            KeySpec::Aes128 => "Aliyun_AES_128",
            KeySpec::Aes192 => "Aliyun_AES_192",
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
            KeySpec::EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
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

    /// Whether `len` bytes are material of this secret-key spec: exactly [`KeySpec::secret_len`] for AES, and for HMAC
    /// from it up to 128 bytes (the lengths AWS accepts for imported HMAC material: the spec's key length to 1024
    /// bits). False for a key pair's spec.
    pub fn fits_secret_len(self, len: usize) -> bool {
        match (self, self.secret_len()) {
            (KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512, Some(least)) => {
                (least..=128).contains(&len)
            }
            (_, exact) => exact == Some(len),
        }
    }

    /// The modulus size in bits of an RSA spec; `None` for any other spec.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeySpec::Rsa2048 => Some(2048),
            KeySpec::Rsa3072 => Some(3072),
            KeySpec::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// Whether generating this spec's material takes long enough to block a request thread: an RSA key pair takes up
    /// to a second; every other spec's material (random bytes; an elliptic-curve, Ed25519, ML-DSA or ML-KEM key pair)
    /// at most about half a millisecond.
    pub fn generation_is_slow(self) -> bool {
        self.rsa_bits().is_some()
    }

    /// The length in bytes of a secret key's material; `None` for a key pair, whose material is a PKCS #8 document.
    pub fn secret_len(self) -> Option<usize> {
        match self {
            KeySpec::SymmetricDefault | KeySpec::Hmac256 => Some(32),
            KeySpec::Aes128 => Some(16),
            KeySpec::Aes192 => Some(24),
            KeySpec::Hmac224 => Some(28),
            KeySpec::Hmac384 => Some(48),
            KeySpec::Hmac512 => Some(64),
            _ => None,
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
        [
            KeyUsage::EncryptDecrypt,
            KeyUsage::GenerateVerifyMac,
            KeyUsage::SignVerify,
            KeyUsage::KeyAgreement,
            KeyUsage::EncapsulateDecapsulate,
        ]
        .into_iter()
        .find(|usage| usage.as_str() == text)
    }
}

/// Where the key material came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Generated by Trent.
    AwsKms,
    /// Imported by the key's owner (ImportKeyMaterial); the key is created without material.
    External,
}

impl Origin {
    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::AwsKms => "AWS_KMS",
            Origin::External => "EXTERNAL",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(text: &str) -> Option<Self> {
        [Origin::AwsKms, Origin::External].into_iter().find(|origin| origin.as_str() == text)
    }
}

/// A multi-Region key's role in its set of related keys (AWS's `MultiRegionKeyType`): the set shares one key ID and
/// its materials, one key per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiRegionKeyType {
    /// The key the replicas were made from.
    Primary,
    /// A copy of the primary in another region.
    Replica,
}

impl MultiRegionKeyType {
    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            MultiRegionKeyType::Primary => "PRIMARY",
            MultiRegionKeyType::Replica => "REPLICA",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(text: &str) -> Option<Self> {
        [MultiRegionKeyType::Primary, MultiRegionKeyType::Replica].into_iter().find(|kind| kind.as_str() == text)
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
    /// The key's state, stored in exactly one column (a pending deletion's date and window are data of the state,
    /// stored beside it). Change it only through [`Key::apply`], which obeys the key's guards.
    pub state: KeyState,
    /// Resource tags, in the order they were first set.
    pub tags: Vec<Tag>,
    /// The key policy document named `default`.
    pub policy: String,
    /// While true, no path may schedule the key's deletion (a Trent extension, as in Alibaba Cloud KMS; see
    /// [`Key::check`]).
    pub deletion_protection: bool,
    /// Why the key is protected, as its owner wrote it (Alibaba's `DeletionProtectionDescription`); empty while the
    /// key is not protected.
    pub deletion_protection_description: String,
    /// While true, an attempted use of the key while it is pending deletion cancels the deletion (Trent's safety net).
    pub cancel_on_use: bool,
    /// The key's first material (version 0), sealed under the root key (see `trent-crypto`); never plaintext. Empty
    /// while a key of origin `EXTERNAL` has no material (never imported, deleted or expired).
    pub wrapped_material: Vec<u8>,
    /// The materials rotations made since, oldest first (versions 1, 2, …); the last is current.
    pub rotations: Vec<Rotation>,
    /// Automatic rotation, while it is on (`EnableKeyRotation`).
    pub rotation_schedule: Option<RotationSchedule>,
    /// A key of origin `EXTERNAL`: its import parameters and what it knows of its imported material.
    pub import: Import,
    /// A multi-Region key's role in its set (its ID is then `mrk-…`, [`KeyId::is_multi_region`]); `None` for a
    /// single-Region key.
    pub multi_region: Option<MultiRegionKeyType>,
    /// Bumped on every change; a write succeeds only against the version it read (conditional write).
    pub version: i64,
}

impl Key {
    /// A key for tests: a new ID in account 111122223333 and us-east-1, created at the epoch, with no description,
    /// tags, policy or material, version 1. Tests change the fields they care about with `..Key::sample(…)`.
    #[cfg(any(test, feature = "test-support"))]
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    pub fn sample(spec: KeySpec, usage: KeyUsage, state: KeyState) -> Key {
        Key {
            id: KeyId::generate(),
            account: AccountId::parse("111122223333").expect("a valid account ID"),
            region: Region::parse("us-east-1").expect("a valid region"),
            created_at: Timestamp(0),
            description: String::new(),
            spec,
            usage,
            origin: Origin::AwsKms,
            manager: KeyManager::Customer,
            state,
            tags: Vec::new(),
            policy: String::new(),
            deletion_protection: false,
            deletion_protection_description: String::new(),
            cancel_on_use: false,
            wrapped_material: Vec::new(),
            rotations: Vec::new(),
            rotation_schedule: None,
            import: Import::default(),
            multi_region: None,
            version: 1,
        }
    }

    /// True while the key holds every material it has had (a key of origin `EXTERNAL` may not: never imported, or
    /// one of its materials deleted or expired; it needs all of them back to be used, as AWS's symmetric keys do).
    pub fn has_material(&self) -> bool {
        !self.wrapped_material.is_empty() && self.rotations.iter().all(|rotation| !rotation.wrapped_material.is_empty())
    }

    /// The sealed material of `material_version`, to change (empty while imported material is deleted).
    pub fn wrapped_material_mut(&mut self, material_version: u32) -> Option<&mut Vec<u8>> {
        match material_version {
            0 => Some(&mut self.wrapped_material),
            version => self
                .rotations
                .iter_mut()
                .find(|rotation| rotation.material_version == version)
                .map(|rotation| &mut rotation.wrapped_material),
        }
    }

    /// What the key knows of its current material, if it was imported and is held: DescribeKey's `ExpirationModel`
    /// and `ValidTo`.
    pub fn current_imported_material(&self) -> Option<&crate::ImportedMaterial> {
        let current = self.current_material_version();
        let held = self.wrapped_material_of(current).is_some_and(|sealed| !sealed.is_empty());
        self.import.material(current).filter(|_| held && self.origin == Origin::External)
    }

    /// When the first of the imported materials the key holds (or holds pending rotation) expires: when the material
    /// worker next has something to delete.
    pub fn material_valid_to(&self) -> Option<Timestamp> {
        let held = self.import.materials.iter().filter(|material| {
            self.wrapped_material_of(material.material_version).is_some_and(|sealed| !sealed.is_empty())
        });
        held.chain(self.import.pending.as_ref().map(|pending| &pending.material))
            .filter_map(|material| material.valid_to)
            .min()
    }

    /// Every material the key has (had, for imported material that was deleted), oldest first: the first, made with
    /// the key or imported (none until a key of origin `EXTERNAL` is first imported into), one per rotation, then
    /// imported material waiting for its rotation.
    pub fn materials(&self) -> Vec<MaterialSummary> {
        let current = self.current_material_version();
        let summary = |version: u32, made: Timestamp, rotation_type: Option<RotationType>| {
            let imported = self.import.material(version).filter(|_| self.origin == Origin::External).cloned();
            MaterialSummary {
                key_material_id: key_material_id(self.id, version),
                origin: self.origin,
                created_at: match (&imported, rotation_type) {
                    (Some(imported), None) => imported.imported_at,
                    _ => made,
                },
                rotation_type,
                held: self.wrapped_material_of(version).is_some_and(|sealed| !sealed.is_empty()),
                imported,
                state: if version == current { MaterialState::Current } else { MaterialState::NonCurrent },
            }
        };
        let first = (self.origin != Origin::External || self.import.material(0).is_some())
            .then(|| summary(0, self.created_at, None));
        let pending = self.import.pending.as_ref().map(|pending| MaterialSummary {
            key_material_id: key_material_id(self.id, pending.material.material_version),
            origin: Origin::External,
            created_at: pending.material.imported_at,
            rotation_type: None,
            imported: Some(pending.material.clone()),
            held: true,
            state: MaterialState::PendingRotation,
        });
        first
            .into_iter()
            .chain(self.rotations.iter().map(|r| summary(r.material_version, r.rotated_at, Some(r.rotation_type))))
            .chain(pending)
            .collect()
    }

    /// The version of the material new ciphertexts are made with: the last rotation's, or 0.
    pub fn current_material_version(&self) -> u32 {
        self.rotations.last().map_or(0, |rotation| rotation.material_version)
    }

    /// The sealed material of `material_version`, if the key has it.
    pub fn wrapped_material_of(&self, material_version: u32) -> Option<&[u8]> {
        match material_version {
            0 => Some(&self.wrapped_material),
            version => self
                .rotations
                .iter()
                .find(|rotation| rotation.material_version == version)
                .map(|rotation| rotation.wrapped_material.as_slice()),
        }
    }

    /// True for a multi-Region primary whose materials its replicas share: every generated one. Imported material is
    /// never copied ("AWS KMS does not copy or synchronize the key material from a primary key with imported key
    /// material to its replica keys"): each key of the set is given it by its own import.
    pub fn shares_materials_with_replicas(&self) -> bool {
        self.multi_region == Some(MultiRegionKeyType::Primary) && self.origin != Origin::External
    }

    /// Takes the materials of `primary`, its multi-Region primary: every material it has had, the current one last.
    /// They are the set's (a replica never makes its own), so a replica's are always its primary's.
    pub fn share_materials_of(&mut self, primary: &Key) {
        self.wrapped_material.clone_from(&primary.wrapped_material);
        self.rotations.clone_from(&primary.rotations);
    }

    /// Takes what a new multi-Region replica of `primary` starts with: its generated materials, every version; of
    /// imported ones, only which they are (their fingerprints, so that the replica takes back the same material and
    /// no other: "You must import the same key material into related primary and replica keys"), none held, the
    /// replica waiting for them in `PendingImport`.
    pub fn take_replica_materials_of(&mut self, primary: &Key) {
        self.share_materials_of(primary);
        self.import = Import::default();
        if primary.origin == Origin::External {
            self.import.materials.clone_from(&primary.import.materials);
            self.import.highest_version = primary.import.highest_version;
            self.wrapped_material.clear();
            for rotation in &mut self.rotations {
                rotation.wrapped_material.clear();
            }
            self.state = KeyState::PendingImport;
        }
    }

    /// True for the keys whose material can rotate: symmetric encryption keys (AWS rotates no asymmetric or HMAC
    /// key; whether a key of origin `EXTERNAL` may is for each rotation operation to say, as AWS's answers differ).
    pub fn rotates(&self) -> bool {
        self.usage == KeyUsage::EncryptDecrypt && self.spec.secret_len().is_some()
    }

    /// The key's ARN.
    pub fn arn(&self) -> Arn {
        Arn::key(&self.region, &self.account, self.id)
    }

    /// The algorithms the key supports, by its spec and usage.
    pub fn algorithms(&self) -> KeyAlgorithms {
        algorithms(self.spec, self.usage)
    }

    /// The state `action` would lead this key to, or why the key refuses it: first the transition table, then the
    /// key's own guard, that a key with deletion protection cannot be scheduled for deletion by any path (an API
    /// call, a retirement plan, any other caller).
    ///
    /// And a key of origin `EXTERNAL` without material is never `Enabled` or `Disabled`: where the table would lead
    /// it there (cancelling the deletion of a key whose material was deleted meanwhile), it waits in `PendingImport`;
    /// so an import sets the material before it applies [`Action::ImportKeyMaterial`].
    pub fn check(&self, action: Action) -> Result<KeyState, StateError> {
        let next = transition(self.state, action)?;
        if matches!(action, Action::ScheduleKeyDeletion(_)) && self.deletion_protection {
            return Err(StateError::DeletionProtected);
        }
        if self.origin == Origin::External
            && !self.has_material()
            && matches!(next, KeyState::Enabled | KeyState::Disabled)
        {
            return Ok(KeyState::PendingImport);
        }
        Ok(next)
    }

    /// Applies `action` (see [`Key::check`]), updating the state, or says why the key refuses it.
    pub fn apply(&mut self, action: Action) -> Result<(), StateError> {
        self.state = self.check(action)?;
        Ok(())
    }

    /// The proof that this key may be used for cryptography right now. The crypto layer accepts nothing else.
    pub fn require_usable(&self) -> Result<UsableKey<'_>, StateError> {
        transition(self.state, Action::UseForCryptography)?;
        Ok(UsableKey { key: self })
    }

    /// True when the key is pending deletion and its deletion date has passed: it is gone, whether or not the
    /// deletion worker has removed the row yet. Never for a protected key: deletion protection guards the
    /// destruction as well as the schedule, so a key scheduled before it was protected (by a Trent that let a
    /// retirement plan do that) waits, pending, for someone to cancel its deletion.
    pub fn is_due_for_deletion(&self, now: Timestamp) -> bool {
        !self.deletion_protection
            && self.state.scheduled_deletion().is_some_and(|deletion| deletion.deletion_date <= now)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{DeletionSchedule, ScheduledDeletion};

    fn key(state: KeyState) -> Key {
        Key::sample(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, state)
    }

    #[test]
    fn a_protected_key_cannot_be_scheduled_for_deletion() {
        let mut protected = key(KeyState::Disabled);
        protected.deletion_protection = true;
        let schedule = Action::ScheduleKeyDeletion(DeletionSchedule::new(Timestamp(0), 7, 0));
        assert_eq!(protected.apply(schedule), Err(StateError::DeletionProtected));
        assert_eq!(protected.state, KeyState::Disabled, "a refused schedule changes nothing");
        protected.deletion_protection = false;
        assert!(protected.apply(schedule).is_ok());
        assert!(protected.state.is_pending_deletion());
    }

    #[test]
    fn deletion_protection_guards_only_scheduling() {
        let mut protected = key(KeyState::Enabled);
        protected.deletion_protection = true;
        for action in [Action::DisableKey, Action::EnableKey, Action::TagResource, Action::UseForCryptography] {
            assert!(protected.check(action).is_ok(), "{action:?}");
        }
    }

    #[test]
    fn a_key_without_its_imported_material_waits_for_it_whatever_the_table_says() {
        let deletion = ScheduledDeletion::starting(Timestamp(0), 7);
        let mut external = key(KeyState::PendingDeletion(deletion));
        external.origin = Origin::External;
        assert_eq!(external.check(Action::CancelKeyDeletion(crate::Api::Aws)), Ok(KeyState::PendingImport));
        assert_eq!(external.check(Action::ImportKeyMaterial), Err(StateError::PendingDeletion));
        external.state = KeyState::PendingImport;
        assert_eq!(external.check(Action::ImportKeyMaterial), Ok(KeyState::PendingImport), "no material yet");
        external.wrapped_material = vec![1];
        assert_eq!(external.check(Action::ImportKeyMaterial), Ok(KeyState::Enabled));
    }

    #[test]
    fn a_new_replica_shares_generated_material_but_must_be_given_imported_material() {
        let mut primary = key(KeyState::Enabled);
        primary.multi_region = Some(MultiRegionKeyType::Primary);
        primary.wrapped_material = vec![7];
        let mut replica = key(KeyState::Enabled);
        replica.take_replica_materials_of(&primary);
        assert_eq!((replica.wrapped_material.as_slice(), replica.state), (&[7][..], KeyState::Enabled));
        assert!(primary.shares_materials_with_replicas());

        primary.origin = Origin::External;
        primary.import.materials.push(crate::material::ImportedMaterial {
            material_version: 0,
            fingerprint: "ab".repeat(32),
            imported_at: Timestamp(0),
            valid_to: None,
            description: String::new(),
        });
        let mut replica = key(KeyState::Enabled);
        replica.origin = Origin::External;
        replica.take_replica_materials_of(&primary);
        assert!(!replica.has_material(), "imported material is never copied");
        assert_eq!(replica.state, KeyState::PendingImport);
        assert_eq!(replica.import.materials, primary.import.materials, "the replica knows which material to take");
        assert!(!primary.shares_materials_with_replicas());
    }

    #[test]
    fn a_pending_key_is_due_once_its_date_passes() {
        let pending = key(KeyState::PendingDeletion(ScheduledDeletion::starting(Timestamp(0), 7)));
        assert!(!pending.is_due_for_deletion(Timestamp(7 * Timestamp::DAY_MILLIS - 1)));
        assert!(pending.is_due_for_deletion(Timestamp(7 * Timestamp::DAY_MILLIS)));
        assert!(!key(KeyState::Disabled).is_due_for_deletion(Timestamp(i64::MAX)));
        let mut protected = pending;
        protected.deletion_protection = true;
        assert!(!protected.is_due_for_deletion(Timestamp(i64::MAX)), "a protected key is never destroyed");
    }
}
