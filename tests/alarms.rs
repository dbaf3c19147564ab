//! Alarms on attempted use of a disabled or pending key (a warning, a `/metrics` counter) and the cancel-on-use
//! safety net (`Trent.SetCancelOnUse`): an attempted use of an armed key pending deletion cancels the deletion, the
//! caller still fails, and the cancellation is recorded with its reason.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;
use common::{error_code, TestServer};
use serde_json::json;

fn arm(server: &TestServer, key_id: &str, enabled: bool) -> serde_json::Value {
    let (status, _, body) =
        server.signed_dev("Trent.SetCancelOnUse", &json!({ "KeyId": key_id, "Enabled": enabled }).to_string());
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn attempts(server: &TestServer, key_id: &str, state: &str, operation: &str) -> u64 {
    let (status, body) = server.http("GET", "/metrics", &[], b"");
    assert_eq!(status, 200);
    let series = format!(
        "trent_disabled_key_use_attempts_total{{key_id=\"{key_id}\",key_state=\"{state}\",operation=\"{operation}\"}} "
    );
    body.lines().find_map(|line| line.strip_prefix(&series)).map_or(0, |count| count.trim().parse().unwrap())
}

#[tokio::test]
async fn attempted_uses_of_disabled_and_pending_keys_are_counted() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let blob = kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap().ciphertext_blob.unwrap();
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    for _ in 0..3 {
        kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    }
    kms.decrypt().ciphertext_blob(blob).send().await.unwrap_err();
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    kms.generate_data_key().key_id(&key_id).number_of_bytes(16).send().await.unwrap_err();
    assert_eq!(attempts(&server, &key_id, "Disabled", "Encrypt"), 3);
    assert_eq!(attempts(&server, &key_id, "Disabled", "Decrypt"), 1);
    assert_eq!(attempts(&server, &key_id, "PendingDeletion", "GenerateDataKey"), 1);
    assert_eq!(
        kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap().key_state(),
        Some(&KeyState::PendingDeletion),
        "unarmed: the deletion stays scheduled"
    );
}

#[tokio::test]
async fn an_armed_safety_net_cancels_the_deletion_on_the_first_attempted_use() {
    let server = TestServer::start();
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let (key_id, arn) = (key.key_id().to_owned(), key.arn().unwrap().to_owned());
    let blob = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("still needed"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(arm(&server, &key_id, true), json!({ "KeyId": arn, "CancelOnUse": true }));

    // A forgotten dependency tries to decrypt: it still fails, but the deletion is cancelled.
    let refused = kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap_err();
    assert_eq!(error_code(&refused), "KMSInvalidStateException");
    let key = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(key.key_state(), Some(&KeyState::Disabled));
    assert!(key.deletion_date().is_none());
    let cancel = server
        .audit_events()
        .into_iter()
        .find(|(name, k, record)| {
            name == "CancelKeyDeletion" && k.as_deref() == Some(arn.as_str()) && record.contains("AwsServiceEvent")
        })
        .expect("a service event records the cancellation");
    assert!(cancel.2.contains("cancel-on-use: attempted Decrypt"), "{}", cancel.2);

    // Nothing is exposed: the key is Disabled until someone enables it, and then the data is still there.
    assert_eq!(error_code(&kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap_err()), "DisabledException");
    kms.enable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(kms.decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap().as_ref(), b"still needed");

    // The net can be disarmed; then an attempt leaves the schedule alone.
    kms.schedule_key_deletion().key_id(&key_id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(arm(&server, &key_id, false)["CancelOnUse"], false);
    kms.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(
        kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap().key_state(),
        Some(&KeyState::PendingDeletion)
    );
}

/// A webhook receiver on loopback: answers 500 to the first delivery, 200 afterwards, and keeps every body.
fn webhook_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/alarms", listener.local_addr().unwrap());
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&bodies);
    std::thread::spawn(move || {
        for (count, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            seen.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
            let status = if count == 0 { "500 Internal Server Error" } else { "200 OK" };
            let _ = stream
                .write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes());
        }
    });
    (url, bodies)
}

#[tokio::test]
async fn alarms_reach_a_webhook_with_retries_and_never_slow_the_call() {
    let (url, bodies) = webhook_receiver();
    let server = TestServer::start_with(&["--alarm-webhook", &url]);
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    kms.disable_key().key_id(key.key_id()).send().await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        error_code(&kms.encrypt().key_id(key.key_id()).plaintext(Blob::new("x")).send().await.unwrap_err()),
        "DisabledException"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "the call did not wait for the webhook");

    let delivered = common::eventually(std::time::Duration::from_secs(5), || {
        let bodies = std::sync::Arc::clone(&bodies);
        async move { bodies.lock().unwrap().len() >= 2 }
    })
    .await;
    assert!(delivered, "the failed first delivery was retried");
    let bodies = bodies.lock().unwrap();
    let alarm: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
    assert_eq!(alarm["alarm"], "DisabledKeyUseAttempt");
    assert_eq!(alarm["keyArn"], key.arn().unwrap());
    assert_eq!((alarm["keyState"].as_str(), alarm["operation"].as_str()), (Some("Disabled"), Some("Encrypt")));
    assert_eq!(alarm["principal"], "arn:aws:iam::111122223333:root");
    assert_eq!(bodies[0], bodies[1], "the retry carries the same alarm");
}
