//! The errors operations return. Each variant is one AWS error on purpose; the API edge maps them to wire codes in
//! one place. `Internal` carries detail for the log only: the wire says nothing specific.

use trent_crypto::CryptoError;
use trent_domain::{Action, StateError};
use trent_store::StoreError;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// `NotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// `InvalidArnException`.
    #[error("{0}")]
    InvalidArn(String),
    /// `AlreadyExistsException`.
    #[error("{0}")]
    AlreadyExists(String),
    /// `InvalidAliasNameException`.
    #[error("{0}")]
    InvalidAliasName(String),
    /// `DisabledException` or `KMSInvalidStateException`, decided by the state table.
    #[error("{message}")]
    KeyState {
        /// Which refusal.
        error: StateError,
        /// What the state refused (Alibaba's API names a refusal by it, [`trent_domain::alibaba_refusal`]).
        action: Action,
        /// AWS's message, naming the key ARN.
        message: String,
        /// The key refused (for the audit record of a call that named it only inside a ciphertext).
        key_arn: String,
    },
    /// `AccessDeniedException`: the principal may not do this to this key (e.g. an AWS managed key).
    #[error("{0}")]
    AccessDenied(String),
    /// `InvalidCiphertextException` (sent with no message, as AWS does).
    #[error("the ciphertext is not valid for this key and encryption context")]
    InvalidCiphertext,
    /// `IncorrectKeyException`.
    #[error("{0}")]
    IncorrectKey(String),
    /// `IncorrectKeyMaterialException`: imported material that is not the key's, or does not fit it.
    #[error("{0}")]
    IncorrectKeyMaterial(String),
    /// `InvalidImportTokenException`: a token not issued for this key, or already used.
    #[error("{0}")]
    InvalidImportToken(String),
    /// `ExpiredImportTokenException`: a token past its 24 hours.
    #[error("{0}")]
    ExpiredImportToken(String),
    /// `KMSInvalidStateException` for a reason of the key's material, not of its state's table (e.g. "No available
    /// key material pending rotation").
    #[error("{0}")]
    InvalidState(String),
    /// `InvalidKeyUsageException`.
    #[error("{0}")]
    InvalidKeyUsage(String),
    /// `KMSInvalidSignatureException`: the signature does not verify (sent with no message, as AWS does).
    #[error("The signature is not valid for this message and key.")]
    InvalidSignature,
    /// `KMSInvalidMacException`: the MAC does not verify (sent with no message, as AWS does).
    #[error("The MAC is not valid for this message and key.")]
    InvalidMac,
    /// `ValidationException` for a rule of the service itself (the model's constraints are checked at the edge).
    #[error("{0}")]
    Validation(String),
    /// `UnsupportedOperationException`.
    #[error("{0}")]
    Unsupported(String),
    /// `MalformedPolicyDocumentException`.
    #[error("{0}")]
    MalformedPolicy(String),
    /// `TagException`.
    #[error("{0}")]
    Tag(String),
    /// `LimitExceededException`.
    #[error("{0}")]
    LimitExceeded(String),
    /// `ConflictException`: an automatic rotation is in progress or due within 20 minutes (RotateKeyOnDemand).
    #[error("{0}")]
    Conflict(String),
    /// `InvalidMarkerException`.
    #[error("{0}")]
    InvalidMarker(String),
    /// `InvalidGrantTokenException`: a grant token that names no grant Trent made.
    #[error("{0}")]
    InvalidGrantToken(String),
    /// `DryRunOperationException`: the request would have succeeded.
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRun,
    /// `KeyInUseException` (Trent's own): a retirement refused because the key was used within the observation period.
    #[error("{0}")]
    KeyInUse(String),
    /// `DependencyTimeoutException`: the database could not be reached or did not answer in time.
    #[error("dependency timeout: {0}")]
    DependencyTimeout(String),
    /// `KMSInternalException`; the detail goes to the log, never to the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// A state-table refusal of `action` for the key with this ARN.
    pub fn key_state(error: StateError, action: Action, key_arn: &str) -> Self {
        ServiceError::KeyState { error, action, message: error.message(key_arn), key_arn: key_arn.to_owned() }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => ServiceError::DependencyTimeout(detail),
            other => ServiceError::Internal(format!("store: {other}")),
        }
    }
}

impl From<CryptoError> for ServiceError {
    fn from(error: CryptoError) -> Self {
        match error {
            CryptoError::InvalidCiphertext => ServiceError::InvalidCiphertext,
            other => ServiceError::Internal(format!("crypto: {other}")),
        }
    }
}

/// Asks `key` whether `action` is allowed (the state table and the key's guards, [`trent_domain::Key::check`]),
/// turning a refusal into AWS's error naming the key.
pub fn check_state(key: &trent_domain::Key, action: trent_domain::Action) -> Result<(), ServiceError> {
    key.check(action).map(|_| ()).map_err(|e| ServiceError::key_state(e, action, &key.arn().to_string()))
}

/// Applies `action` to `key` through the state table, or returns AWS's refusal naming the key.
pub fn apply_state(key: &mut trent_domain::Key, action: trent_domain::Action) -> Result<(), ServiceError> {
    key.apply(action).map_err(|e| ServiceError::key_state(e, action, &key.arn().to_string()))
}

/// The proof that `key` may be used for cryptography now, or AWS's refusal naming the key.
pub fn require_usable(key: &trent_domain::Key) -> Result<trent_domain::UsableKey<'_>, ServiceError> {
    key.require_usable().map_err(|e| ServiceError::key_state(e, Action::UseForCryptography, &key.arn().to_string()))
}
