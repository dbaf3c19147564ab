//! SigV4 tests: AWS's documented known-answer cases (`vectors/sigv4/`) and round trips through aws-sigv4's signer.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

struct Vector {
    secret: String,
    now: Timestamp,
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn load(name: &str) -> Vector {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vectors/sigv4").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut v = Vector {
        secret: String::new(),
        now: Timestamp(0),
        method: String::new(),
        path: String::new(),
        query: String::new(),
        headers: HeaderMap::new(),
        body: vec![],
    };
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (field, value) = line.split_once(':').unwrap();
        let value = value.trim_start();
        match field {
            "secret" => v.secret = value.to_owned(),
            "now" => v.now = parse_amz_date(value).unwrap(),
            "method" => v.method = value.to_owned(),
            "path" => v.path = value.to_owned(),
            "query" => v.query = value.to_owned(),
            "header" => {
                let (name, value) = value.split_once(':').unwrap();
                v.headers.append(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value.trim_start()).unwrap(),
                );
            }
            "body" => v.body = value.as_bytes().to_vec(),
            other => panic!("unknown field {other}"),
        }
    }
    v
}

fn check(v: &Vector) -> Result<(), SigV4Error> {
    let auth = parse_authorization(&v.headers)?;
    let parts = RequestParts { method: &v.method, path: &v.path, query: &v.query, headers: &v.headers, body: &v.body };
    verify(&parts, &auth, &v.secret, "service", v.now)
}

#[test]
fn aws_documented_vectors_verify() {
    for name in ["get-vanilla.txt", "post-vanilla.txt"] {
        assert_eq!(check(&load(name)), Ok(()), "{name}");
    }
}

#[test]
fn a_changed_signature_or_secret_is_refused() {
    let mut v = load("get-vanilla.txt");
    v.secret.push('x');
    assert_eq!(check(&v), Err(SigV4Error::SignatureMismatch));
    let mut v = load("post-vanilla.txt");
    v.method = "GET".to_owned();
    assert_eq!(check(&v), Err(SigV4Error::SignatureMismatch));
}

#[test]
fn requests_outside_fifteen_minutes_are_refused() {
    let mut v = load("get-vanilla.txt");
    v.now = Timestamp(v.now.0 + MAX_SKEW_MILLIS + 1000);
    assert!(matches!(check(&v), Err(SigV4Error::Expired { .. })));
    v.now = Timestamp(v.now.0 - 2 * (MAX_SKEW_MILLIS + 1000));
    assert!(matches!(check(&v), Err(SigV4Error::NotYetCurrent { .. })));
}

#[test]
fn missing_authorization_is_distinguished_from_incomplete() {
    assert_eq!(parse_authorization(&HeaderMap::new()), Err(SigV4Error::MissingAuthentication));
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request"),
    );
    assert!(matches!(parse_authorization(&headers), Err(SigV4Error::Incomplete(_))));
}

#[test]
fn amz_dates_round_trip() {
    let t = parse_amz_date("20150830T123600Z").unwrap();
    assert_eq!(t, Timestamp(1_440_938_160_000));
    assert_eq!(format_amz_date(t), "20150830T123600Z");
    assert!(parse_amz_date("2015-08-30T12:36:00Z").is_none());
}

/// Signs a KMS-style request with aws-sigv4's client signer, as the SDKs do.
fn sign_with_aws_sigv4(body: &[u8], secret: &str, at: SystemTime) -> http::Request<Vec<u8>> {
    sign_uri_with_aws_sigv4("http://127.0.0.1:8300/", &[], body, secret, at)
}

/// Signs a request for `uri` with `extra` headers besides the KMS ones, with aws-sigv4's client signer.
fn sign_uri_with_aws_sigv4(
    uri: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    secret: &str,
    at: SystemTime,
) -> http::Request<Vec<u8>> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("host", "127.0.0.1:8300")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "TrentService.ListKeys");
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(body.to_vec()).unwrap();
    let identity = aws_credential_types::Credentials::new("AKIDTEST", secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("kms")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers: Vec<(&str, &str)> = request.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())).collect();
    let signable = SignableRequest::new("POST", uri, headers.into_iter(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request
}

fn parts_of(request: &http::Request<Vec<u8>>) -> RequestParts<'_> {
    RequestParts {
        method: request.method().as_str(),
        path: request.uri().path(),
        query: request.uri().query().unwrap_or(""),
        headers: request.headers(),
        body: request.body(),
    }
}

