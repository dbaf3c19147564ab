//! Alibaba's error answers: each error an Alibaba client can get, mapped in this one place to its HTTP status, code
//! and message, and the JSON body both official SDKs read. Sources: `alibaba-kms-api.md` §2.2 (body, and the legacy
//! SDK's `message.split(':')[1]` on `SignatureDoesNotMatch`) and §5.1 (KMS's documented codes and texts, and the POP
//! gateway's texts for `SignatureDoesNotMatch`, `SignatureNonceUsed` and `InvalidTimeStamp.Expired`). Choices of
//! ours, where no source names a code, are marked.

use serde::Serialize;

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
}

impl WireError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
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
            AuthError::MissingParameter(name) => {
                Self::new(400, "MissingParameter", format!("The parameter \"{name}\" is needed but not provided."))
            }
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
