//! A key's materials: the one it was created with (version 0) and one more per rotation (1, 2, …). The version is
//! written into every ciphertext's header, so a ciphertext made under any earlier material still names the material
//! that opens it; new ciphertexts use the newest. Each material has AWS's `KeyMaterialId`.
//!
//! A key of origin `EXTERNAL` gets its materials from its owner instead ([`Import`]): the first by its first import,
//! each later one imported as new material that waits, pending rotation, until RotateKeyOnDemand makes it current.
//! The key keeps the import parameters it issued, and what it knows of each material after the material itself is
//! deleted or expires (its fingerprint, so only the same material can be imported again).

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::KeyId;

/// AWS's lifetime quota of on-demand rotations per key (the developer guide's "on-demand rotation resource quota",
/// which cannot be raised: 25; the API reference still says 10).
pub const MAX_ON_DEMAND_ROTATIONS: usize = 25;

/// AWS's bounds on an automatic rotation period, in days (`RotationPeriodInDaysType`), and its default.
pub const ROTATION_PERIOD_DAYS: std::ops::RangeInclusive<i64> = 90..=2560;
/// The rotation period `EnableKeyRotation` sets when the caller names none.
pub const DEFAULT_ROTATION_PERIOD_DAYS: i64 = 365;

/// Automatic rotation, while it is on: every `period_days`, next at `next_rotation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSchedule {
    /// The period, 90 to 2560 days.
    pub period_days: i64,
    /// When the material next rotates (lifecycle clock). A key that is not `Enabled` then rotates as soon as it is
    /// enabled again, as AWS does.
    pub next_rotation: Timestamp,
}

/// How a rotation came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationType {
    /// By the rotation schedule (`EnableKeyRotation`).
    #[serde(rename = "AUTOMATIC")]
    Automatic,
    /// By `RotateKeyOnDemand`.
    #[serde(rename = "ON_DEMAND")]
    OnDemand,
}

impl RotationType {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RotationType::Automatic => "AUTOMATIC",
            RotationType::OnDemand => "ON_DEMAND",
        }
    }
}

/// A material a rotation made, sealed under the root key like the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The material's version: 1 for the first rotation, then one more each time.
    pub material_version: u32,
    /// When the rotation happened (lifecycle clock).
    pub rotated_at: Timestamp,
    /// How it came about.
    pub rotation_type: RotationType,
    /// The new material, sealed under the root key; never plaintext.
    #[serde(with = "sealed_bytes")]
    pub wrapped_material: Vec<u8>,
}

/// How long a wrapping public key and its import token stay valid (GetParametersForImport's API reference: 24 hours).
pub const IMPORT_PARAMETERS_VALID_MILLIS: i64 = Timestamp::DAY_MILLIS;
/// The import tokens a key remembers at once; issuing one more forgets the oldest.
pub const MAX_OUTSTANDING_IMPORT_TOKENS: usize = 16;

/// A material a key of origin `EXTERNAL` was given, as the key remembers it; it outlives the material itself
/// (deleted by DeleteImportedKeyMaterial or at `valid_to`), so a re-import can be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedMaterial {
    /// Which of the key's materials it is (0 for the first; a rotation's version for each later one).
    pub material_version: u32,
    /// The root key's fingerprint of the material (a secret key's bytes or, for a key pair, its public key),
    /// lower-case hexadecimal: only material with the same fingerprint may be imported again.
    pub fingerprint: String,
    /// When it was last imported (lifecycle clock).
    pub imported_at: Timestamp,
    /// When it expires (`KEY_MATERIAL_EXPIRES` with `ValidTo`), or never (`KEY_MATERIAL_DOES_NOT_EXPIRE`).
    pub valid_to: Option<Timestamp>,
    /// The owner's `KeyMaterialDescription`.
    pub description: String,
}

/// New material imported into a symmetric key that has material already (`ImportType: NEW_KEY_MATERIAL`): it waits
/// for RotateKeyOnDemand to make it current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRotation {
    /// What the key knows of it; its version is the one the rotation will give it.
    pub material: ImportedMaterial,
    /// The material, sealed under the root key; never plaintext.
    #[serde(with = "sealed_bytes")]
    pub wrapped_material: Vec<u8>,
}