#[test]
fn paths_queries_and_spaced_header_values_signed_by_aws_sigv4_verify() {
    let now = SystemTime::now();
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("http://127.0.0.1:8300/a%20b/c~d", &[]),
        ("http://127.0.0.1:8300/?b=2&a=1&a=0&c=x%2By&d=%E2%82%AC&e", &[]),
        ("http://127.0.0.1:8300/", &[("x-amz-meta-note", "  runs   of  spaces  ")]),
        ("http://127.0.0.1:8300/", &[("x-amz-meta-a", "first"), ("x-amz-meta-b", "second")]),
    ];
    for (uri, extra) in cases {
        let request = sign_uri_with_aws_sigv4(uri, extra, b"{}", "s3cr3t", now);
        let auth = parse_authorization(request.headers()).unwrap();
        assert_eq!(verify(&parts_of(&request), &auth, "s3cr3t", "kms", timestamp_of(now)), Ok(()), "{uri} {extra:?}");
        let other_query = RequestParts { query: "z=1", ..parts_of(&request) };
        assert_eq!(
            verify(&other_query, &auth, "s3cr3t", "kms", timestamp_of(now)),
            Err(SigV4Error::SignatureMismatch),
            "{uri}"
        );
    }
}

#[test]
fn signed_headers_listed_unsorted_or_in_capitals_are_canonicalized() {
    let now = SystemTime::now();
    let request = sign_with_aws_sigv4(b"{}", "s3cr3t", now);
    let sent = request.headers()["authorization"].to_str().unwrap().to_owned();
    let auth = parse_authorization(request.headers()).unwrap();
    let listed = auth.signed_headers.to_string();
    let mut names: Vec<&str> = listed.split(';').collect();
    names.reverse();
    let reordered = names.join(";").to_ascii_uppercase();
    let mut headers = request.headers().clone();
    headers.insert("authorization", sent.replace(&listed, &reordered).parse().unwrap());
    let auth = parse_authorization(&headers).unwrap();
    assert_eq!(auth.signed_headers, reordered.to_ascii_lowercase());
    let parts = RequestParts { headers: &headers, ..parts_of(&request) };
    assert_eq!(verify(&parts, &auth, "s3cr3t", "kms", timestamp_of(now)), Ok(()));
}

#[test]
fn requests_signed_by_aws_sigv4_verify() {
    let now = SystemTime::now();
    let request = sign_with_aws_sigv4(b"{\"Limit\":5}", "s3cr3t", now);
    let auth = parse_authorization(request.headers()).unwrap();
    assert_eq!((auth.access_key_id, auth.region, auth.service), ("AKIDTEST", "eu-west-1", "kms"));
    let parts = RequestParts { method: "POST", path: "/", query: "", headers: request.headers(), body: request.body() };
    assert_eq!(verify(&parts, &auth, "s3cr3t", "kms", timestamp_of(now)), Ok(()));
    assert_eq!(
        verify(&parts, &auth, "s3cr3t", "s3", timestamp_of(now)),
        Err(SigV4Error::WrongService { expected: "s3".to_owned() })
    );
    let tampered = RequestParts { body: b"{\"Limit\":6}", ..parts };
    assert_eq!(verify(&tampered, &auth, "s3cr3t", "kms", timestamp_of(now)), Err(SigV4Error::SignatureMismatch));
    let late = timestamp_of(now + Duration::from_secs(16 * 60));
    assert!(matches!(verify(&parts, &auth, "s3cr3t", "kms", late), Err(SigV4Error::Expired { .. })));
}

#[test]
fn cached_signing_keys_verify_like_fresh_ones() {
    let cache = SigningKeyCache::new();
    let v = load("get-vanilla.txt");
    let auth = parse_authorization(&v.headers).unwrap();
    let parts = RequestParts { method: &v.method, path: &v.path, query: &v.query, headers: &v.headers, body: &v.body };
    for _ in 0..2 {
        assert_eq!(verify_with_cache(&parts, &auth, &v.secret, "service", v.now, &cache), Ok(()));
    }
    let tampered = RequestParts { method: "PUT", ..parts };
    assert_eq!(
        verify_with_cache(&tampered, &auth, &v.secret, "service", v.now, &cache),
        Err(SigV4Error::SignatureMismatch)
    );
}
