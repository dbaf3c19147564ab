//! The wire protocol at the byte level: request IDs, unknown and unbuilt operations, malformed bodies, oversized
//! requests and the dev-only routes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{wire_type, TestServer};

#[tokio::test]
async fn every_response_carries_a_uuid_request_id_and_json_type() {
    let server = TestServer::start();
    for (target, body) in [("TrentService.ListKeys", "{}"), ("TrentService.DescribeKey", "{}")] {
        let (_, headers, _) = server.signed_dev(target, body);
        let id = headers.iter().find(|(k, _)| k == "x-amzn-requestid").map(|(_, v)| v.clone()).expect("request id");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        assert!(headers.iter().any(|(k, v)| k == "content-type" && v == "application/x-amz-json-1.1"));
    }
}

#[tokio::test]
async fn unknown_targets_are_unknown_operations() {
    let server = TestServer::start();
    let (status, _, body) = server.signed_dev("TrentService.MakeCoffee", "{}");
    assert_eq!((status, wire_type(&body).as_str()), (400, "UnknownOperationException"));
}

#[tokio::test]
async fn operations_not_built_yet_name_themselves() {
    let server = TestServer::start();
    let (status, _, body) = server.signed_dev("TrentService.CreateCustomKeyStore", "{}");
    assert_eq!((status, wire_type(&body).as_str()), (400, "UnsupportedOperationException"));
    assert!(body.contains("CreateCustomKeyStore"), "{body}");
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_serialization_errors() {
    let server = TestServer::start();
    for body in ["{not json", "[1,2]", r#"{"Limit":"ten"}"#, r#"{"Limit":1.5}"#] {
        let (status, _, response) = server.signed_dev("TrentService.ListKeys", body);
        assert_eq!((status, wire_type(&response).as_str()), (400, "SerializationException"), "{body}");
    }
    let (_, _, response) =
        server.signed_dev("TrentService.Encrypt", r#"{"KeyId":"alias/x","Plaintext":"%%%not base64"}"#);
    assert_eq!(wire_type(&response), "SerializationException");
}

#[tokio::test]
async fn several_violations_are_reported_together() {
    let server = TestServer::start();
    let (_, _, body) = server.signed_dev("TrentService.ListKeys", r#"{"Limit":0,"Marker":""}"#);
    assert_eq!(wire_type(&body), "ValidationException");
    assert!(body.contains("2 validation errors detected"), "{body}");
}

#[tokio::test]
async fn oversized_requests_are_refused_before_they_are_read() {
    use std::io::{Read, Write};
    let server = TestServer::start();
    // Declare a body larger than the limit and send none of it: the answer must come from the header alone.
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: TrentService.CreateKey\r\ncontent-length: {}\r\n\r\n",
        server.addr,
        600 * 1024
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut response = vec![0u8; 4096];
    let read = stream.read(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response[..read]).into_owned();
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("RequestEntityTooLargeException"), "{text}");
}

#[tokio::test]
async fn internal_details_never_reach_the_wire_and_key_material_never_reaches_the_database() {
    let server = TestServer::start();
    let kms = server.client();
    let plaintext = "PLAINTEXT-MARKER-7f3a";
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    kms.encrypt().key_id(key.key_id()).plaintext(aws_sdk_kms::primitives::Blob::new(plaintext)).send().await.unwrap();
    let stored = server.stored_bytes();
    assert!(!stored.is_empty());
    assert!(!stored.windows(plaintext.len()).any(|w| w == plaintext.as_bytes()), "plaintext in the database");
    for (_, _, record) in server.audit_events() {
        assert!(!record.contains(plaintext));
    }
}

#[tokio::test]
async fn dev_routes_exist_only_in_dev_mode() {
    let dev = TestServer::start();
    assert_eq!(dev.http("GET", "/_trent/clock", &[], b"").0, 200);
    let (status, body) = dev.http("POST", "/_trent/clock", &[], br#"{"advance_seconds": -5}"#);
    assert_eq!(status, 400, "{body}");

    let temp = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_trent"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--log", "warn", "--data-dir"])
        .arg(temp.path())
        .stdout(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let mut printed = Vec::new();
    let addr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.strip_prefix("Trent listening on http://") {
            break rest.to_owned();
        }
        printed.push(line);
    };
    // First normal start: an account and administrator key are printed and written with mode 0600.
    assert!(printed.iter().any(|l| l.contains("access key ID:")), "{printed:?}");
    let credentials = temp.path().join("admin-credentials");
    let text = std::fs::read_to_string(&credentials).unwrap();
    assert!(text.contains("aws_access_key_id = AKIA") && text.contains("aws_secret_access_key = "));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&credentials).unwrap().permissions().mode() & 0o777, 0o600);

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::{Read, Write};
    stream
        .write_all(format!("GET /_trent/clock HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    child.kill().unwrap();
    child.wait().unwrap();
}
