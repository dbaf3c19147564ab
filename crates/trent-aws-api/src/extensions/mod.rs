//! Trent's own operations: on the same endpoint, in the same JSON 1.1 protocol with the same SigV4 signing, under
//! the target prefix `Trent.` so that `TrentService.` stays exactly AWS's. Each is documented in `docs/api.md`.

pub mod get_deletion_protection;
pub mod set_deletion_protection;

use serde_json::Value;
use trent_service::{RequestContext, Service};

use crate::error::{AwsError, AwsErrorCode};
use crate::operation::{Operation, TARGET_PREFIX};

/// The `X-Amz-Target` prefix of Trent's own operations.
pub const EXTENSION_PREFIX: &str = "Trent.";

/// One of Trent's own operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extension {
    /// `Trent.GetDeletionProtection`.
    GetDeletionProtection,
    /// `Trent.SetDeletionProtection`.
    SetDeletionProtection,
}

impl Extension {
    /// Every extension operation.
    pub const ALL: &'static [Extension] = &[Extension::GetDeletionProtection, Extension::SetDeletionProtection];

    /// The operation's name after `Trent.`.
    pub fn name(self) -> &'static str {
        match self {
            Extension::GetDeletionProtection => "GetDeletionProtection",
            Extension::SetDeletionProtection => "SetDeletionProtection",
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
            .and_then(|name| Extension::ALL.iter().copied().find(|e| e.name() == name))
            .map(Target::Trent)
            .ok_or_else(|| AwsError::new(AwsErrorCode::UnknownOperationException, String::new()))
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
pub async fn dispatch(service: &Service, ctx: &RequestContext, extension: Extension, body: &[u8]) -> Result<Value, AwsError> {
    match extension {
        Extension::GetDeletionProtection => get_deletion_protection::handle(service, ctx, body).await,
        Extension::SetDeletionProtection => set_deletion_protection::handle(service, ctx, body).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_targets_are_apart_from_aws_targets() {
        assert_eq!(Target::parse("Trent.SetDeletionProtection").unwrap(), Target::Trent(Extension::SetDeletionProtection));
        assert_eq!(Target::parse("TrentService.Encrypt").unwrap(), Target::Aws(Operation::Encrypt));
        for unknown in ["TrentService.SetDeletionProtection", "Trent.Encrypt", "Trent.", "trent.SetDeletionProtection"] {
            assert_eq!(Target::parse(unknown).unwrap_err().code, AwsErrorCode::UnknownOperationException, "{unknown}");
        }
    }
}
