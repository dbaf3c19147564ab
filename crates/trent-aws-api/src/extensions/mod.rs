//! Trent's own operations: on the same endpoint, in the same JSON 1.1 protocol with the same SigV4 signing, under
//! the target prefix `Trent.` so that `TrentService.` stays exactly AWS's. Each is documented in `docs/api.md`.

pub mod abort_key_retirement;
pub mod backup_store;
pub mod get_deletion_protection;
pub mod get_key_retirement;
pub mod get_key_usage;
pub mod list_audit_events;
pub mod list_key_access;
pub mod set_cancel_on_use;
pub mod set_deletion_protection;
pub mod start_key_retirement;
pub mod users;
pub mod verify_audit_trail;

use trent_service::{RequestContext, Service};

use crate::error::{AwsError, AwsErrorCode};
use crate::operation::{Operation, TARGET_PREFIX};
pub use users::IdentityOperation;

/// The `X-Amz-Target` prefix of Trent's own operations.
pub const EXTENSION_PREFIX: &str = "Trent.";

/// One of Trent's own operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extension {
    /// `Trent.AbortKeyRetirement`.
    AbortKeyRetirement,
    /// `Trent.BackupStore`.
    BackupStore,
    /// `Trent.GetDeletionProtection`.
    GetDeletionProtection,
    /// `Trent.GetKeyRetirement`.
    GetKeyRetirement,
    /// `Trent.GetKeyUsage`.
    GetKeyUsage,
    /// `Trent.ListAuditEvents`.
    ListAuditEvents,
    /// `Trent.ListKeyAccess`.
    ListKeyAccess,
    /// `Trent.SetCancelOnUse`.
    SetCancelOnUse,
    /// `Trent.SetDeletionProtection`.
    SetDeletionProtection,
    /// `Trent.StartKeyRetirement`.
    StartKeyRetirement,
    /// `Trent.VerifyAuditTrail`.
    VerifyAuditTrail,
    /// One of the identity operations (`Trent.CreateUser` and the rest).
    Identity(IdentityOperation),
}

impl Extension {
    /// Every extension operation but the identity operations ([`IdentityOperation::ALL`]).
    pub const ALL: &'static [Extension] = &[
        Extension::AbortKeyRetirement,
        Extension::BackupStore,
        Extension::GetDeletionProtection,
        Extension::GetKeyRetirement,
        Extension::GetKeyUsage,
        Extension::ListAuditEvents,
        Extension::ListKeyAccess,
        Extension::SetCancelOnUse,
        Extension::SetDeletionProtection,
        Extension::StartKeyRetirement,
        Extension::VerifyAuditTrail,
    ];

    /// The operation's name after `Trent.`.
    pub fn name(self) -> &'static str {
        match self {
            Extension::AbortKeyRetirement => "AbortKeyRetirement",
            Extension::BackupStore => "BackupStore",
            Extension::GetDeletionProtection => "GetDeletionProtection",
            Extension::GetKeyRetirement => "GetKeyRetirement",
            Extension::GetKeyUsage => "GetKeyUsage",
            Extension::ListAuditEvents => "ListAuditEvents",
            Extension::ListKeyAccess => "ListKeyAccess",
            Extension::SetCancelOnUse => "SetCancelOnUse",
            Extension::SetDeletionProtection => "SetDeletionProtection",
            Extension::StartKeyRetirement => "StartKeyRetirement",
            Extension::VerifyAuditTrail => "VerifyAuditTrail",
            Extension::Identity(operation) => operation.name(),
        }
    }
}

/// What an `X-Amz-Target` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An AWS KMS operation (`TrentService.…`).
    Aws(Operation),
    /// One of Trent's own operations (`Trent.…`).
    Trent(Extension),
}

impl Target {
    /// Parses a target; anything else is `UnknownOperationException`.
    pub fn parse(target: &str) -> Result<Self, AwsError> {
        if target.starts_with(TARGET_PREFIX) {
            return Operation::from_target(target).map(Target::Aws);
        }
        target
            .strip_prefix(EXTENSION_PREFIX)
            .and_then(|name| {
                let identity = IdentityOperation::ALL.iter().copied().map(Extension::Identity);
                Extension::ALL.iter().copied().chain(identity).find(|e| e.name() == name)
            })
            .map(Target::Trent)
            .ok_or_else(|| AwsError::new(AwsErrorCode::UnknownOperationException, String::new()))
    }