/// An import token the key issued and has not seen used: single use, until `valid_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedImportToken {
    /// The token's ID (32 lower-case hexadecimal digits), also sealed inside the token.
    pub token_id: String,
    /// When it stops being accepted.
    pub valid_to: Timestamp,
}

/// Everything about imported material a key of origin `EXTERNAL` holds besides the sealed materials themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Import {
    /// Each material the key has had imported, by version: the first, then one per rotation.
    pub materials: Vec<ImportedMaterial>,
    /// New material waiting for an on-demand rotation.
    pub pending: Option<PendingRotation>,
    /// The highest version any imported material of the key has had (see [`Import::next_version`]).
    pub highest_version: u32,
    /// The import tokens issued and not yet used, oldest first.
    pub tokens: Vec<IssuedImportToken>,
}

impl Import {
    /// What the key knows of its material of `material_version`.
    pub fn material(&self, material_version: u32) -> Option<&ImportedMaterial> {
        self.materials.iter().find(|material| material.material_version == material_version)
    }

    /// Remembers a newly issued token, forgetting tokens expired at `now` and, past the limit, the oldest.
    pub fn issue(&mut self, token: IssuedImportToken, now: Timestamp) {
        self.tokens.retain(|issued| issued.valid_to > now);
        self.tokens.push(token);
        let excess = self.tokens.len().saturating_sub(MAX_OUTSTANDING_IMPORT_TOKENS);
        self.tokens.drain(..excess);
    }

    /// Whether the token `token_id` may be used at `now`: issued for this key, not used yet, not expired.
    pub fn check_token(&self, token_id: &str, now: Timestamp) -> Result<(), ImportTokenError> {
        match self.tokens.iter().find(|issued| issued.token_id == token_id) {
            None => Err(ImportTokenError::Unknown),
            Some(token) if token.valid_to <= now => Err(ImportTokenError::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Uses the token `token_id` at `now` (see [`Import::check_token`]): it is forgotten whatever the outcome, so it
    /// is never accepted twice.
    pub fn redeem(&mut self, token_id: &str, now: Timestamp) -> Result<(), ImportTokenError> {
        let checked = self.check_token(token_id, now);
        self.tokens.retain(|issued| issued.token_id != token_id);
        checked
    }

    /// The version new imported material gets: one past every version the key has used, pending material that was
    /// deleted included, so a `KeyMaterialId` never names two materials.
    pub fn next_version(&self, current: u32) -> u32 {
        current.max(self.highest_version).saturating_add(1)
    }
}

/// Why an import token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportTokenError {
    /// Never issued for this key, or already used (`InvalidImportTokenException`).
    Unknown,
    /// Issued, but its 24 hours are over (`ExpiredImportTokenException`).
    Expired,
}

/// Where a material stands (AWS's `KeyMaterialState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaterialState {
    /// New ciphertexts are made with it.
    Current,
    /// It only decrypts what it made.
    NonCurrent,
    /// Imported, waiting for an on-demand rotation to make it current.
    PendingRotation,
}

impl MaterialState {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialState::Current => "CURRENT",
            MaterialState::NonCurrent => "NON_CURRENT",
            MaterialState::PendingRotation => "PENDING_ROTATION",
        }
    }
}

/// One material of a key as a person deciding its fate sees it (the usage evidence, `trent key describe`,
/// ListKeyRotations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialSummary {
    /// AWS's `KeyMaterialId`.
    pub key_material_id: String,
    /// Where it came from.
    pub origin: crate::Origin,
    /// When the key got it: made with the key, by a rotation, or (imported, not rotated in) last imported.
    pub created_at: Timestamp,
    /// How a rotation made it current; `None` for the key's first material and one pending rotation.
    pub rotation_type: Option<RotationType>,
    /// What the key knows of imported material: its expiry and description.
    pub imported: Option<ImportedMaterial>,
    /// False when imported material was deleted or expired (the key keeps only its fingerprint).
    pub held: bool,
    /// Current, earlier, or waiting to be rotated in.
    pub state: MaterialState,
}

