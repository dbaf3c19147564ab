//! Key states and the one transition table that decides, for every operation in every state, what happens.
//!
//! The table follows AWS's "Key states of AWS KMS keys" page (see `../shared/reference/aws-kms-key-states.md`).
//! Where AWS allows either `DisabledException` or `KMSInvalidStateException` for a key pending deletion,
//! Trent answers `KMSInvalidStateException`, as every observed AWS response does.

use crate::clock::Timestamp;

/// A scheduled deletion, the data of the `PendingDeletion` state: when the key is destroyed and the waiting period it
/// was scheduled with. It exists only inside [`KeyState::PendingDeletion`], so a key has a deletion date exactly
/// while it is pending deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScheduledDeletion {
    /// When the waiting period ends and the key is destroyed (lifecycle clock).
    pub deletion_date: Timestamp,
    /// The waiting period, in days, the deletion was scheduled with.
    pub pending_window_days: i64,
}

impl ScheduledDeletion {
    /// A deletion scheduled at `now` with a waiting period of `pending_window_days`.
    pub fn starting(now: Timestamp, pending_window_days: i64) -> Self {
        Self { deletion_date: now.plus_days(pending_window_days), pending_window_days }
    }
}

/// What `ScheduleKeyDeletion` asks for. A multi-Region primary key that still has replicas cannot start its waiting
/// period: it waits in `PendingReplicaDeletion` until the last replica is deleted (not merely scheduled), and only
/// then becomes `PendingDeletion` with a date (AWS's "Deleting multi-Region keys"). Paths that schedule a deletion
/// make one with [`DeletionSchedule::new`], which asks how many replicas remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeletionSchedule {
    /// The waiting period starts now.
    Starting(ScheduledDeletion),
    /// The waiting period of this many days starts when the last replica is deleted.
    AfterReplicas {
        /// The waiting period, in days.
        pending_window_days: i64,
    },
}

impl DeletionSchedule {
    /// The schedule of a deletion asked for at `now` with a waiting period of `pending_window_days`, for a key with
    /// `replicas_remaining` replicas (0 for every key but a multi-Region primary).
    pub fn new(now: Timestamp, pending_window_days: i64, replicas_remaining: usize) -> Self {
        if replicas_remaining == 0 {
            DeletionSchedule::Starting(ScheduledDeletion::starting(now, pending_window_days))
        } else {
            DeletionSchedule::AfterReplicas { pending_window_days }
        }
    }

    /// The state a key scheduled this way is in.
    fn pending_state(self) -> KeyState {
        match self {
            DeletionSchedule::Starting(deletion) => KeyState::PendingDeletion(deletion),
            DeletionSchedule::AfterReplicas { pending_window_days } => {
                KeyState::PendingReplicaDeletion { pending_window_days }
            }
        }
    }
}

/// The state of a key, with AWS's names and in AWS's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// A multi-Region replica being built.
    Creating,
    /// Usable for cryptography.
    Enabled,
    /// Exists and can be managed, but refuses cryptography.
    Disabled,
    /// Scheduled for deletion; destroyed when the waiting period ends.
    PendingDeletion(ScheduledDeletion),
    /// An `EXTERNAL` key waiting for its key material.
    PendingImport,
    /// A multi-Region primary scheduled for deletion while replicas remain: its waiting period (in days) starts when
    /// the last replica is deleted.
    PendingReplicaDeletion {
        /// The waiting period the deletion was scheduled with.
        pending_window_days: i64,
    },
    /// A key whose custom key store is disconnected.
    Unavailable,
    /// A key whose primary Region is changing.
    Updating,
}

impl KeyState {
    /// Every state without data of its own, in AWS's order (all but the two pending deletion).
    const UNSCHEDULED: [KeyState; 6] = [
        KeyState::Creating,
        KeyState::Enabled,
        KeyState::Disabled,
        KeyState::PendingImport,
        KeyState::Unavailable,
        KeyState::Updating,
    ];

