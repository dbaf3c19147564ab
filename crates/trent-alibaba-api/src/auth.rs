//! Whether to believe an Alibaba request, by the checks of `alibaba-kms-api.md` §1.6: which signature it carries (V3
//! in an `Authorization` header, else RPC v1 in its parameters), the API version, a signing time within 15 minutes of
//! the server's, the body's hash (V3), the signature, and a nonce its access key has not used within the window.
//!
//! Nonces are remembered in memory for the window. After a restart none are known, so a request signed before the
//! [`Nonces`] were made is refused as expired: a request captured before a restart cannot be replayed after it, at the
//! cost of refusing, for as long as its clock runs behind (at most 15 minutes), a client whose clock is late.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use trent_domain::{Timestamp, UtcTime};
use zeroize::Zeroizing;

use crate::signature::{self, SignatureError, V3Authorization};

/// The one API version served.
pub const API_VERSION: &str = "2016-01-20";
/// How far a request's signing time may be from the server's, either way (Alibaba: "within 15 minutes").
pub const WINDOW_MILLIS: i64 = 15 * 60 * 1000;

/// A request as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Arrived<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// Its headers.
    pub headers: &'a http::HeaderMap,
    /// The query string, without `?`.
    pub query: &'a str,
    /// The body (form parameters, or empty).
    pub body: &'a [u8],
}

/// A request whose signature, time and nonce passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// Who signed it.
    pub access_key_id: String,
    /// The operation.
    pub action: String,
    /// Its parameters, query then form body, as sent (the signature's own included).
    pub params: Vec<(String, String)>,
}

/// Why a request is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The signature's parts are missing or malformed.
    #[error("incomplete signature: {0}")]
    Incomplete(&'static str),
    /// A parameter the protocol needs is missing.
    #[error("missing parameter {0}")]
    MissingParameter(&'static str),
    /// The version is not `2016-01-20`.
    #[error("unsupported API version")]
    InvalidVersion,
    /// The signing time cannot be read.
    #[error("illegal timestamp")]
    IllegalTimestamp,
    /// The signing time is outside the window (or before this server's nonces were made).
    #[error("timestamp outside the window")]
    Expired,
    /// No such access key.
    #[error("unknown access key")]
    UnknownAccessKey,
    /// The body is not what `x-acs-content-sha256` says.
    #[error("the body does not match x-acs-content-sha256")]
    BodyHashMismatch,
    /// The signature does not match.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The nonce was used already within the window.
    #[error("signature nonce used already")]
    NonceUsed,
}

/// The nonces each access key used within the window.
#[derive(Debug)]
pub struct Nonces {
    started: Timestamp,
    /// (access key, nonce) → when it may be forgotten (ms).
    seen: Mutex<HashMap<(String, String), i64>>,
}

impl Nonces {
    /// No nonce known; requests signed before the second `started` falls in are refused (signing times are whole
    /// seconds, so a request signed in that second is accepted).
    pub fn new(started: Timestamp) -> Self {
        Self { started: Timestamp(started.0 - started.0.rem_euclid(1000)), seen: Mutex::default() }
    }

    /// Records the nonce; false if its access key used it within the window.
    fn first_use(&self, access_key_id: &str, nonce: &str, now: Timestamp) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        // Forgetting is amortised: expired nonces go whenever the map reaches a power of two of at least 1,024.
        if seen.len() >= 1024 && seen.len().is_power_of_two() {
            seen.retain(|_, forget_at| *forget_at > now.0);
        }
        let key = (access_key_id.to_owned(), nonce.to_owned());
        match seen.get(&key) {
            Some(forget_at) if *forget_at > now.0 => false,
            _ => {
                // A signing time is accepted up to a window ahead, so remember the nonce for two.
                seen.insert(key, now.0.saturating_add(2 * WINDOW_MILLIS));
                true
            }
        }
    }
}

