//! A key's materials: the one it was created with (version 0) and one more per rotation (1, 2, …). The version is
//! written into every ciphertext's header, so a ciphertext made under any earlier material still names the material
//! that opens it; new ciphertexts use the newest. Each material has AWS's `KeyMaterialId`.

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

/// AWS's `KeyMaterialId` of a key's material: 64 lower-case hexadecimal digits, here the key ID's 32 followed by the
/// material version's, zero-padded (unique per key and material, and stable, with nothing more stored).
pub fn key_material_id(key_id: KeyId, material_version: u32) -> String {
    format!("{}{material_version:032x}", crate::hex::lower_hex(key_id.as_bytes()))
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
