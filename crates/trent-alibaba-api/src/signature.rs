//! The two request signatures of Alibaba's RPC API, as the official SDKs compute them: V3 `ACS3-HMAC-SHA256` (the
//! Tea SDK's default: an `Authorization` header over a canonical request whose headers the client lists in
//! `SignedHeaders`) and RPC v1 `HMAC-SHA1` (the legacy SDK's default: a `Signature` parameter over every other
//! parameter). Sources: `alibaba-kms-api.md` §1.2 and §1.3 (the SDKs' `get_authorization`, `get_rpcsignature` and the
//! legacy `rpc_signature_composer`), whose known-answer vectors the tests below reproduce.
//!
//! The canonical strings are built here; aws-lc-rs computes hashes and MACs and compares them in constant time.
//! Checking the time window, the nonce and the body's hash against `x-acs-content-sha256` belongs to the caller.

use aws_lc_rs::hmac;
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The V3 algorithm the SDKs sign with by default.
pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Why a request's signature is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The `Authorization` header is not `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
    #[error("the Authorization header is malformed: {0}")]
    MalformedAuthorization(&'static str),
    /// A parameter is not valid percent-encoded UTF-8.
    #[error("a request parameter is not valid percent-encoded UTF-8")]
    MalformedParameter,
    /// A header the client says it signed is missing, or not text.
    #[error("the signed header {0} is missing or not text")]
    MissingSignedHeader(String),
    /// The signature does not match the request. `string_to_sign` is the server's, which Alibaba's own message shows.
    #[error("the signature does not match")]
    Mismatch {
        /// The string the server signed.
        string_to_sign: String,
    },
}

/// What RFC 3986 leaves unencoded: letters, digits and `-_.~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `text` with every byte but RFC 3986's unreserved ones percent-encoded, in upper-case hex (Python's
/// `quote(text, safe='~')`, which both SDKs use).
pub fn rfc3986(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The parameters of a query string or form body, in order: `+` is a space (the Tea SDK encodes with Python's
/// `urlencode`), then percent-escapes are decoded.
pub fn decode_params(encoded: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let decode = |text: &str| {
        let spaced = text.replace('+', " ");
        percent_decode_str(&spaced)
            .decode_utf8()
            .map(|t| t.into_owned())
            .map_err(|_| SignatureError::MalformedParameter)
    };
    encoded
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// `name=value` pairs, both RFC 3986-encoded, sorted by name and joined by `&`; `skip` is left out.
fn canonical_params(params: &[(String, String)], skip: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| Some(name.as_str()) != skip)
        .map(|(name, value)| (rfc3986(name), rfc3986(value)))
        .collect();
    pairs.sort();
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

/// A V3 `Authorization` header, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Authorization {
    /// The access key ID (`Credential=`).
    pub access_key_id: String,
    /// The headers the client signed, lower-case, in its order (`SignedHeaders=`).
    pub signed_headers: Vec<String>,
    /// The signature, lower-case hex (`Signature=`).
    pub signature: String,
}

impl V3Authorization {
    /// Parses `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`.
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        let rest = header
            .strip_prefix(V3_ALGORITHM)
            .and_then(|rest| rest.strip_prefix(' '))
            .ok_or(SignatureError::MalformedAuthorization("it does not start with ACS3-HMAC-SHA256"))?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',').map(str::trim) {
            match part.split_once('=') {
                Some(("Credential", value)) => credential = Some(value),
                Some(("SignedHeaders", value)) => signed_headers = Some(value),
                Some(("Signature", value)) => signature = Some(value),
                _ => return Err(SignatureError::MalformedAuthorization("an unknown part")),
            }
        }
        let missing = SignatureError::MalformedAuthorization;
        let signed_headers = signed_headers.ok_or(missing("no SignedHeaders"))?;
        Ok(Self {
            access_key_id: credential.filter(|c| !c.is_empty()).ok_or(missing("no Credential"))?.to_owned(),
            signed_headers: signed_headers.split(';').map(str::to_ascii_lowercase).collect(),
            signature: signature.filter(|s| !s.is_empty()).ok_or(missing("no Signature"))?.to_ascii_lowercase(),
        })
    }
}

/// The V3 canonical request: method, `/`, the query's canonical form, each signed header (`name:trimmed value`,
/// repeated values trimmed, sorted and joined by commas) in sorted order, the signed header names, and the payload's
/// hash as the client declared it (`x-acs-content-sha256`).
pub fn v3_canonical_request(
    method: &str,
    query: &[(String, String)],
    headers: &http::HeaderMap,
    signed_headers: &[String],
    payload_sha256: &str,
) -> Result<String, SignatureError> {
    let mut names: Vec<&str> = signed_headers.iter().map(String::as_str).collect();
    names.sort_unstable();
    let mut canonical_headers = String::new();
    for name in &names {
        let mut values = headers
            .get_all(*name)
            .iter()
            .map(|value| value.to_str().map(str::trim))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| SignatureError::MissingSignedHeader((*name).to_owned()))?;
        if values.is_empty() {
            return Err(SignatureError::MissingSignedHeader((*name).to_owned()));
        }
        values.sort_unstable();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    Ok(format!(
        "{method}\n/\n{}\n{canonical_headers}\n{}\n{payload_sha256}",
        canonical_params(query, None),
        names.join(";")
    ))
}