    /// The wire name (`"PendingDeletion"`), also the value stored in the database's one state column.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Creating => "Creating",
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion(_) => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
            KeyState::PendingReplicaDeletion { .. } => "PendingReplicaDeletion",
            KeyState::Unavailable => "Unavailable",
            KeyState::Updating => "Updating",
        }
    }

    /// The state stored as `name` with its scheduled deletion's columns beside it: `PendingDeletion` needs both the
    /// date and the window, `PendingReplicaDeletion` the window; every other state ignores them. `None` for an unknown
    /// name or an incomplete schedule.
    pub fn from_columns(
        name: &str,
        deletion_date: Option<Timestamp>,
        pending_window_days: Option<i64>,
    ) -> Option<Self> {
        match name {
            "PendingDeletion" => Some(KeyState::PendingDeletion(ScheduledDeletion {
                deletion_date: deletion_date?,
                pending_window_days: pending_window_days?,
            })),
            "PendingReplicaDeletion" => {
                Some(KeyState::PendingReplicaDeletion { pending_window_days: pending_window_days? })
            }
            _ => Self::UNSCHEDULED.into_iter().find(|s| s.as_str() == name),
        }
    }

    /// The waiting period, in days, of a key pending deletion or pending replica deletion.
    pub fn pending_window_days(self) -> Option<i64> {
        match self {
            KeyState::PendingDeletion(deletion) => Some(deletion.pending_window_days),
            KeyState::PendingReplicaDeletion { pending_window_days } => Some(pending_window_days),
            _ => None,
        }
    }

    /// The scheduled deletion (its date and window), while the key is `PendingDeletion`; `None` in every other state,
    /// `PendingReplicaDeletion` included (its date is not known yet).
    pub fn scheduled_deletion(self) -> Option<ScheduledDeletion> {
        match self {
            KeyState::PendingDeletion(deletion) => Some(deletion),
            _ => None,
        }
    }

    /// True while the key's deletion is scheduled: `PendingDeletion`, or `PendingReplicaDeletion` (waiting for its
    /// replicas). Cancel-on-use and `CancelKeyDeletion` apply to both.
    pub fn is_pending_deletion(self) -> bool {
        matches!(self, KeyState::PendingDeletion(_) | KeyState::PendingReplicaDeletion { .. })
    }
}

/// Whose rules a change follows where the two clouds' APIs differ. Only cancelling a deletion differs in the state it
/// leaves: AWS's `CancelKeyDeletion` returns the key `Disabled`, Alibaba's returns it `Enabled` (`alibaba-kms-api.md`
/// §6: "When this operation is successful, the CMK is set to Enabled state").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// The AWS KMS API (and Trent's own workers: cancel-on-use and retirement plans follow AWS's rule).
    Aws,
    /// The Alibaba Cloud KMS API.
    Alibaba,
}

impl Api {
    /// The waiting periods, in days, a deletion may be scheduled with: AWS's 7 to 30 (its model allows 1 to 365; the
    /// service refuses the rest), Alibaba's 7 to 366 (`alibaba-kms-api.md` §6).
    pub fn pending_window_days(self) -> std::ops::RangeInclusive<i64> {
        match self {
            Api::Aws => 7..=30,
            Api::Alibaba => 7..=366,
        }
    }

    /// The longest imported material may live, in days from its import: AWS's 365 (ImportKeyMaterial's `ValidTo`);
    /// Alibaba's `KeyMaterialExpireUnix` has no bound.
    pub fn max_imported_material_days(self) -> Option<i64> {
        match self {
            Api::Aws => Some(365),
            Api::Alibaba => None,
        }
    }
}

/// What a caller wants to do with a key. Internal, so alphabetical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `CancelKeyDeletion`, by the rules of the API that was called.
    CancelKeyDeletion(Api),
    /// `CreateAlias` pointing at this key.
    CreateAlias,
    /// `DeleteAlias` of an alias pointing at this key.
    DeleteAlias,
    /// `DescribeKey`.
    DescribeKey,
    /// `CreateGrant` on this key.
    CreateGrant,
    /// `ListGrants`, `RetireGrant`, `RevokeGrant`: every state allows them.
    ManageGrants,
    /// `DisableKey`.
    DisableKey,
    /// `EnableKey`.
    EnableKey,
    /// `DeleteImportedKeyMaterial`, and the expiry of imported material: the key waits for its material again.
    DeleteKeyMaterial,
    /// `GetParametersForImport`.
    GetParametersForImport,
    /// `ImportKeyMaterial`, once the material is in place (see [`crate::Key::check`]).
    ImportKeyMaterial,
    /// `ListResourceTags`.
    ListResourceTags,
    /// `GetKeyPolicy`, `PutKeyPolicy`, `ListKeyPolicies`.
    ManageKeyPolicy,
    /// The deletion of the last replica of this multi-Region primary key, at the given time: a primary pending
    /// replica deletion starts its waiting period then.
    LastReplicaDeleted(Timestamp),
    /// `ScheduleKeyDeletion` (or a retirement plan scheduling one), with the deletion it schedules.
    ScheduleKeyDeletion(DeletionSchedule),
    /// `Trent.SetCancelOnUse` (Trent's extension): arming the safety net is allowed in every state.
    SetCancelOnUse,
    /// `Trent.SetDeletionProtection` (Trent's extension).
    SetDeletionProtection,
    /// `TagResource`, `UntagResource`.
    TagResource,
    /// `UpdateAlias` moving an alias onto this key.
    UpdateAliasTarget,
    /// `UpdateKeyDescription`.
    UpdateKeyDescription,
    /// `ReplicateKey`, on the primary key.
    ReplicateKey,
    /// `UpdatePrimaryRegion`, on the primary key and on the replica that becomes primary: both must be Enabled.
    UpdatePrimaryRegion,
    /// `RotateKeyOnDemand`, `EnableKeyRotation`, `DisableKeyRotation`, and a due automatic rotation.
    RotateKeyMaterial,
    /// `Encrypt`, `Decrypt`, `ReEncrypt` (both keys), `GenerateDataKey`, `GenerateDataKeyWithoutPlaintext`.
    UseForCryptography,
}

