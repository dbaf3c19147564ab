//! Alibaba's error answers: each error an Alibaba client can get, mapped in this one place to its HTTP status, code
//! and message, and the JSON body both official SDKs read. Sources: `alibaba-kms-api.md` §2.2 (body, and the legacy
//! SDK's `message.split(':')[1]` on `SignatureDoesNotMatch`) and §5.1 (KMS's documented codes and texts, and the POP
//! gateway's texts for `SignatureDoesNotMatch`, `SignatureNonceUsed` and `InvalidTimeStamp.Expired`), and §5.2 (the
//! state table's 409s). Choices of ours, where no source names a code, are marked; `docs/alibaba.md` lists them.

use serde::Serialize;
use trent_domain::AlibabaRefusal;
use trent_service::ServiceError;

use crate::auth::AuthError;
use crate::signature::SignatureError;

/// The prefix of Alibaba's `SignatureDoesNotMatch` message; the server's string to sign follows it.
pub const SIGNATURE_MISMATCH_PREFIX: &str =
    "Specified signature is not matched with our calculation. server string to sign is:";

/// An error as an Alibaba client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// The HTTP status.
    pub status: u16,
    /// The `Code` member.
    pub code: &'static str,
    /// The `Message` member.
    pub message: String,
    /// The key the service refused, for the call's audit record (never sent).
    pub key_arn: Option<String>,
    /// What went wrong inside, for the log only (never sent).
    pub internal_detail: Option<String>,
}

