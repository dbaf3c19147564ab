//! Every wire error Trent sends, defined once: its `__type` code and its HTTP status in one table, and the one
//! mapping from service errors to them. Nothing derives a status from message text.

use trent_service::ServiceError;

macro_rules! error_codes {
    ($($name:ident => $status:literal),* $(,)?) => {
        /// An AWS error code (`__type`), with AWS's names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(clippy::enum_variant_names)]
        pub enum AwsErrorCode {
            $(
                #[doc = concat!("`", stringify!($name), "`, HTTP ", stringify!($status))]
                $name,
            )*
        }

        impl AwsErrorCode {
            /// Every code.
            pub const ALL: &'static [AwsErrorCode] = &[$(AwsErrorCode::$name),*];

            /// The `__type` sent on the wire.
            pub fn code(self) -> &'static str {
                match self {
                    $(AwsErrorCode::$name => stringify!($name),)*
                }
            }

            /// The HTTP status sent with it.
            pub fn status(self) -> u16 {
                match self {
                    $(AwsErrorCode::$name => $status,)*
                }
            }
        }
    };
}

error_codes!(
    AccessDeniedException => 400,
    AlreadyExistsException => 400,
    ConflictException => 400,
    DependencyTimeoutException => 500,
    DisabledException => 400,
    // The model says 412; AWS answers 400 (recorded: LocalStack's test_generate_data_key_pair_dry_run, 2025).
    DryRunOperationException => 400,
    ExpiredImportTokenException => 400,
    IncompleteSignatureException => 400,
    IncorrectKeyException => 400,
    IncorrectKeyMaterialException => 400,
    InvalidAliasNameException => 400,
    InvalidArnException => 400,
    InvalidCiphertextException => 400,
    InvalidGrantIdException => 400,
    InvalidGrantTokenException => 400,
    InvalidImportTokenException => 400,
    InvalidKeyUsageException => 400,
    InvalidMarkerException => 400,
    InvalidSignatureException => 400,
    KMSInternalException => 500,
    KMSInvalidMacException => 400,
    KMSInvalidSignatureException => 400,
    KMSInvalidStateException => 400,
    KeyUnavailableException => 500,
    // Trent's own: a guided retirement refused because the key was used within its observation period.
    KeyInUseException => 400,
    LimitExceededException => 400,
    MalformedPolicyDocumentException => 400,
    MissingAuthenticationTokenException => 403,
    NotFoundException => 400,
    RequestEntityTooLargeException => 413,
    RequestTimeoutException => 408,
    SerializationException => 400,
    TagException => 400,
    ThrottlingException => 400,
    UnknownOperationException => 400,
    UnrecognizedClientException => 400,
    UnsupportedOperationException => 400,
    ValidationException => 400,
);

/// An error as sent on the wire, with optional detail for the server log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The code.
    pub code: AwsErrorCode,
    /// The message sent to the caller; empty for the errors AWS sends with no `message` member at all.
    pub message: String,
    /// What went wrong inside, logged with the request ID and never sent.
    pub internal_detail: Option<String>,
    /// The key ARN a refusal was about, for the call's audit record (never sent).
    pub key_arn: Option<String>,
}

impl AwsError {
    /// An error with a message for the caller.
    pub fn new(code: AwsErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), internal_detail: None, key_arn: None }
    }

    /// An internal error: the caller learns nothing specific, the log learns `detail`.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self {
            code: AwsErrorCode::KMSInternalException,
            message: "An internal error occurred.".to_owned(),
            internal_detail: Some(detail.into()),
            key_arn: None,
        }
    }

    /// The JSON body AWS sends: `{"__type": …, "message": …}`, or `{"__type": …}` alone when there is no message
    /// (AWS sends `KMSInvalidSignatureException`, `KMSInvalidMacException` and `InvalidCiphertextException` that way:
    /// `docs/wire-compat.md`).
    pub fn body(&self) -> Vec<u8> {
        // Two strings cannot fail to serialise; were they to, the body would still name the error.
        serde_json::to_vec(&ErrorBody { code: self.code.code(), message: &self.message })
            .unwrap_or_else(|_| format!("{{\"__type\":\"{}\"}}", self.code.code()).into_bytes())
    }
}

/// An error's body on the wire.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "__type")]
    code: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
}