    /// True when a successful call records its own audit event in the transaction that makes its change (every
    /// change to a key); the edge records every other call, and every failed one.
    pub fn audits_itself(self) -> bool {
        match self {
            Target::Aws(op) => matches!(
                op,
                Operation::CancelKeyDeletion
                    | Operation::CreateKey
                    | Operation::DeleteImportedKeyMaterial
                    | Operation::DisableKey
                    | Operation::DisableKeyRotation
                    | Operation::EnableKey
                    | Operation::EnableKeyRotation
                    | Operation::GetParametersForImport
                    | Operation::GetPublicKey
                    | Operation::ImportKeyMaterial
                    | Operation::PutKeyPolicy
                    | Operation::ReplicateKey
                    | Operation::RotateKeyOnDemand
                    | Operation::ScheduleKeyDeletion
                    | Operation::TagResource
                    | Operation::UntagResource
                    | Operation::UpdateKeyDescription
            ),
            Target::Trent(extension) => match extension {
                Extension::AbortKeyRetirement
                | Extension::SetCancelOnUse
                | Extension::SetDeletionProtection
                | Extension::StartKeyRetirement => true,
                // Its store-wide BackupStore event says what was taken; the edge records who called.
                Extension::BackupStore
                | Extension::GetDeletionProtection
                | Extension::GetKeyRetirement
                | Extension::GetKeyUsage
                | Extension::ListAuditEvents
                | Extension::ListKeyAccess
                | Extension::VerifyAuditTrail => false,
                // Identity changes are recorded by the edge, after they are made.
                Extension::Identity(_) => false,
            },
        }
    }

    /// True for calls that change no resource, as CloudTrail marks them: reads, and the cryptographic operations.
    pub fn is_read_only(self) -> bool {
        let name = self.event_name();
        [
            "Decapsulate",
            "Describe",
            "Derive",
            "Encapsulate",
            "Get",
            "List",
            "Verify",
            "Encrypt",
            "Decrypt",
            "ReEncrypt",
            "GenerateDataKey",
            "GenerateRandom",
            "GenerateMac",
            "Sign",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
    }

    /// The event name: the operation's name.
    pub fn event_name(self) -> &'static str {
        match self {
            Target::Aws(op) => op.name(),
            Target::Trent(extension) => extension.name(),
        }
    }

    /// The name for logs: `TrentService.X` or `Trent.X`.
    pub fn name(self) -> String {
        match self {
            Target::Aws(op) => format!("{TARGET_PREFIX}{}", op.name()),
            Target::Trent(ext) => format!("{EXTENSION_PREFIX}{}", ext.name()),
        }
    }
}

/// Runs one of Trent's own operations.
pub fn dispatch<'a>(
    service: &'a Service,
    ctx: &'a RequestContext,
    extension: Extension,
    body: &'a [u8],
) -> crate::Answering<'a> {
    match extension {
        Extension::AbortKeyRetirement => Box::pin(abort_key_retirement::handle(service, ctx, body)),
        Extension::BackupStore => Box::pin(backup_store::handle(service, ctx, body)),
        Extension::GetDeletionProtection => Box::pin(get_deletion_protection::handle(service, ctx, body)),
        Extension::GetKeyRetirement => Box::pin(get_key_retirement::handle(service, ctx, body)),
        Extension::GetKeyUsage => Box::pin(get_key_usage::handle(service, ctx, body)),
        Extension::ListAuditEvents => Box::pin(list_audit_events::handle(service, ctx, body)),
        Extension::ListKeyAccess => Box::pin(list_key_access::handle(service, ctx, body)),
        Extension::SetCancelOnUse => Box::pin(set_cancel_on_use::handle(service, ctx, body)),
        Extension::SetDeletionProtection => Box::pin(set_deletion_protection::handle(service, ctx, body)),
        Extension::StartKeyRetirement => Box::pin(start_key_retirement::handle(service, ctx, body)),
        Extension::VerifyAuditTrail => Box::pin(verify_audit_trail::handle(service, ctx, body)),
        Extension::Identity(operation) => Box::pin(users::handle(service, ctx, operation, body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_targets_are_apart_from_aws_targets() {
        assert_eq!(
            Target::parse("Trent.SetDeletionProtection").unwrap(),
            Target::Trent(Extension::SetDeletionProtection)
        );
        assert_eq!(Target::parse("TrentService.Encrypt").unwrap(), Target::Aws(Operation::Encrypt));
        for operation in IdentityOperation::ALL {
            let target = format!("{EXTENSION_PREFIX}{}", operation.name());
            assert_eq!(Target::parse(&target).unwrap(), Target::Trent(Extension::Identity(*operation)));
        }
        for unknown in ["TrentService.SetDeletionProtection", "Trent.Encrypt", "Trent.", "trent.SetDeletionProtection"]
        {
            assert_eq!(Target::parse(unknown).unwrap_err().code, AwsErrorCode::UnknownOperationException, "{unknown}");
        }
    }
}