/// Checks `request`; `secret_of` gives an access key's secret (wiped from memory when dropped).
pub fn authenticate(
    request: &Arrived<'_>,
    secret_of: impl Fn(&str) -> Option<Zeroizing<String>>,
    nonces: &Nonces,
    now: Timestamp,
) -> Result<Authenticated, AuthError> {
    let query = signature::decode_params(request.query)?;
    let is_form = request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let form = match (is_form, std::str::from_utf8(request.body)) {
        (true, Ok(body)) => signature::decode_params(body)?,
        (true, Err(_)) => return Err(SignatureError::MalformedParameter.into()),
        (false, _) => Vec::new(),
    };
    let authenticated = match request.headers.get(http::header::AUTHORIZATION) {
        Some(header) => {
            let header = header.to_str().map_err(|_| AuthError::Incomplete("Authorization is not text"))?;
            check_v3(request, header, &query, &secret_of, nonces, now)?
        }
        None => check_rpc(request.method, &query, &form, &secret_of, nonces, now)?,
    };
    let (access_key_id, action) = authenticated;
    Ok(Authenticated { access_key_id, action, params: [query, form].concat() })
}

/// A V3 request: its access key and action.
fn check_v3(
    request: &Arrived<'_>,
    header: &str,
    query: &[(String, String)],
    secret_of: &impl Fn(&str) -> Option<Zeroizing<String>>,
    nonces: &Nonces,
    now: Timestamp,
) -> Result<(String, String), AuthError> {
    let authorization = V3Authorization::parse(header)?;
    let header_value = |name: &'static str| {
        request.headers.get(name).and_then(|value| value.to_str().ok()).ok_or(AuthError::MissingParameter(name))
    };
    let action = header_value("x-acs-action")?;
    if header_value("x-acs-version")? != API_VERSION {
        return Err(AuthError::InvalidVersion);
    }
    check_time(header_value("x-acs-date")?, nonces, now)?;
    let nonce = header_value("x-acs-signature-nonce")?;
    let payload_sha256 = header_value("x-acs-content-sha256")?;
    if !authorization.signed_headers.iter().any(|name| name == "x-acs-content-sha256") {
        return Err(AuthError::Incomplete("x-acs-content-sha256 is not signed"));
    }
    let body_sha256 = trent_sigv4::sha256_hex(request.body);
    if !payload_sha256.eq_ignore_ascii_case(&body_sha256) {
        return Err(AuthError::BodyHashMismatch);
    }
    verify_then_use_nonce(&authorization.access_key_id, nonce, secret_of, nonces, now, |secret| {
        let canonical = signature::v3_canonical_request(
            request.method,
            query,
            request.headers,
            &authorization.signed_headers,
            payload_sha256,
        )?;
        signature::verify_v3(&authorization, &signature::v3_string_to_sign(&canonical), secret)
    })?;
    Ok((authorization.access_key_id, action.to_owned()))
}

/// An RPC v1 request: its access key and action.
fn check_rpc(
    method: &str,
    query: &[(String, String)],
    form: &[(String, String)],
    secret_of: &impl Fn(&str) -> Option<Zeroizing<String>>,
    nonces: &Nonces,
    now: Timestamp,
) -> Result<(String, String), AuthError> {
    let params = [query, form].concat();
    let param = |name: &'static str| {
        params.iter().find(|(n, _)| n == name).map(|(_, value)| value.as_str()).ok_or(AuthError::MissingParameter(name))
    };
    let claimed = param("Signature")?;
    if param("SignatureMethod")? != "HMAC-SHA1" || param("SignatureVersion")? != "1.0" {
        return Err(AuthError::Incomplete("the signature method is not HMAC-SHA1 version 1.0"));
    }
    let action = param("Action")?;
    if param("Version")? != API_VERSION {
        return Err(AuthError::InvalidVersion);
    }
    check_time(param("Timestamp")?, nonces, now)?;
    let nonce = param("SignatureNonce")?;
    let access_key_id = param("AccessKeyId")?;
    verify_then_use_nonce(access_key_id, nonce, secret_of, nonces, now, |secret| {
        signature::verify_rpc(claimed, &signature::rpc_string_to_sign(method, &params), secret)
    })?;
    Ok((access_key_id.to_owned(), action.to_owned()))
}