/// Why the key's state refuses the action. Each variant carries AWS's message pattern; see [`StateError::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// `DisabledException`: the key is disabled.
    #[error("is disabled")]
    Disabled,
    /// `KMSInvalidStateException`: the key is pending deletion.
    #[error("is pending deletion")]
    PendingDeletion,
    /// `KMSInvalidStateException`: the key is pending replica deletion.
    #[error("is pending replica deletion")]
    PendingReplicaDeletion,
    /// `KMSInvalidStateException`: `CancelKeyDeletion` on a key that is not pending deletion.
    #[error("is not pending deletion")]
    NotPendingDeletion,
    /// `KMSInvalidStateException`: scheduling the deletion of a key with deletion protection (a guard of the key,
    /// [`crate::Key::check`], not of its state).
    #[error(
        "has deletion protection enabled. Turn it off with Trent.SetDeletionProtection before scheduling deletion"
    )]
    DeletionProtected,
    /// `KMSInvalidStateException`: the key waits for imported material.
    #[error("is pending import")]
    PendingImport,
    /// `KMSInvalidStateException`: the key's custom key store is disconnected.
    #[error("is unavailable")]
    Unavailable,
    /// `KMSInvalidStateException`: the replica is being created.
    #[error("is creating")]
    Creating,
    /// `KMSInvalidStateException`: the primary Region is changing.
    #[error("is updating")]
    Updating,
}

impl StateError {
    /// AWS's message: the key ARN followed by the reason, e.g. `arn:aws:kms:…:key/… is pending deletion.`
    pub fn message(self, key_arn: &str) -> String {
        format!("{key_arn} {self}.")
    }

    /// True when AWS answers `DisabledException`; every other refusal is `KMSInvalidStateException`.
    pub fn is_disabled(self) -> bool {
        self == StateError::Disabled
    }
}