/// The V3 string to sign: the algorithm and the canonical request's SHA-256 in hex.
pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!("{V3_ALGORITHM}\n{}", trent_sigv4::sha256_hex(canonical_request.as_bytes()))
}

/// Checks a V3 signature: HMAC-SHA256 of `string_to_sign` under the secret itself, in hex.
pub fn verify_v3(authorization: &V3Authorization, string_to_sign: &str, secret: &str) -> Result<(), SignatureError> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let claimed = hex::decode(&authorization.signature).unwrap_or_default();
    hmac::verify(&key, string_to_sign.as_bytes(), &claimed)
        .map_err(|_| SignatureError::Mismatch { string_to_sign: string_to_sign.to_owned() })
}

/// The RPC v1 string to sign: the method, `%2F`, and the canonical form of every parameter but `Signature`, itself
/// encoded once more.
pub fn rpc_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    format!("{method}&%2F&{}", rfc3986(&canonical_params(params, Some("Signature"))))
}

/// Checks an RPC v1 signature: base64 of HMAC-SHA1 of `string_to_sign` under the secret followed by `&`.
pub fn verify_rpc(signature: &str, string_to_sign: &str, secret: &str) -> Result<(), SignatureError> {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, format!("{secret}&").as_bytes());
    let claimed = base64::engine::general_purpose::STANDARD.decode(signature).unwrap_or_default();
    hmac::verify(&key, string_to_sign.as_bytes(), &claimed)
        .map_err(|_| SignatureError::Mismatch { string_to_sign: string_to_sign.to_owned() })
}

/// The V3 known-answer request of alibaba-kms-api.md §1.2, computed with the Tea SDK's own `get_authorization`, for
/// the tests of this crate.
#[cfg(test)]
pub(crate) mod known_answers {
    #![allow(clippy::unwrap_used)]

    /// SHA-256 of the empty body.
    pub(crate) const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// The query as the Tea SDK sends it (Python's urlencode: a space is `+`).
    pub(crate) const V3_QUERY: &str =
        "KeyId=alias%2Fmy+key%2Bx&Plaintext=aGVsbG8%3D&EncryptionContext=%7B%22a%22%3A%22b+c%22%7D";

