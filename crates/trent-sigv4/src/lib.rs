//! Server-side AWS Signature Version 4 verification (header-based, `AWS4-HMAC-SHA256`).
//!
//! The signing key and signature come from `aws-sigv4`'s own functions; hashing is aws-lc-rs; the comparison is
//! constant-time. This crate knows HTTP only through the `http` types and knows nothing of any server framework.
#![warn(missing_docs)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hmac};
use http::HeaderMap;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use trent_domain::{Timestamp, UtcTime};

/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_SKEW_MILLIS: i64 = 15 * 60 * 1000;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Why a request's signature was refused. The wire mapping lives in the API edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header at all.
    #[error("Missing Authentication Token")]
    MissingAuthentication,
    /// The header is present but lacks a part, or a part is malformed.
    #[error("{0}")]
    Incomplete(String),
    /// The credential scope names another service.
    #[error("Credential should be scoped to correct service: '{expected}'. ")]
    WrongService {
        /// The service this server is.
        expected: String,
    },
    /// The request is older than the allowed skew.
    #[error("Signature expired: {signed} is now earlier than {earliest} ({now} - 15 min.)")]
    Expired {
        /// The request's `X-Amz-Date`.
        signed: String,
        /// The earliest acceptable time.
        earliest: String,
        /// The server's time.
        now: String,
    },
    /// The request is dated further in the future than the allowed skew.
    #[error("Signature not yet current: {signed} is still later than {latest} ({now} + 15 min.)")]
    NotYetCurrent {
        /// The request's `X-Amz-Date`.
        signed: String,
        /// The latest acceptable time.
        latest: String,
        /// The server's time.
        now: String,
    },
    /// The signature does not match.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    SignatureMismatch,
}

/// The parts of an `Authorization` header, borrowed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The access key ID that signed.
    pub access_key_id: &'a str,
    /// The scope date, `YYYYMMDD`.
    pub scope_date: &'a str,
    /// The scope region: the region of the request.
    pub region: &'a str,
    /// The scope service.
    pub service: &'a str,
    /// The signed header names, `;`-separated and lowercase (SigV4 writes them so; a header that is not is
    /// lowercased here).
    pub signed_headers: Cow<'a, str>,
    /// The hex signature.
    pub signature: &'a str,
    /// The whole credential scope as sent, `AKID/YYYYMMDD/region/service/aws4_request`: what a signing key depends on
    /// besides the secret.
    pub credential: &'a str,
}

impl Authorization<'_> {
    /// The signed header names, lowercase, as listed.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';')
    }
}

/// The parts of an HTTP request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// `POST`, `GET`, …
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The request body.
    pub body: &'a [u8],
}

/// Reads the `Authorization` header. Fails with `MissingAuthentication` when there is none.
pub fn parse_authorization(headers: &HeaderMap) -> Result<Authorization<'_>, SigV4Error> {
    let value = headers.get(http::header::AUTHORIZATION).ok_or(SigV4Error::MissingAuthentication)?;
    let value =
        value.to_str().map_err(|_| SigV4Error::Incomplete("Authorization header is not valid text.".to_owned()))?;
    let rest = value.strip_prefix(ALGORITHM).filter(|r| r.starts_with(' ')).ok_or_else(|| {
        SigV4Error::Incomplete(format!("Unsupported AWS 'algorithm': '{}'", value.split(' ').next().unwrap_or("")))
    })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let missing = |name: &str| {
        SigV4Error::Incomplete(format!("Authorization header requires '{name}' parameter. Authorization={value}"))
    };
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let mut scope = credential.split('/');
    let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator), None) =
        (scope.next(), scope.next(), scope.next(), scope.next(), scope.next(), scope.next())
    else {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if terminator != "aws4_request" {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
        )));
    }
    if access_key_id.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::Incomplete(format!("Credential is malformed: '{credential}'")));
    }
    let signed_headers = if signed_headers.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(signed_headers.to_ascii_lowercase())
    } else {
        Cow::Borrowed(signed_headers)
    };
    Ok(Authorization { access_key_id, scope_date: date, region, service, signed_headers, signature, credential })
}

/// Derived signing keys by (access key ID, scope date, region, service): SigV4's key derivation is four HMACs that
/// only change once a day, so a server keeps them. Callers must use one secret per access key ID.
/// Keys are the credential scope as sent, so a lookup needs no allocation.
#[derive(Debug, Default)]
pub struct SigningKeyCache {
    keys: RwLock<HashMap<String, Arc<hmac::Key>>>,
}