impl From<ServiceError> for AwsError {
    fn from(error: ServiceError) -> Self {
        use AwsErrorCode as C;
        let (code, message) = match error {
            ServiceError::NotFound(m) => (C::NotFoundException, m),
            ServiceError::InvalidArn(m) => (C::InvalidArnException, m),
            ServiceError::AlreadyExists(m) => (C::AlreadyExistsException, m),
            ServiceError::InvalidAliasName(m) => (C::InvalidAliasNameException, m),
            ServiceError::KeyState { error, message, key_arn, .. } => {
                let code = if error.is_disabled() { C::DisabledException } else { C::KMSInvalidStateException };
                return AwsError { key_arn: Some(key_arn), ..AwsError::new(code, message) };
            }
            ServiceError::AccessDenied(m) => (C::AccessDeniedException, m),
            ServiceError::InvalidCiphertext => (C::InvalidCiphertextException, String::new()),
            ServiceError::IncorrectKey(m) => (C::IncorrectKeyException, m),
            ServiceError::IncorrectKeyMaterial(m) => (C::IncorrectKeyMaterialException, m),
            ServiceError::InvalidImportToken(m) => (C::InvalidImportTokenException, m),
            ServiceError::ExpiredImportToken(m) => (C::ExpiredImportTokenException, m),
            ServiceError::InvalidState(m) => (C::KMSInvalidStateException, m),
            ServiceError::InvalidKeyUsage(m) => (C::InvalidKeyUsageException, m),
            ServiceError::Validation(m) => (C::ValidationException, m),
            ServiceError::Unsupported(m) => (C::UnsupportedOperationException, m),
            ServiceError::MalformedPolicy(m) => (C::MalformedPolicyDocumentException, m),
            ServiceError::Tag(m) => (C::TagException, m),
            ServiceError::LimitExceeded(m) => (C::LimitExceededException, m),
            ServiceError::Conflict(m) => (C::ConflictException, m),
            ServiceError::InvalidMarker(m) => (C::InvalidMarkerException, m),
            ServiceError::InvalidGrantToken(m) => (C::InvalidGrantTokenException, m),
            ServiceError::KeyInUse(m) => (C::KeyInUseException, m),
            ServiceError::InvalidMac => (C::KMSInvalidMacException, String::new()),
            ServiceError::InvalidSignature => (C::KMSInvalidSignatureException, String::new()),
            ServiceError::DryRun => (C::DryRunOperationException, ServiceError::DryRun.to_string()),
            ServiceError::DependencyTimeout(detail) => {
                return AwsError {
                    code: C::DependencyTimeoutException,
                    message: "The system timed out while trying to fulfill the request. You can retry the request."
                        .to_owned(),
                    internal_detail: Some(detail),
                    key_arn: None,
                }
            }
            ServiceError::Internal(detail) => return AwsError::internal(detail),
        };
        AwsError::new(code, message)
    }
}

impl From<trent_sigv4::SigV4Error> for AwsError {
    fn from(error: trent_sigv4::SigV4Error) -> Self {
        use trent_sigv4::SigV4Error as S;
        let code = match &error {
            S::MissingAuthentication => AwsErrorCode::MissingAuthenticationTokenException,
            S::Incomplete(_) => AwsErrorCode::IncompleteSignatureException,
            S::WrongService { .. } | S::Expired { .. } | S::NotYetCurrent { .. } | S::SignatureMismatch => {
                AwsErrorCode::InvalidSignatureException
            }
        };
        AwsError::new(code, error.to_string())
    }
}

/// The answer for an access key nobody issued.
pub fn unrecognized_client() -> AwsError {
    AwsError::new(AwsErrorCode::UnrecognizedClientException, "The security token included in the request is invalid.")
}

/// The answer for a credential scoped to a region this server does not serve.
pub fn invalid_region() -> AwsError {
    AwsError::new(AwsErrorCode::InvalidSignatureException, "Credential should be scoped to a valid region. ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_domain::{Action, StateError};

    #[test]
    fn each_code_has_its_status_and_type() {
        for code in AwsErrorCode::ALL {
            let expected = match code {
                AwsErrorCode::KMSInternalException
                | AwsErrorCode::DependencyTimeoutException
                | AwsErrorCode::KeyUnavailableException => 500,
                AwsErrorCode::MissingAuthenticationTokenException => 403,
                AwsErrorCode::RequestEntityTooLargeException => 413,
                AwsErrorCode::RequestTimeoutException => 408,
                _ => 400,
            };
            assert_eq!(code.status(), expected, "{code:?}");
            assert_eq!(format!("{code:?}"), code.code());
        }
    }

    #[test]
    fn internal_errors_say_nothing_specific() {
        let error = AwsError::from(ServiceError::Internal("store: disk I/O error at /secret/path".to_owned()));
        assert_eq!(error.code, AwsErrorCode::KMSInternalException);
        assert!(!String::from_utf8(error.body()).unwrap().contains("secret"));
    }

    #[test]
    fn verification_failures_carry_no_message_member() {
        for error in [ServiceError::InvalidSignature, ServiceError::InvalidMac, ServiceError::InvalidCiphertext] {
            let body: serde_json::Value = serde_json::from_slice(&AwsError::from(error).body()).unwrap();
            assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
        }
        let body: serde_json::Value =
            serde_json::from_slice(&AwsError::new(AwsErrorCode::NotFoundException, "x").body()).unwrap();
        assert_eq!(body["message"], "x");
    }

    #[test]
    fn state_refusals_map_to_disabled_or_invalid_state() {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/k";
        assert_eq!(
            AwsError::from(ServiceError::key_state(StateError::Disabled, Action::UseForCryptography, arn)).code,
            AwsErrorCode::DisabledException
        );
        let pending =
            AwsError::from(ServiceError::key_state(StateError::PendingDeletion, Action::UseForCryptography, arn));
        assert_eq!(pending.code, AwsErrorCode::KMSInvalidStateException);
        assert_eq!(pending.message, format!("{arn} is pending deletion."));
    }
}
