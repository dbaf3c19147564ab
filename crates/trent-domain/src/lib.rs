//! Trent's domain model: what a key is, how it is named, which state it is in and what each state allows.
//!
//! Nothing here performs I/O; the store, the crypto and the wire protocols depend on this crate, never the reverse.
#![warn(missing_docs)]

pub mod algorithms;
pub mod arn;
pub mod clock;
pub mod hex;
pub mod ids;
pub mod key;
pub mod key_specs;
pub mod material;
pub mod retirement;
pub mod state;

pub use algorithms::{EncryptionAlgorithm, Hash, KeyAlgorithms, SigningAlgorithm};
pub use arn::{Arn, ArnResource};
pub use clock::{Clock, SystemClock, Timestamp, UtcTime};
pub use ids::{is_multi_region_key_id, AccountId, AliasName, KeyId, Region};
pub use key::{Key, KeyManager, KeySpec, KeyUsage, MultiRegionKeyType, Origin, Tag, UsableKey};
pub use material::{
    key_material_id, Import, ImportTokenError, ImportedMaterial, IssuedImportToken, MaterialState, MaterialSummary,
    PendingRotation, Rotation, RotationSchedule, RotationType, DEFAULT_ROTATION_PERIOD_DAYS,
    IMPORT_PARAMETERS_VALID_MILLIS, MAX_ON_DEMAND_ROTATIONS, ROTATION_PERIOD_DAYS,
};
pub use retirement::{RetirementEvent, RetirementPlan, RetirementStep, RetirementStepError};
pub use state::{
    alibaba_refusal, transition, Action, AlibabaRefusal, Api, DeletionSchedule, KeyState, ScheduledDeletion, StateError,
};