/// How many derived keys a cache holds before it starts afresh (a day's keys of many clients).
const SIGNING_KEY_CACHE_LIMIT: usize = 4096;

impl SigningKeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn signing_key(&self, authorization: &Authorization, secret: &str, signing_time: SystemTime) -> Arc<hmac::Key> {
        if let Some(key) = self.keys.read().unwrap_or_else(|p| p.into_inner()).get(authorization.credential) {
            return Arc::clone(key);
        }
        let derived = aws_sigv4::sign::v4::generate_signing_key(
            secret,
            signing_time,
            authorization.region,
            authorization.service,
        );
        let key = Arc::new(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()));
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= SIGNING_KEY_CACHE_LIMIT {
            keys.clear();
        }
        keys.insert(authorization.credential.to_owned(), Arc::clone(&key));
        key
    }
}

/// Verifies `request` against its parsed `authorization`, the signer's `secret`, the `service` this server is,
/// and the server's wall clock `now`.
pub fn verify(
    request: &RequestParts<'_>,
    authorization: &Authorization,
    secret: &str,
    service: &str,
    now: Timestamp,
) -> Result<(), SigV4Error> {
    verify_with_cache(request, authorization, secret, service, now, &SigningKeyCache::new())
}

/// [`verify`], reusing signing keys derived earlier.
pub fn verify_with_cache(
    request: &RequestParts<'_>,
    authorization: &Authorization,
    secret: &str,
    service: &str,
    now: Timestamp,
    cache: &SigningKeyCache,
) -> Result<(), SigV4Error> {
    if authorization.service != service {
        return Err(SigV4Error::WrongService { expected: service.to_owned() });
    }
    let amz_date = header_text(request.headers, "x-amz-date").ok_or_else(|| {
        SigV4Error::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".to_owned(),
        )
    })?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        SigV4Error::Incomplete(format!("X-Amz-Date '{amz_date}' is not in the form YYYYMMDD'T'HHMMSS'Z'."))
    })?;
    if signed_at.0 < now.0 - MAX_SKEW_MILLIS {
        return Err(SigV4Error::Expired {
            signed: amz_date.to_owned(),
            earliest: format_amz_date(Timestamp(now.0 - MAX_SKEW_MILLIS)),
            now: format_amz_date(now),
        });
    }
    if signed_at.0 > now.0 + MAX_SKEW_MILLIS {
        return Err(SigV4Error::NotYetCurrent {
            signed: amz_date.to_owned(),
            latest: format_amz_date(Timestamp(now.0 + MAX_SKEW_MILLIS)),
            now: format_amz_date(now),
        });
    }
    if amz_date.get(..8) != Some(authorization.scope_date) {
        return Err(SigV4Error::SignatureMismatch);
    }
    if !authorization.signed_header_names().any(|h| h == "host") {
        return Err(SigV4Error::Incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned()));
    }
    let mut canonical = String::with_capacity(512 + request.path.len() + request.query.len());
    canonical_request(request, &authorization.signed_headers, &mut canonical)?;
    let mut canonical_hash = [0u8; 64];
    let canonical_hash = trent_domain::hex::sha256_hex_into(
        digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref(),
        &mut canonical_hash,
    );
    let signing_time = UNIX_EPOCH + Duration::from_millis(u64::try_from(signed_at.0).unwrap_or(0));
    let signing_key = cache.signing_key(authorization, secret, signing_time);
    // The string to sign, fed to the MAC in its parts.
    let mut mac = hmac::Context::with_key(&signing_key);
    let (date, region, name) = (authorization.scope_date, authorization.region, authorization.service);
    for part in [ALGORITHM, "\n", amz_date, "\n", date, "/", region, "/", name, "/aws4_request\n", canonical_hash] {
        mac.update(part.as_bytes());
    }
    let mut expected = [0u8; 64];
    let expected = trent_domain::hex::sha256_hex_into(mac.sign().as_ref(), &mut expected);
    // Constant-time: the comparison's duration does not depend on how many leading characters match.
    #[allow(deprecated)]
    let equal =
        aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), authorization.signature.as_bytes())
            .is_ok();
    if equal {
        Ok(())
    } else {
        Err(SigV4Error::SignatureMismatch)
    }
}