/// The last checks of either signature, in this order: the access key's secret, the signature under it (`verify`),
/// and only then the nonce, so that a forged request cannot use up a nonce.
fn verify_then_use_nonce(
    access_key_id: &str,
    nonce: &str,
    secret_of: &impl Fn(&str) -> Option<Zeroizing<String>>,
    nonces: &Nonces,
    now: Timestamp,
    verify: impl FnOnce(&str) -> Result<(), SignatureError>,
) -> Result<(), AuthError> {
    let secret = secret_of(access_key_id).ok_or(AuthError::UnknownAccessKey)?;
    verify(&secret)?;
    if !nonces.first_use(access_key_id, nonce, now) {
        return Err(AuthError::NonceUsed);
    }
    Ok(())
}

/// Refuses a signing time outside the window, or before the nonces were made.
fn check_time(signed: &str, nonces: &Nonces, now: Timestamp) -> Result<(), AuthError> {
    let signed = parse_utc(signed).ok_or(AuthError::IllegalTimestamp)?;
    if signed.0.abs_diff(now.0) > WINDOW_MILLIS.unsigned_abs() || signed < nonces.started {
        return Err(AuthError::Expired);
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SSZ`, with an optional fraction of a second before the `Z` (which is dropped).
fn parse_utc(text: &str) -> Option<Timestamp> {
    let text = text.strip_suffix('Z')?;
    let text = text.split_once('.').map_or(
        text,
        |(whole, fraction)| {
            if fraction.bytes().all(|b| b.is_ascii_digit()) {
                whole
            } else {
                ""
            }
        },
    );
    let bytes = text.as_bytes();
    if bytes.len() != 19 || [4, 7].iter().any(|&i| bytes.get(i) != Some(&b'-')) || bytes.get(10) != Some(&b'T') {
        return None;
    }
    if [13, 16].iter().any(|&i| bytes.get(i) != Some(&b':')) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits.bytes().all(|b| b.is_ascii_digit()).then(|| digits.parse().ok())?
    };
    Timestamp::from_utc(UtcTime {
        year: number(0..4)?,
        month: number(5..7)?,
        day: number(8..10)?,
        hour: number(11..13)?,
        minute: number(14..16)?,
        second: number(17..19)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::signature::known_answers::{v3_headers, V3_QUERY};

    fn at(text: &str) -> Timestamp {
        parse_utc(text).unwrap()
    }

    fn secrets(access_key_id: &str) -> Option<Zeroizing<String>> {
        (access_key_id == "testAKID").then(|| Zeroizing::new("testSecret".to_owned()))
    }

    #[test]
    fn a_v3_request_is_believed_once_within_the_window() {
        let headers = v3_headers();
        let request = Arrived { method: "POST", headers: &headers, query: V3_QUERY, body: b"" };
        let nonces = Nonces::new(at("2023-12-31T23:50:00Z"));
        let now = at("2024-01-01T00:05:00Z");
        let authenticated = authenticate(&request, secrets, &nonces, now).unwrap();
        assert_eq!((authenticated.access_key_id.as_str(), authenticated.action.as_str()), ("testAKID", "Encrypt"));
        assert!(authenticated.params.contains(&("KeyId".to_owned(), "alias/my key+x".to_owned())));
        assert_eq!(authenticate(&request, secrets, &nonces, now), Err(AuthError::NonceUsed), "a replay");
        let fresh = Nonces::new(at("2023-12-31T23:50:00Z"));
        assert_eq!(authenticate(&request, secrets, &fresh, at("2024-01-01T00:15:01Z")), Err(AuthError::Expired));
        let restarted = Nonces::new(at("2024-01-01T00:01:00Z"));
        assert_eq!(
            authenticate(&request, secrets, &restarted, now),
            Err(AuthError::Expired),
            "signed before a restart"
        );
        let started_in_the_signing_second = Nonces::new(Timestamp(at("2024-01-01T00:00:00Z").0 + 500));
        assert!(
            authenticate(&request, secrets, &started_in_the_signing_second, now).is_ok(),
            "times are whole seconds"
        );
    }

    #[test]
    fn a_v3_request_with_another_body_key_or_secret_is_refused() {
        let headers = v3_headers();
        let now = at("2024-01-01T00:00:30Z");
        let nonces = || Nonces::new(at("2023-12-31T23:00:00Z"));
        let body = Arrived { method: "POST", headers: &headers, query: V3_QUERY, body: b"Recipient=x" };
        assert_eq!(authenticate(&body, secrets, &nonces(), now), Err(AuthError::BodyHashMismatch));
        let request = Arrived { method: "POST", headers: &headers, query: V3_QUERY, body: b"" };
        assert_eq!(authenticate(&request, |_| None, &nonces(), now), Err(AuthError::UnknownAccessKey));
        let wrong = authenticate(&request, |_| Some(Zeroizing::new("other".to_owned())), &nonces(), now);
        assert!(matches!(wrong, Err(AuthError::Signature(SignatureError::Mismatch { .. }))));
        let mut old_version = headers.clone();
        old_version.insert("x-acs-version", "2014-11-01".parse().unwrap());
        let request = Arrived { headers: &old_version, ..request };
        assert_eq!(authenticate(&request, secrets, &nonces(), now), Err(AuthError::InvalidVersion));
    }

    /// The RPC v1 known-answer request of alibaba-kms-api.md §1.3, encoded as the legacy SDK sends it (`%20`).
    #[test]
    fn an_rpc_request_is_believed_once_and_a_changed_one_is_not() {
        let query = "Action=Encrypt&Format=json&Version=2016-01-20&Timestamp=2024-01-01T00%3A00%3A00Z\
                     &SignatureNonce=0123456789abcdef0123456789abcdef&KeyId=alias%2Fmy%20key%2Bx&Plaintext=aGVsbG8%3D\
                     &EncryptionContext=%7B%22a%22%3A%22b%20c%22%7D&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0\
                     &AccessKeyId=testAKID&Signature=czutJW7xJKVlFvloSoeklHiybGQ%3D";
        let headers = http::HeaderMap::new();
        let request = Arrived { method: "POST", headers: &headers, query, body: b"" };
        let nonces = Nonces::new(at("2023-12-31T23:50:00Z"));
        let now = at("2024-01-01T00:00:00Z");
        let authenticated = authenticate(&request, secrets, &nonces, now).unwrap();
        assert_eq!(authenticated.action, "Encrypt");
        assert_eq!(authenticate(&request, secrets, &nonces, now), Err(AuthError::NonceUsed));
        let changed = query.replace("aGVsbG8%3D", "aGVsbG9%3D");
        let request = Arrived { query: &changed, ..request };
        let refused = authenticate(&request, secrets, &Nonces::new(at("2023-12-31T23:50:00Z")), now);
        let Err(AuthError::Signature(SignatureError::Mismatch { string_to_sign })) = refused else {
            panic!("{refused:?}");
        };
        assert!(string_to_sign.starts_with("POST&%2F&AccessKeyId%3DtestAKID%26Action%3DEncrypt"));
        let unsigned = Arrived { query: "Action=Encrypt&Version=2016-01-20", ..request };
        assert_eq!(authenticate(&unsigned, secrets, &nonces, now), Err(AuthError::MissingParameter("Signature")));
    }

    #[test]
    fn signing_times_parse_with_an_optional_fraction_and_nothing_else() {
        assert_eq!(at("2024-01-01T00:00:00.123Z"), at("2024-01-01T00:00:00Z"));
        for bad in ["2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01T00:00:00.xZ", ""]
        {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