impl MaterialSummary {
    /// AWS's `ImportState` of imported material (`IMPORTED`, or `PENDING_IMPORT` once deleted); `None` for material
    /// Trent made.
    pub fn import_state(&self) -> Option<&'static str> {
        self.imported.as_ref().map(|_| if self.held { "IMPORTED" } else { "PENDING_IMPORT" })
    }
}

/// AWS's `KeyMaterialId` of a key's material: 64 lower-case hexadecimal digits, here the key ID's 32 followed by the
/// material version's, zero-padded (unique per key and material, and stable, with nothing more stored).
pub fn key_material_id(key_id: KeyId, material_version: u32) -> String {
    // The version's 32 digits are the hex of its 16 big-endian bytes: one encoding, no padded formatting per call.
    crate::hex::lower_hex(&[*key_id.as_bytes(), u128::from(material_version).to_be_bytes()].concat())
}

/// Sealed bytes in JSON as lower-case hexadecimal.
mod sealed_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::hex::lower_hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(|_| serde::de::Error::custom("sealed material is not hexadecimal"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_material_ids_are_64_hex_digits_unique_per_key_and_version() {
        let id = KeyId::generate();
        let first = key_material_id(id, 0);
        assert_eq!(first.len(), 64);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(first.starts_with(&id.to_string().replace('-', "")));
        assert_ne!(first, key_material_id(id, 1));
        assert_ne!(first, key_material_id(KeyId::generate(), 0));
        let simple = id.to_string().replace('-', "");
        assert_eq!(
            key_material_id(id, 0x1234_abcd),
            format!("{simple}{:032x}", 0x1234_abcd),
            "the version, zero-padded"
        );
    }

    #[test]
    fn an_import_token_is_accepted_once_and_only_before_it_expires() {
        let mut import = Import::default();
        let token = |id: &str, valid_to| IssuedImportToken { token_id: id.to_owned(), valid_to: Timestamp(valid_to) };
        import.issue(token("a", 100), Timestamp(0));
        import.issue(token("b", 100), Timestamp(0));
        assert_eq!(import.redeem("a", Timestamp(50)), Ok(()));
        assert_eq!(import.redeem("a", Timestamp(50)), Err(ImportTokenError::Unknown), "single use");
        assert_eq!(import.redeem("b", Timestamp(100)), Err(ImportTokenError::Expired));
        assert_eq!(import.redeem("never", Timestamp(0)), Err(ImportTokenError::Unknown));
    }

    #[test]
    fn issuing_forgets_expired_tokens_and_keeps_at_most_the_newest() {
        let mut import = Import::default();
        for n in 0..MAX_OUTSTANDING_IMPORT_TOKENS + 3 {
            import.issue(IssuedImportToken { token_id: n.to_string(), valid_to: Timestamp(1_000) }, Timestamp(0));
        }
        assert_eq!(import.tokens.len(), MAX_OUTSTANDING_IMPORT_TOKENS);
        assert_eq!(import.tokens[0].token_id, "3");
        import.issue(IssuedImportToken { token_id: "late".to_owned(), valid_to: Timestamp(5_000) }, Timestamp(1_000));
        assert_eq!(import.tokens.len(), 1, "the expired ones are gone");
    }

    #[test]
    fn rotations_round_trip_through_json() {
        let rotation = Rotation {
            material_version: 3,
            rotated_at: Timestamp(1_700_000_000_000),
            rotation_type: RotationType::OnDemand,
            wrapped_material: vec![0, 1, 254, 255],
        };
        let text = serde_json::to_string(std::slice::from_ref(&rotation)).unwrap();
        assert!(text.contains("\"ON_DEMAND\"") && text.contains("\"0001feff\""), "{text}");
        assert_eq!(serde_json::from_str::<Vec<Rotation>>(&text).unwrap(), [rotation]);
    }
}