/// Hex SHA-256, as SigV4 uses for the payload and the canonical request.
pub fn sha256_hex(bytes: &[u8]) -> String {
    trent_domain::hex::lower_hex(digest::digest(&digest::SHA256, bytes).as_ref())
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Writes SigV4's canonical request for the `;`-separated, lowercase `signed_headers` into `out` (it is built for
/// every request, so into one buffer and without a copy of the names when they are listed sorted, as SigV4 says).
fn canonical_request(request: &RequestParts<'_>, signed_headers: &str, out: &mut String) -> Result<(), SigV4Error> {
    out.push_str(request.method);
    out.push('\n');
    push_canonical_uri(out, request.path);
    out.push('\n');
    push_canonical_query(out, request.query);
    out.push('\n');
    if signed_headers.split(';').is_sorted() {
        push_canonical_headers(out, request.headers, signed_headers.split(';'))?;
        out.push_str(signed_headers);
    } else {
        let mut sorted: Vec<&str> = signed_headers.split(';').collect();
        sorted.sort_unstable();
        push_canonical_headers(out, request.headers, sorted.iter().copied())?;
        out.push_str(&sorted.join(";"));
    }
    out.push('\n');
    let mut payload_hash = [0u8; 64];
    out.push_str(trent_domain::hex::sha256_hex_into(
        digest::digest(&digest::SHA256, request.body).as_ref(),
        &mut payload_hash,
    ));
    Ok(())
}

/// Writes each signed header as `name:value` lines, its values joined by commas, then the empty line after them.
fn push_canonical_headers<'n>(
    out: &mut String,
    headers: &HeaderMap,
    names: impl Iterator<Item = &'n str>,
) -> Result<(), SigV4Error> {
    for name in names {
        let mut values = headers.get_all(name).iter().peekable();
        if values.peek().is_none() {
            return Err(SigV4Error::SignatureMismatch);
        }
        out.push_str(name);
        out.push(':');
        for (index, value) in values.enumerate() {
            if index > 0 {
                out.push(',');
            }
            push_collapsed(out, value.to_str().map_err(|_| SigV4Error::SignatureMismatch)?);
        }
        out.push('\n');
    }
    out.push('\n');
    Ok(())
}

/// Appends `value` trimmed, with each run of whitespace inside it collapsed to one space.
fn push_collapsed(out: &mut String, value: &str) {
    for (index, word) in value.split_whitespace().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - _ . ~`), as SigV4 encodes them.
const SIGV4_ENCODED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// The same, keeping `/` (the path's separators).
const SIGV4_ENCODED_PATH: &AsciiSet = &SIGV4_ENCODED.remove(b'/');

/// Percent-encodes every byte outside RFC 3986's unreserved set, in upper-case hex.
fn uri_encode(input: &str) -> String {
    utf8_percent_encode(input, SIGV4_ENCODED).to_string()
}

/// Decodes a query component as clients send it: `%XX` escapes, and `+` for a space.
fn percent_decode(input: &str) -> String {
    percent_decode_str(&input.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// Writes the canonical URI of a non-S3 service: the path as sent, encoded once more (AWS's "double encoding").
fn push_canonical_uri(out: &mut String, path: &str) {
    if path.is_empty() {
        out.push('/');
    } else {
        out.extend(utf8_percent_encode(path, SIGV4_ENCODED_PATH));
    }
}

/// Writes the canonical query: each name and value decoded, encoded as SigV4 does, sorted.
fn push_canonical_query(out: &mut String, query: &str) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k)), uri_encode(&percent_decode(v)))
        })
        .collect();
    pairs.sort();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

/// Parses `20150830T123600Z`.
pub fn parse_amz_date(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> { text.get(range)?.parse().ok() };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    Timestamp::from_utc(UtcTime { year, month, day, hour, minute, second })
}

/// Formats a time as `20150830T123600Z`.
pub fn format_amz_date(at: Timestamp) -> String {
    let t = at.to_utc();
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year, t.month, t.day, t.hour, t.minute, t.second)
}

/// Converts a system time into a timestamp; used by tests and the benchmark's signer.
pub fn timestamp_of(time: SystemTime) -> Timestamp {
    Timestamp(time.duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0))
}

#[cfg(test)]
mod tests;