impl WireError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), key_arn: None, internal_detail: None }
    }

    /// The message the call's audit record keeps: the answer's, but for a signature mismatch, whose string to sign
    /// holds every parameter of the request (a plaintext among them) and stays out of the trail.
    pub fn recorded_message(&self) -> &str {
        if self.code == "SignatureDoesNotMatch" {
            "Specified signature is not matched with our calculation."
        } else {
            &self.message
        }
    }

    /// `MissingParameter` naming `name`.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(400, "MissingParameter", format!("The parameter \"{name}\" is needed but not provided."))
    }

    /// `InvalidParameter` naming `name`.
    pub fn invalid_parameter(name: &str) -> Self {
        Self::new(400, "InvalidParameter", format!("The specified parameter \"{name}\" is not valid."))
    }

    /// `Rejected.UnsupportedOperation` with what is not supported.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(400, "Rejected.UnsupportedOperation", message)
    }

    /// The service's refusal as Alibaba names it. `named` is the key or alias the caller named, so that an unknown
    /// alias is `Forbidden.AliasNotFound` and an unknown key `Forbidden.KeyNotFound`.
    pub fn from_service(error: ServiceError, named: Option<&str>) -> Self {
        let invalid = |message: String| Self::new(400, "InvalidParameter", message);
        match error {
            ServiceError::NotFound(_) | ServiceError::InvalidArn(_)
                if named.is_some_and(|name| name.starts_with("alias/")) =>
            {
                Self::new(404, "Forbidden.AliasNotFound", "The specified Alias is not found.")
            }
            ServiceError::NotFound(_) => Self::new(404, "Forbidden.KeyNotFound", "The specified Key is not found."),
            ServiceError::KeyState { error, action, message, key_arn } => {
                let (code, text) = match trent_domain::alibaba_refusal(action, error) {
                    AlibabaRefusal::Disabled => {
                        ("Rejected.Disabled", "The request was rejected because the key state is Disabled.".to_owned())
                    }
                    AlibabaRefusal::PendingDeletion => (
                        "Rejected.PendingDeletion",
                        "The request was rejected because the key state is PendingDeletion.".to_owned(),
                    ),
                    AlibabaRefusal::PendingImport => (
                        "Rejected.PendingImport",
                        "The request was rejected because the key state is PendingImport.".to_owned(),
                    ),
                    // Alibaba's text, then why: deletion protection in this API's words, else Trent's reason.
                    AlibabaRefusal::StateModifiedFailed if error == trent_domain::StateError::DeletionProtected => (
                        "Rejected.StateModifiedFailed",
                        "Keystate modified failed: the key has deletion protection enabled. Turn it off with \
                         SetDeletionProtection before scheduling its deletion."
                            .to_owned(),
                    ),
                    AlibabaRefusal::StateModifiedFailed => {
                        ("Rejected.StateModifiedFailed", format!("Keystate modified failed: {message}"))
                    }
                };
                Self { key_arn: Some(key_arn), ..Self::new(409, code, text) }
            }
            ServiceError::AlreadyExists(_) => Self::new(400, "AliasAlreadyExists", "AliasName Already Exists."),
            ServiceError::AccessDenied(message) => Self::new(
                403,
                "Forbidden.NoPermission",
                format!("This operation is forbidden by permission system: {message}"),
            ),
            ServiceError::Unsupported(message) => Self::unsupported(message),
            ServiceError::LimitExceeded(message) => Self::new(400, "Rejected.LimitExceeded", message),
            // Ours: Alibaba documents no code for a ciphertext that does not decrypt under its key and context.
            ServiceError::InvalidCiphertext => invalid(
                "The specified parameter \"CiphertextBlob\" is not valid for this encryption context.".to_owned(),
            ),
            // Alibaba's import errors (`alibaba-kms-api.md`, the error table): 400 with its own codes.
            ServiceError::IncorrectKeyMaterial(message) => Self::new(400, "InvalidKeyMaterial", message),
            ServiceError::InvalidImportToken(message) => Self::new(400, "InvalidImportToken", message),
            ServiceError::ExpiredImportToken(message) => Self::new(400, "ExpiredImportToken", message),
            ServiceError::InvalidState(message) | ServiceError::Conflict(message) => {
                Self::new(409, "Rejected.StateModifiedFailed", message)
            }
            ServiceError::InvalidAliasName(message)
            | ServiceError::InvalidArn(message)
            | ServiceError::IncorrectKey(message)
            | ServiceError::InvalidKeyUsage(message)
            | ServiceError::Validation(message)
            | ServiceError::MalformedPolicy(message)
            | ServiceError::Tag(message)
            | ServiceError::InvalidMarker(message)
            | ServiceError::InvalidGrantToken(message)
            | ServiceError::KeyInUse(message) => invalid(message),
            ServiceError::InvalidSignature | ServiceError::InvalidMac => invalid(error.to_string()),
            ServiceError::DryRun => Self::new(
                400,
                "DryRunOperationError",
                "The request would have succeeded, but the DryRun option is set.",
            ),
            ServiceError::DependencyTimeout(detail) => Self {
                internal_detail: Some(detail),
                ..Self::new(503, "ServiceUnavailableTemporary", "Service Unavailable Temporary.")
            },
            ServiceError::Internal(detail) => {
                Self { internal_detail: Some(detail), ..Self::new(500, "InternalFailure", "Internal Failure.") }
            }
        }
    }

    /// The body: `RequestId`, `HostId`, `Code`, `Message` and `Recommend`, the members of the POP gateway's errors.
    pub fn body(&self, request_id: &str, host_id: &str) -> String {
        let body = ErrorBody {
            request_id,
            host_id,
            code: self.code,
            message: &self.message,
            recommend: &format!("https://api.aliyun.com/troubleshoot?q={}", self.code),
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody<'a> {
    request_id: &'a str,
    host_id: &'a str,
    code: &'a str,
    message: &'a str,
    recommend: &'a str,
}

const INCOMPLETE_SIGNATURE: &str = "The request signature does not conform to Alibaba Cloud standards.";

impl From<&AuthError> for WireError {
    fn from(error: &AuthError) -> Self {
        match error {
            AuthError::Incomplete(_)
            | AuthError::Signature(
                SignatureError::MalformedAuthorization(_) | SignatureError::MissingSignedHeader(_),
            ) => Self::new(400, "IncompleteSignature", INCOMPLETE_SIGNATURE),
            AuthError::MissingParameter(name) => Self::missing_parameter(name),
            AuthError::Signature(SignatureError::MalformedParameter) => {
                Self::new(400, "InvalidParameter", "The specified parameter is not valid.")
            }
            // The gateway's code; the message is ours.
            AuthError::InvalidVersion => Self::new(400, "InvalidVersion", "Specified parameter Version is not valid."),
            AuthError::IllegalTimestamp => Self::new(
                400,
                "IllegalTimestamp",
                "The input parameter \"Timestamp\" that is required for processing this request is not supplied.",
            ),
            AuthError::Expired => {
                Self::new(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
            }
            AuthError::UnknownAccessKey => Self::new(
                404,
                "InvalidAccessKeyId.NotFound",
                "The AccessKey ID provided does not exist in our records.",
            ),
            // Ours: no source names the code for a body that is not what x-acs-content-sha256 says. The message keeps
            // a colon, as every SignatureDoesNotMatch must for the legacy SDK.
            AuthError::BodyHashMismatch => Self::new(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. x-acs-content-sha256 is not the body's: \
                 the body changed after signing",
            ),
            AuthError::Signature(SignatureError::Mismatch { string_to_sign }) => {
                Self::new(400, "SignatureDoesNotMatch", format!("{SIGNATURE_MISMATCH_PREFIX}{string_to_sign}"))
            }
            AuthError::NonceUsed => Self::new(400, "SignatureNonceUsed", "Specified signature nonce was used already."),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_signature_mismatch_carries_the_string_to_sign_after_the_colon_the_legacy_sdk_splits_on() {
        let string_to_sign = "POST&%2F&AccessKeyId%3DtestAKID".to_owned();
        let error =
            WireError::from(&AuthError::Signature(SignatureError::Mismatch { string_to_sign: string_to_sign.clone() }));
        assert_eq!((error.status, error.code), (400, "SignatureDoesNotMatch"));
        assert_eq!(error.message.split(':').nth(1), Some(string_to_sign.as_str()));
        let body = WireError::from(&AuthError::BodyHashMismatch);
        assert!(body.message.contains(':'), "the legacy SDK crashes on a SignatureDoesNotMatch without a colon");
    }

    #[test]
    fn an_error_body_has_exactly_the_gateways_members() {
        let body = WireError::from(&AuthError::NonceUsed).body("req-1", "127.0.0.1:8301");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        let members: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(members, ["Code", "HostId", "Message", "Recommend", "RequestId"]);
        assert_eq!(value["Code"], "SignatureNonceUsed");
        assert_eq!(value["Message"], "Specified signature nonce was used already.");
        assert_eq!(value["RequestId"], "req-1");
    }

    #[test]
    fn a_signature_mismatch_keeps_its_string_to_sign_out_of_the_audit_record() {
        let string_to_sign = "POST&%2F&Plaintext%3Dthe%2520secret".to_owned();
        let error = WireError::from(&AuthError::Signature(SignatureError::Mismatch { string_to_sign }));
        assert!(error.message.contains("the%2520secret"), "the caller sees what the server signed");
        assert!(!error.recorded_message().contains("secret"), "the trail does not");
        let other = WireError::from(&AuthError::NonceUsed);
        assert_eq!(other.recorded_message(), other.message);
    }

    #[test]
    fn the_services_refusals_get_alibabas_names() {
        use trent_domain::{Action, Api, StateError};
        let arn = "arn:aws:kms:cn-hangzhou:111122223333:key/k";
        let state = |error, action| WireError::from_service(ServiceError::key_state(error, action, arn), None);
        let disabled = state(StateError::Disabled, Action::UseForCryptography);
        assert_eq!((disabled.status, disabled.code), (409, "Rejected.Disabled"));
        assert_eq!(disabled.key_arn.as_deref(), Some(arn), "the audit record names the key refused");
        assert_eq!(state(StateError::PendingDeletion, Action::UseForCryptography).code, "Rejected.PendingDeletion");
        assert_eq!(state(StateError::PendingDeletion, Action::EnableKey).code, "Rejected.StateModifiedFailed");
        let not_pending = state(StateError::NotPendingDeletion, Action::CancelKeyDeletion(Api::Alibaba));
        assert_eq!((not_pending.status, not_pending.code), (409, "Rejected.StateModifiedFailed"));
        let not_found = |named| WireError::from_service(ServiceError::NotFound("x".into()), named);
        assert_eq!(
            (not_found(Some("alias/a")).status, not_found(Some("alias/a")).code),
            (404, "Forbidden.AliasNotFound")
        );
        assert_eq!(not_found(Some("1234")).code, "Forbidden.KeyNotFound");
        let internal = WireError::from_service(ServiceError::Internal("disk on fire".into()), None);
        assert_eq!(
            (internal.status, internal.code, internal.message.as_str()),
            (500, "InternalFailure", "Internal Failure.")
        );
        assert_eq!(internal.internal_detail.as_deref(), Some("disk on fire"), "the detail goes to the log only");
    }

    #[test]
    fn each_refusal_has_alibabas_status_and_code() {
        let cases = [
            (AuthError::Incomplete("x"), 400, "IncompleteSignature"),
            (AuthError::MissingParameter("Signature"), 400, "MissingParameter"),
            (AuthError::InvalidVersion, 400, "InvalidVersion"),
            (AuthError::IllegalTimestamp, 400, "IllegalTimestamp"),
            (AuthError::Expired, 400, "InvalidTimeStamp.Expired"),
            (AuthError::UnknownAccessKey, 404, "InvalidAccessKeyId.NotFound"),
            (AuthError::Signature(SignatureError::MalformedParameter), 400, "InvalidParameter"),
            (AuthError::NonceUsed, 400, "SignatureNonceUsed"),
        ];
        for (error, status, code) in cases {
            let wire = WireError::from(&error);
            assert_eq!((wire.status, wire.code), (status, code), "{error:?}");
        }
        let missing = WireError::from(&AuthError::MissingParameter("Signature"));
        assert_eq!(missing.message, "The parameter \"Signature\" is needed but not provided.");
    }
}