/// The transition table: the state a key is in after `action`, or why the state refuses it.
/// Exhaustive over every state and action; no wildcard, so a new state or action must be decided here.
pub fn transition(state: KeyState, action: Action) -> Result<KeyState, StateError> {
    use Action as A;
    use KeyState as K;
    use StateError as E;
    match (state, action) {
        // Actions every state allows, leaving the state as it is.
        (
            K::Creating
            | K::Enabled
            | K::Disabled
            | K::PendingDeletion(_)
            | K::PendingImport
            | K::PendingReplicaDeletion { .. }
            | K::Unavailable
            | K::Updating,
            A::DescribeKey
            | A::DeleteAlias
            | A::ListResourceTags
            | A::ManageKeyPolicy
            | A::ManageGrants
            | A::SetCancelOnUse,
        ) => Ok(state),

        // CreateGrant (its row: D[1], S[3], S[5], S[14]; allowed while Unavailable or Updating).
        (K::Enabled | K::Unavailable | K::Updating, A::CreateGrant) => Ok(state),
        (K::Disabled, A::CreateGrant) => Err(E::Disabled),
        (K::PendingDeletion(_), A::CreateGrant) => Err(E::PendingDeletion),
        (K::PendingReplicaDeletion { .. }, A::CreateGrant) => Err(E::PendingReplicaDeletion),
        (K::PendingImport, A::CreateGrant) => Err(E::PendingImport),
        (K::Creating, A::CreateGrant) => Err(E::Creating),

        // Cryptography, and rotating the material (AWS's RotateKeyOnDemand row refuses as the cryptography rows do:
        // DisabledException observed, the rest as [3], [5], [14]).
        (K::Enabled | K::Updating, A::UseForCryptography | A::RotateKeyMaterial) => Ok(state),
        (K::Disabled, A::UseForCryptography | A::RotateKeyMaterial) => Err(E::Disabled),
        (K::PendingDeletion(_), A::UseForCryptography | A::RotateKeyMaterial) => Err(E::PendingDeletion),
        (K::PendingReplicaDeletion { .. }, A::UseForCryptography | A::RotateKeyMaterial) => {
            Err(E::PendingReplicaDeletion)
        }
        (K::PendingImport, A::UseForCryptography | A::RotateKeyMaterial) => Err(E::PendingImport),
        (K::Unavailable, A::UseForCryptography | A::RotateKeyMaterial) => Err(E::Unavailable),
        (K::Creating, A::UseForCryptography | A::RotateKeyMaterial) => Err(E::Creating),

        // EnableKey and DisableKey. On an unavailable key they succeed and take effect when it reconnects [12].
        (K::Enabled | K::Disabled, A::EnableKey) => Ok(K::Enabled),
        (K::Enabled | K::Disabled, A::DisableKey) => Ok(K::Disabled),
        (K::Unavailable, A::EnableKey | A::DisableKey) => Ok(K::Unavailable),
        (K::PendingDeletion(_), A::EnableKey | A::DisableKey) => Err(E::PendingDeletion),
        (K::PendingReplicaDeletion { .. }, A::EnableKey | A::DisableKey) => Err(E::PendingReplicaDeletion),
        (K::PendingImport, A::EnableKey | A::DisableKey) => Err(E::PendingImport),
        (K::Creating, A::EnableKey | A::DisableKey) => Err(E::Creating),
        (K::Updating, A::EnableKey | A::DisableKey) => Err(E::Updating),

        // ScheduleKeyDeletion. Repeating it on a pending key is refused and does not reset the window. A primary with
        // replicas waits for them in PendingReplicaDeletion (see DeletionSchedule).
        (
            K::Enabled | K::Disabled | K::PendingImport | K::Unavailable | K::Creating,
            A::ScheduleKeyDeletion(schedule),
        ) => Ok(schedule.pending_state()),
        (K::PendingDeletion(_), A::ScheduleKeyDeletion(_)) => Err(E::PendingDeletion),
        (K::PendingReplicaDeletion { .. }, A::ScheduleKeyDeletion(_)) => Err(E::PendingReplicaDeletion),
        (K::Updating, A::ScheduleKeyDeletion(_)) => Err(E::Updating),

        // The last replica of a primary pending replica deletion is gone: the primary's own waiting period starts.
        // Nothing else waits for replicas.
        (K::PendingReplicaDeletion { pending_window_days }, A::LastReplicaDeleted(now)) => {
            Ok(K::PendingDeletion(ScheduledDeletion::starting(now, pending_window_days)))
        }
        (
            K::Creating
            | K::Enabled
            | K::Disabled
            | K::PendingDeletion(_)
            | K::PendingImport
            | K::Unavailable
            | K::Updating,
            A::LastReplicaDeleted(_),
        ) => Ok(state),

        // CancelKeyDeletion lands in Disabled on AWS's API, never Enabled; Alibaba's lands in Enabled. The scheduled
        // deletion goes with the state.
        (K::PendingDeletion(_) | K::PendingReplicaDeletion { .. }, A::CancelKeyDeletion(Api::Aws)) => Ok(K::Disabled),
        (K::PendingDeletion(_) | K::PendingReplicaDeletion { .. }, A::CancelKeyDeletion(Api::Alibaba)) => {
            Ok(K::Enabled)
        }
        (
            K::Enabled | K::Disabled | K::PendingImport | K::Unavailable | K::Creating | K::Updating,
            A::CancelKeyDeletion(_),
        ) => Err(E::NotPendingDeletion),

        // ReplicateKey: only an Enabled primary is copied (the table's ReplicateKey row). UpdatePrimaryRegion follows
        // its own row, which allows a key that is Updating; the developer guide adds that "both the primary key and
        // the replica key must be in the Enabled key state when the operation starts" (the service checks the
        // replica with this row too).
        (K::Enabled, A::ReplicateKey | A::UpdatePrimaryRegion) => Ok(state),
        (K::Updating, A::UpdatePrimaryRegion) => Ok(state),
        (K::Disabled, A::ReplicateKey | A::UpdatePrimaryRegion) => Err(E::Disabled),
        (K::PendingDeletion(_), A::ReplicateKey | A::UpdatePrimaryRegion) => Err(E::PendingDeletion),
        (K::PendingReplicaDeletion { .. }, A::ReplicateKey | A::UpdatePrimaryRegion) => Err(E::PendingReplicaDeletion),
        (K::PendingImport, A::ReplicateKey | A::UpdatePrimaryRegion) => Err(E::PendingImport),
        (K::Unavailable, A::ReplicateKey | A::UpdatePrimaryRegion) => Err(E::Unavailable),
        (K::Creating, A::ReplicateKey | A::UpdatePrimaryRegion) => Err(E::Creating),
        (K::Updating, A::ReplicateKey) => Err(E::Updating),

        // Imported material ([8], [9], [14], [15]; whether the key's origin allows it is the key's guard, not its
        // state's). Importing makes a waiting key Enabled and leaves a disabled one Disabled (AWS's table allows the
        // import there, its API page says nothing of enabling); deleting the material makes the key wait for it again,
        // except a key pending deletion, which stays pending.
        (K::Enabled | K::Disabled | K::PendingImport, A::GetParametersForImport) => Ok(state),
        (K::PendingImport, A::ImportKeyMaterial) => Ok(K::Enabled),
        (K::Enabled | K::Disabled | K::Updating, A::ImportKeyMaterial) => Ok(state),
        (K::Enabled | K::Disabled | K::PendingImport, A::DeleteKeyMaterial) => Ok(K::PendingImport),
        (K::PendingDeletion(_) | K::PendingReplicaDeletion { .. }, A::DeleteKeyMaterial) => Ok(state),
        (K::Updating, A::GetParametersForImport | A::DeleteKeyMaterial) => Err(E::Updating),
        (K::PendingDeletion(_), A::GetParametersForImport | A::ImportKeyMaterial) => Err(E::PendingDeletion),
        (K::PendingReplicaDeletion { .. }, A::GetParametersForImport | A::ImportKeyMaterial) => {
            Err(E::PendingReplicaDeletion)
        }
        (K::Unavailable, A::GetParametersForImport | A::ImportKeyMaterial | A::DeleteKeyMaterial) => {
            Err(E::Unavailable)
        }
        (K::Creating, A::GetParametersForImport | A::ImportKeyMaterial | A::DeleteKeyMaterial) => Err(E::Creating),

        // Management that a key pending deletion refuses: new aliases onto it, tags, description, and (Trent's
        // extension) deletion protection, which must be settled before a deletion is scheduled, not during it.
        (
            K::Enabled | K::Disabled | K::PendingImport | K::Unavailable | K::Creating | K::Updating,
            A::CreateAlias | A::UpdateAliasTarget | A::TagResource | A::UpdateKeyDescription | A::SetDeletionProtection,
        ) => Ok(state),
        (
            K::PendingDeletion(_),
            A::CreateAlias | A::UpdateAliasTarget | A::TagResource | A::UpdateKeyDescription | A::SetDeletionProtection,
        ) => Err(E::PendingDeletion),
        (
            K::PendingReplicaDeletion { .. },
            A::CreateAlias | A::UpdateAliasTarget | A::TagResource | A::UpdateKeyDescription | A::SetDeletionProtection,
        ) => Err(E::PendingReplicaDeletion),
    }
}