    /// Its headers, signed by `testAKID` with `testSecret` (and one the transport adds after signing).
    pub(crate) fn v3_headers() -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for (name, value) in [
            ("host", "127.0.0.1:8080"),
            ("x-acs-version", "2016-01-20"),
            ("x-acs-action", "Encrypt"),
            ("user-agent", "test-agent"),
            ("x-acs-date", "2024-01-01T00:00:00Z"),
            ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
            ("accept", "application/json"),
            ("x-acs-content-sha256", EMPTY_SHA256),
            ("accept-encoding", "identity"),
            (
                "authorization",
                "ACS3-HMAC-SHA256 Credential=testAKID,SignedHeaders=accept;host;user-agent;x-acs-action;\
                 x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,\
                 Signature=f0b894f8aba17ad6c123dc7fc8115e500d141cbc63cd8aacc7aa4fd37fb36eec",
            ),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use known_answers::EMPTY_SHA256;

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn v3_vector() -> (Vec<(String, String)>, http::HeaderMap, V3Authorization) {
        let headers = known_answers::v3_headers();
        let authorization = V3Authorization::parse(headers.get("authorization").unwrap().to_str().unwrap()).unwrap();
        (decode_params(known_answers::V3_QUERY).unwrap(), headers, authorization)
    }

    #[test]
    fn a_tea_sdk_v3_request_verifies_as_the_sdk_signed_it() {
        let (query, headers, authorization) = v3_vector();
        assert_eq!(query.get(2), Some(&("EncryptionContext".to_owned(), r#"{"a":"b c"}"#.to_owned())));
        let canonical =
            v3_canonical_request("POST", &query, &headers, &authorization.signed_headers, EMPTY_SHA256).unwrap();
        assert_eq!(
            canonical,
            "POST\n/\nEncryptionContext=%7B%22a%22%3A%22b%20c%22%7D&KeyId=alias%2Fmy%20key%2Bx&Plaintext=aGVsbG8%3D\n\
             accept:application/json\nhost:127.0.0.1:8080\nuser-agent:test-agent\nx-acs-action:Encrypt\n\
             x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:0123456789abcdef0123456789abcdef\n\
             x-acs-version:2016-01-20\n\n\
             accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let string_to_sign = v3_string_to_sign(&canonical);
        assert_eq!(
            string_to_sign,
            "ACS3-HMAC-SHA256\ncf6377980abc19c80ddfe23adc17951ba3ce05ac829fe30fed9c97f607196b09"
        );
        assert_eq!(authorization.access_key_id, "testAKID");
        assert_eq!(verify_v3(&authorization, &string_to_sign, "testSecret"), Ok(()));
        assert!(matches!(
            verify_v3(&authorization, &string_to_sign, "otherSecret"),
            Err(SignatureError::Mismatch { .. })
        ));
    }

    #[test]
    fn a_changed_parameter_or_a_missing_signed_header_fails_v3() {
        let (mut query, mut headers, authorization) = v3_vector();
        if let Some(param) = query.get_mut(1) {
            param.1 = "Z29vZGJ5ZQ==".to_owned();
        }
        let canonical =
            v3_canonical_request("POST", &query, &headers, &authorization.signed_headers, EMPTY_SHA256).unwrap();
        assert!(verify_v3(&authorization, &v3_string_to_sign(&canonical), "testSecret").is_err());
        headers.remove("user-agent");
        assert_eq!(
            v3_canonical_request("POST", &query, &headers, &authorization.signed_headers, EMPTY_SHA256),
            Err(SignatureError::MissingSignedHeader("user-agent".to_owned()))
        );
    }

    #[test]
    fn malformed_v3_authorizations_are_refused() {
        for header in [
            "",
            "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
            "ACS3-HMAC-SHA256 SignedHeaders=host,Signature=00",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=00,Extra=1",
        ] {
            assert!(
                matches!(V3Authorization::parse(header), Err(SignatureError::MalformedAuthorization(_))),
                "{header}"
            );
        }
    }

    /// The worked example of Alibaba's Signature.md, with its string to sign corrected (alibaba-kms-api.md §1.3).
    #[test]
    fn the_documented_rpc_example_signs_as_alibaba_printed_it() {
        let params = owned(&[
            ("AccessKeyId", "testid"),
            ("Action", "CreateKey"),
            ("Format", "json"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-03-28T03:13:08Z"),
            ("Version", "2016-01-20"),
        ]);
        let string_to_sign = rpc_string_to_sign("GET", &params);
        assert_eq!(
            string_to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateKey%26Format%3Djson%26SignatureMethod%3DHMAC-SHA1\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-03-28T03%253A13%253A08Z%26Version%3D2016-01-20"
        );
        assert_eq!(verify_rpc("41wk2SSX1GJh7fwnc5eqOfiJPFg=", &string_to_sign, "testsecret"), Ok(()));
    }

    #[test]
    fn an_rpc_request_verifies_as_the_sdk_signed_it_and_a_changed_one_does_not() {
        let mut params = owned(&[
            ("Action", "Encrypt"),
            ("Format", "json"),
            ("Version", "2016-01-20"),
            ("Timestamp", "2024-01-01T00:00:00Z"),
            ("SignatureNonce", "0123456789abcdef0123456789abcdef"),
            ("KeyId", "alias/my key+x"),
            ("Plaintext", "aGVsbG8="),
            ("EncryptionContext", r#"{"a":"b c"}"#),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("AccessKeyId", "testAKID"),
            ("Signature", "czutJW7xJKVlFvloSoeklHiybGQ="),
        ]);
        let signature = "czutJW7xJKVlFvloSoeklHiybGQ=";
        assert_eq!(verify_rpc(signature, &rpc_string_to_sign("POST", &params), "testSecret"), Ok(()));
        assert!(verify_rpc(signature, &rpc_string_to_sign("GET", &params), "testSecret").is_err());
        if let Some(param) = params.get_mut(6) {
            param.1 = "Z29vZGJ5ZQ==".to_owned();
        }
        assert!(verify_rpc(signature, &rpc_string_to_sign("POST", &params), "testSecret").is_err());
        assert!(verify_rpc("not base64!", &rpc_string_to_sign("POST", &params), "testSecret").is_err());
    }

    #[test]
    fn parameters_decode_plus_as_a_space_and_refuse_invalid_utf8() {
        assert_eq!(
            decode_params("KeyId=alias%2Fmy+key%2Bx&SignatureType=&&Flag").unwrap(),
            owned(&[("KeyId", "alias/my key+x"), ("SignatureType", ""), ("Flag", "")])
        );
        assert_eq!(decode_params("A=%FF"), Err(SignatureError::MalformedParameter));
        assert_eq!(rfc3986("a b*~/é"), "a%20b%2A~%2F%C3%A9");
    }
}
