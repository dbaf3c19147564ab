//! Authentication and isolation: SigV4 on every request, unknown keys, wrong secrets, stale dates, other services,
//! regions outside `--regions`, and keys invisible across regions and accounts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, SystemTime};

use common::{error_code, wire_type, TestServer};

#[tokio::test]
async fn wrong_secret_unknown_key_and_missing_signature_are_refused() {
    let server = TestServer::start();
    let e = server.client_for("us-east-1", "test", "wrong").list_keys().send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidSignatureException");
    let e = server.client_for("us-east-1", "AKIANOBODY", "x").list_keys().send().await.unwrap_err();
    assert_eq!(error_code(&e), "UnrecognizedClientException");

    let (status, headers, body) =
        server.http_full("POST", "/", &[("x-amz-target", "TrentService.ListKeys".to_owned())], b"{}");
    assert_eq!((status, wire_type(&body).as_str()), (403, "MissingAuthenticationTokenException"));
    assert!(headers.iter().any(|(k, _)| k == "x-amzn-requestid"));
}

#[tokio::test]
async fn signatures_older_or_newer_than_fifteen_minutes_are_refused() {
    let server = TestServer::start();
    let old = SystemTime::now() - Duration::from_secs(16 * 60);
    let (status, _, body) = server.signed("TrentService.ListKeys", "{}", "us-east-1", "test", "test", old);
    assert_eq!((status, wire_type(&body).as_str()), (400, "InvalidSignatureException"));
    assert!(body.contains("Signature expired"), "{body}");
    let future = SystemTime::now() + Duration::from_secs(16 * 60);
    let (_, _, body) = server.signed("TrentService.ListKeys", "{}", "us-east-1", "test", "test", future);
    assert!(body.contains("Signature not yet current"), "{body}");
    let recent = SystemTime::now() - Duration::from_secs(10 * 60);
    let (status, _, _) = server.signed("TrentService.ListKeys", "{}", "us-east-1", "test", "test", recent);
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_signature_covers_the_body() {
    let server = TestServer::start();
    // Sign one body, send another: the server hashes what it received.
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let identity = aws_sdk_kms::config::Credentials::new("test", "test", None, None, "t").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("kms")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let host = server.addr.to_string();
    let headers = [("host", host.as_str()), ("x-amz-target", "TrentService.ListKeys")];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{host}/"),
        headers.into_iter(),
        SignableBody::Bytes(b"{\"Limit\":1}"),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut sent: Vec<(&str, String)> = vec![("x-amz-target", "TrentService.ListKeys".to_owned())];
    for (name, value) in instructions.headers() {
        sent.push((name, value.to_owned()));
    }
    let (status, _, body) = server.http_full("POST", "/", &sent, b"{\"Limit\":2}");
    assert_eq!((status, wire_type(&body).as_str()), (400, "InvalidSignatureException"));
}

#[tokio::test]
async fn keys_live_in_one_region_and_are_invisible_elsewhere() {
    let server = TestServer::start();
    let east = server.client_for("us-east-1", "test", "test");
    let west = server.client_for("eu-west-1", "test", "test");
    let key = east.create_key().send().await.unwrap().key_metadata.unwrap();
    assert!(key.arn().unwrap().starts_with("arn:aws:kms:us-east-1:111122223333:key/"));
    assert_eq!(error_code(&west.describe_key().key_id(key.key_id()).send().await.unwrap_err()), "NotFoundException");
    assert_eq!(
        error_code(&west.describe_key().key_id(key.arn().unwrap()).send().await.unwrap_err()),
        "NotFoundException"
    );
    assert!(west.list_keys().send().await.unwrap().keys().is_empty());
    let west_key = west.create_key().send().await.unwrap().key_metadata.unwrap();
    assert!(west_key.arn().unwrap().starts_with("arn:aws:kms:eu-west-1:"));
}

#[tokio::test]
async fn regions_outside_the_configured_list_are_refused() {
    let server = TestServer::start_with(&["--regions", "us-east-1,eu-central-1"]);
    assert!(server.client_for("eu-central-1", "test", "test").list_keys().send().await.is_ok());
    let e = server.client_for("ap-south-1", "test", "test").list_keys().send().await.unwrap_err();
    assert_eq!(error_code(&e), "InvalidSignatureException");
}

#[tokio::test]
async fn an_account_reaches_another_s_key_only_by_arn_only_as_its_policy_allows_and_never_to_delete_it() {
    let server = TestServer::start_with(&["--credential", "AKIAOTHERACCOUNT:other-secret:444455556666"]);
    let ours = server.client();
    let theirs = server.client_for("us-east-1", "AKIAOTHERACCOUNT", "other-secret");
    let key = ours.create_key().send().await.unwrap().key_metadata.unwrap();
    let their_key = theirs.create_key().send().await.unwrap().key_metadata.unwrap();
    assert_eq!(their_key.aws_account_id(), Some("444455556666"));
    // By bare ID, the key is looked for in the caller's own account; by ARN it is found, and its policy (AWS's
    // default, which names only its own account) refuses, as AWS does.
    let by_id = theirs.describe_key().key_id(key.key_id()).send().await.unwrap_err();
    assert_eq!(error_code(&by_id), "NotFoundException");
    let by_arn = theirs.describe_key().key_id(key.arn().unwrap()).send().await.unwrap_err();
    assert_eq!(error_code(&by_arn), "AccessDeniedException");
    for id in [key.key_id(), key.arn().unwrap()] {
        assert_eq!(
            error_code(&theirs.schedule_key_deletion().key_id(id).send().await.unwrap_err()),
            "NotFoundException"
        );
    }
    let listed: Vec<String> =
        theirs.list_keys().send().await.unwrap().keys().iter().map(|k| k.key_id().unwrap().to_owned()).collect();
    assert_eq!(listed, [their_key.key_id().to_owned()]);
    assert_eq!(
        ours.describe_key()
            .key_id(key.key_id())
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .key_state()
            .unwrap()
            .as_str(),
        "Enabled"
    );
}