/// How Alibaba's API names a refusal of the state table: its table (`alibaba-kms-api.md` §5.2, from Alibaba's "impact
/// of key states on API calls" page) allows and refuses the same cells as AWS's, but names the refusal by the kind of
/// call. Calls that change the state itself, and CreateAlias, answer `Rejected.StateModifiedFailed` whatever the state;
/// every other call names the state that refused it (`Rejected.Disabled`, `Rejected.PendingDeletion`,
/// `Rejected.PendingImport`). All are HTTP 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlibabaRefusal {
    /// `Rejected.Disabled`.
    Disabled,
    /// `Rejected.PendingDeletion`.
    PendingDeletion,
    /// `Rejected.PendingImport`.
    PendingImport,
    /// `Rejected.StateModifiedFailed`.
    StateModifiedFailed,
}

/// Alibaba's name for `error`, refusing `action`. Deletion protection refusing a schedule is `StateModifiedFailed`
/// too: Alibaba documents no code for it (our choice, `docs/alibaba.md`).
pub fn alibaba_refusal(action: Action, error: StateError) -> AlibabaRefusal {
    use AlibabaRefusal as R;
    let changes_state = matches!(
        action,
        Action::EnableKey
            | Action::DisableKey
            | Action::ScheduleKeyDeletion(_)
            | Action::CancelKeyDeletion(_)
            | Action::CreateAlias
            | Action::ImportKeyMaterial
    );
    match error {
        _ if changes_state => R::StateModifiedFailed,
        StateError::Disabled => R::Disabled,
        StateError::PendingDeletion | StateError::PendingReplicaDeletion => R::PendingDeletion,
        StateError::PendingImport => R::PendingImport,
        StateError::NotPendingDeletion
        | StateError::DeletionProtected
        | StateError::Unavailable
        | StateError::Creating
        | StateError::Updating => R::StateModifiedFailed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use KeyState as K;
    use StateError as E;

    /// A deletion as scheduled by the tests.
    const SCHEDULED: ScheduledDeletion =
        ScheduledDeletion { deletion_date: Timestamp(604_800_000), pending_window_days: 7 };
    const PENDING: KeyState = K::PendingDeletion(SCHEDULED);
    const REPLICAS_PENDING: KeyState = K::PendingReplicaDeletion { pending_window_days: 7 };
    const SCHEDULE: Action = A::ScheduleKeyDeletion(DeletionSchedule::Starting(SCHEDULED));
    const SCHEDULE_AFTER_REPLICAS: Action =
        A::ScheduleKeyDeletion(DeletionSchedule::AfterReplicas { pending_window_days: 7 });

    /// Every state, in AWS's order.
    const STATES: [KeyState; 8] = [
        K::Creating,
        K::Enabled,
        K::Disabled,
        PENDING,
        K::PendingImport,
        REPLICAS_PENDING,
        K::Unavailable,
        K::Updating,
    ];

    const ACTIONS: [Action; 26] = [
        A::CancelKeyDeletion(Api::Aws),
        A::CancelKeyDeletion(Api::Alibaba),
        A::CreateAlias,
        A::DeleteAlias,
        A::DescribeKey,
        A::DisableKey,
        A::EnableKey,
        A::ListResourceTags,
        A::ManageKeyPolicy,
        SCHEDULE,
        SCHEDULE_AFTER_REPLICAS,
        A::LastReplicaDeleted(Timestamp(5_000)),
        A::SetCancelOnUse,
        A::SetDeletionProtection,
        A::TagResource,
        A::UpdateAliasTarget,
        A::UpdateKeyDescription,
        A::RotateKeyMaterial,
        A::UseForCryptography,
        A::GetParametersForImport,
        A::ImportKeyMaterial,
        A::DeleteKeyMaterial,
        A::ReplicateKey,
        A::UpdatePrimaryRegion,
        A::CreateGrant,
        A::ManageGrants,
    ];

    /// The expected outcome of one cell, written out independently of `transition`.
    fn expected(state: KeyState, action: Action) -> Result<KeyState, StateError> {
        let refusal = match state {
            K::Disabled => Some(E::Disabled),
            K::PendingDeletion(_) => Some(E::PendingDeletion),
            K::PendingReplicaDeletion { .. } => Some(E::PendingReplicaDeletion),
            K::PendingImport => Some(E::PendingImport),
            K::Unavailable => Some(E::Unavailable),
            K::Creating => Some(E::Creating),
            K::Enabled | K::Updating => None,
        };
        let pending = matches!(state, K::PendingDeletion(_) | K::PendingReplicaDeletion { .. });
        match action {
            A::DescribeKey
            | A::DeleteAlias
            | A::ListResourceTags
            | A::ManageKeyPolicy
            | A::ManageGrants
            | A::SetCancelOnUse => Ok(state),
            A::CreateGrant => match state {
                K::Enabled | K::Unavailable | K::Updating => Ok(state),
                other => Err(refusal_for(other)),
            },
            A::UseForCryptography | A::RotateKeyMaterial => refusal.map_or(Ok(state), Err),
            A::EnableKey | A::DisableKey => match state {
                K::Enabled | K::Disabled => Ok(if action == A::EnableKey { K::Enabled } else { K::Disabled }),
                K::Unavailable => Ok(K::Unavailable),
                K::Updating => Err(E::Updating),
                other => Err(refusal_for(other)),
            },
            A::ScheduleKeyDeletion(schedule) => match (state, schedule) {
                (K::PendingDeletion(_) | K::PendingReplicaDeletion { .. }, _) => Err(refusal_for(state)),
                (K::Updating, _) => Err(E::Updating),
                (_, DeletionSchedule::Starting(deletion)) => Ok(K::PendingDeletion(deletion)),
                (_, DeletionSchedule::AfterReplicas { pending_window_days }) => {
                    Ok(K::PendingReplicaDeletion { pending_window_days })
                }
            },
            A::LastReplicaDeleted(now) => match state {
                K::PendingReplicaDeletion { pending_window_days } => Ok(K::PendingDeletion(ScheduledDeletion {
                    deletion_date: Timestamp(now.0 + pending_window_days * Timestamp::DAY_MILLIS),
                    pending_window_days,
                })),
                other => Ok(other),
            },
            A::CancelKeyDeletion(api) => {
                if pending {
                    Ok(if api == Api::Aws { K::Disabled } else { K::Enabled })
                } else {
                    Err(E::NotPendingDeletion)
                }
            }
            A::ReplicateKey | A::UpdatePrimaryRegion => match state {
                K::Enabled => Ok(state),
                K::Updating if action == A::UpdatePrimaryRegion => Ok(state),
                other => Err(refusal_for(other)),
            },
            A::GetParametersForImport | A::ImportKeyMaterial | A::DeleteKeyMaterial => match (state, action) {
                (K::PendingDeletion(_) | K::PendingReplicaDeletion { .. }, A::DeleteKeyMaterial) => Ok(state),
                (K::Enabled | K::Disabled | K::PendingImport, A::DeleteKeyMaterial) => Ok(K::PendingImport),
                (K::PendingImport, A::ImportKeyMaterial) => Ok(K::Enabled),
                (K::Enabled | K::Disabled | K::PendingImport, _) | (K::Updating, A::ImportKeyMaterial) => Ok(state),
                (other, _) => Err(refusal_for(other)),
            },
            A::CreateAlias
            | A::UpdateAliasTarget
            | A::TagResource
            | A::UpdateKeyDescription
            | A::SetDeletionProtection => {
                if pending {
                    Err(refusal_for(state))
                } else {
                    Ok(state)
                }
            }
        }
    }

    fn refusal_for(state: KeyState) -> StateError {
        match state {
            K::Disabled => E::Disabled,
            K::PendingDeletion(_) => E::PendingDeletion,
            K::PendingReplicaDeletion { .. } => E::PendingReplicaDeletion,
            K::PendingImport => E::PendingImport,
            K::Unavailable => E::Unavailable,
            K::Creating => E::Creating,
            K::Updating => E::Updating,
            K::Enabled => unreachable!("Enabled refuses nothing"),
        }
    }

    #[test]
    fn every_cell_of_the_table_matches_aws() {
        let mut cells = 0;
        for state in STATES {
            for action in ACTIONS {
                assert_eq!(transition(state, action), expected(state, action), "{state:?} × {action:?}");
                cells += 1;
            }
        }
        assert_eq!(cells, 8 * 26);
    }

    #[test]
    fn disabled_key_cannot_encrypt() {
        assert_eq!(transition(K::Disabled, A::UseForCryptography), Err(E::Disabled));
    }

    #[test]
    fn pending_deletion_key_cannot_encrypt() {
        assert_eq!(transition(PENDING, A::UseForCryptography), Err(E::PendingDeletion));
    }

    #[test]
    fn cancelling_deletion_leaves_key_disabled_on_aws_and_enabled_on_alibaba() {
        assert_eq!(transition(PENDING, A::CancelKeyDeletion(Api::Aws)), Ok(K::Disabled));
        assert_eq!(transition(PENDING, A::CancelKeyDeletion(Api::Alibaba)), Ok(K::Enabled));
    }

    /// Alibaba's table, §5.2 of the reference, for the cells that refuse: (state, action, code).
    #[test]
    fn alibaba_names_each_refusal_as_its_table_does() {
        use AlibabaRefusal as R;
        let deletion = SCHEDULE;
        let rows = [
            (K::Disabled, A::UseForCryptography, R::Disabled),
            (PENDING, A::UseForCryptography, R::PendingDeletion),
            (K::PendingImport, A::UseForCryptography, R::PendingImport),
            (PENDING, A::UpdateKeyDescription, R::PendingDeletion),
            (PENDING, A::TagResource, R::PendingDeletion),
            (PENDING, A::UpdateAliasTarget, R::PendingDeletion),
            (PENDING, A::SetDeletionProtection, R::PendingDeletion),
            (PENDING, A::EnableKey, R::StateModifiedFailed),
            (K::PendingImport, A::DisableKey, R::StateModifiedFailed),
            (PENDING, deletion, R::StateModifiedFailed),
            (K::Enabled, A::CancelKeyDeletion(Api::Alibaba), R::StateModifiedFailed),
            (K::Disabled, A::CancelKeyDeletion(Api::Alibaba), R::StateModifiedFailed),
            (PENDING, A::CreateAlias, R::StateModifiedFailed),
            (PENDING, A::ImportKeyMaterial, R::StateModifiedFailed),
        ];
        for (state, action, code) in rows {
            let refusal = transition(state, action).expect_err("Alibaba's table refuses this cell");
            assert_eq!(alibaba_refusal(action, refusal), code, "{state:?} × {action:?}");
        }
        assert_eq!(alibaba_refusal(deletion, E::DeletionProtected), R::StateModifiedFailed);
    }

    #[test]
    fn scheduling_twice_is_refused() {
        assert_eq!(transition(PENDING, SCHEDULE), Err(E::PendingDeletion));
    }

    #[test]
    fn enabling_a_pending_key_is_refused() {
        assert_eq!(transition(PENDING, A::EnableKey), Err(E::PendingDeletion));
    }

    #[test]
    fn cancelling_a_key_not_pending_is_refused() {
        for state in [K::Enabled, K::Disabled] {
            assert_eq!(transition(state, A::CancelKeyDeletion(Api::Aws)), Err(E::NotPendingDeletion));
        }
    }

    #[test]
    fn refusal_messages_name_the_key_arn() {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(E::PendingDeletion.message(arn), format!("{arn} is pending deletion."));
        assert_eq!(E::Disabled.message(arn), format!("{arn} is disabled."));
        assert_eq!(E::NotPendingDeletion.message(arn), format!("{arn} is not pending deletion."));
    }

    #[test]
    fn scheduling_deletion_carries_its_date_and_window_in_the_state() {
        let now = Timestamp(1_000);
        let deletion = ScheduledDeletion::starting(now, 7);
        assert_eq!(deletion.deletion_date, Timestamp(1_000 + 7 * Timestamp::DAY_MILLIS));
        let pending = transition(K::Disabled, A::ScheduleKeyDeletion(DeletionSchedule::Starting(deletion))).unwrap();
        assert_eq!(pending.scheduled_deletion(), Some(deletion));
        assert_eq!(
            transition(pending, A::CancelKeyDeletion(Api::Aws)).unwrap().scheduled_deletion(),
            None,
            "cancelling drops the date"
        );
    }

    #[test]
    fn a_primary_with_replicas_waits_for_them_then_starts_its_own_window() {
        let asked = Timestamp(1_000);
        let schedule = DeletionSchedule::new(asked, 7, 2);
        assert_eq!(schedule, DeletionSchedule::AfterReplicas { pending_window_days: 7 });
        let waiting = transition(K::Disabled, A::ScheduleKeyDeletion(schedule)).unwrap();
        assert_eq!(waiting, REPLICAS_PENDING);
        assert_eq!(waiting.scheduled_deletion(), None, "no date while replicas remain");
        assert_eq!(waiting.pending_window_days(), Some(7));
        assert_eq!(transition(waiting, A::UseForCryptography), Err(E::PendingReplicaDeletion));
        let last_gone = Timestamp(9 * Timestamp::DAY_MILLIS);
        let pending = transition(waiting, A::LastReplicaDeleted(last_gone)).unwrap();
        assert_eq!(pending, K::PendingDeletion(ScheduledDeletion::starting(last_gone, 7)), "the window starts then");
        assert_eq!(
            DeletionSchedule::new(asked, 7, 0),
            DeletionSchedule::Starting(ScheduledDeletion::starting(asked, 7))
        );
    }

    #[test]
    fn states_round_trip_through_their_columns() {
        for state in STATES {
            let stored = KeyState::from_columns(
                state.as_str(),
                state.scheduled_deletion().map(|d| d.deletion_date),
                state.pending_window_days(),
            );
            assert_eq!(stored, Some(state));
        }
        assert_eq!(KeyState::from_columns("PendingDeletion", None, Some(7)), None, "a pending deletion needs its date");
        assert_eq!(KeyState::from_columns("PendingReplicaDeletion", None, None), None, "it needs its window");
        assert_eq!(KeyState::from_columns("Deleted", None, None), None);
    }
}
