//! Nothing acknowledged is lost: keys and their audited calls (many at once, too) survive `kill -9`, deletion dates
//! survive restarts, a server stopped through a whole waiting period deletes on its next start, a wrong root key is
//! refused, and SIGTERM stops cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use aws_sdk_kms::primitives::Blob;
use common::{error_code, eventually, TestServer};

const DAY: u64 = 86_400;

#[tokio::test]
async fn a_key_created_before_kill_9_exists_after_restart_and_still_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let _db = common::DatabaseGuard::for_dir(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    let kms = server.client();
    let key_id =
        kms.create_key().description("survivor").send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let blob =
        kms.encrypt().key_id(&key_id).plaintext(Blob::new("kept")).send().await.unwrap().ciphertext_blob.unwrap();
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    server.kill_9();

    let server = TestServer::start_in(dir.path(), &[]);
    let kms = server.client();
    let key = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(key.description(), Some("survivor"));
    assert_eq!(key.key_state().unwrap().as_str(), "Disabled", "the acknowledged DisableKey survived too");
    kms.enable_key().key_id(&key_id).send().await.unwrap();
    let plain = kms.decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap();
    assert_eq!(plain.as_ref(), b"kept");
    // Every call is audited by default: the acknowledged Encrypt's record survived the kill as well.
    let query = serde_json::json!({ "KeyId": key_id, "EventName": "Encrypt" }).to_string();
    let (status, _, text) = server.signed_dev("Trent.ListAuditEvents", &query);
    assert_eq!(status, 200, "{text}");
    let events: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(events["Events"].as_array().map(Vec::len), Some(1), "the Encrypt answered before the kill: {text}");
}

/// Sixteen clients make `call` again and again until the server is gone: it is killed with `kill -9` once `enough`
/// calls were answered. Returns what each answered call returned (`None` is a call that failed).
async fn answers_until_kill_9<F, Fut>(server: TestServer, enough: usize, call: F) -> Vec<String>
where
    F: Fn(aws_sdk_kms::Client) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Option<String>> + Send,
{
    let answers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (kms, answers, call) = (server.client(), std::sync::Arc::clone(&answers), call.clone());
            tokio::spawn(async move {
                // Until the server is gone: each answer is kept.
                while let Some(answer) = call(kms.clone()).await {
                    answers.lock().unwrap().push(answer);
                }
            })
        })
        .collect();
    let reached = eventually(Duration::from_secs(20), || async { answers.lock().unwrap().len() >= enough }).await;
    assert!(reached, "the calls went on");
    server.kill_9();
    for client in clients {
        client.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    answers
}

/// Keys created by many clients at once commit in batches (their insertions sent together); killed in the middle of
/// them, the server loses none it acknowledged: after the restart each exists, with its CreateKey event in the trail.
#[tokio::test]
async fn every_key_acknowledged_by_concurrent_creations_before_kill_9_exists_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let _db = common::DatabaseGuard::for_dir(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    let acknowledged = answers_until_kill_9(server, 300, |kms| async move {
        let created = kms.create_key().send().await.ok()?;
        Some(created.key_metadata.and_then(|key| key.arn).unwrap())
    })
    .await;

    let server = TestServer::start_in(dir.path(), &[]);
    let kms = server.client();
    let recorded: std::collections::HashSet<String> = server
        .audit_events()
        .into_iter()
        .filter(|(name, _, _)| name == "CreateKey")
        .filter_map(|(_, arn, _)| arn)
        .collect();
    for arn in &acknowledged {
        kms.describe_key().key_id(arn).send().await.unwrap_or_else(|e| panic!("{arn} was acknowledged: {e:?}"));
        assert!(recorded.contains(arn), "{arn}'s CreateKey event was acknowledged with it");
    }
}

/// Calls answered by many clients at once are journaled in groups (each call's fields, compact) before they are
/// answered; killed in the middle of them, a write perhaps cut short, the server loses none it answered: after the
/// restart each answered call's record is in the trail, rendered from the journal.
#[tokio::test]
async fn every_call_answered_before_kill_9_is_in_the_trail_after_restart() {
    use aws_sdk_kms::operation::RequestId;
    let dir = tempfile::tempdir().unwrap();
    let _db = common::DatabaseGuard::for_dir(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    let key_id = server.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let answered = answers_until_kill_9(server, 500, move |kms| {
        let key_id = key_id.clone();
        async move {
            let data_key = kms.generate_data_key().key_id(&key_id).number_of_bytes(32).send().await.ok()?;
            Some(data_key.request_id().unwrap().to_owned())
        }
    })
    .await;

    let server = TestServer::start_in(dir.path(), &[]);
    let recorded: std::collections::HashSet<String> = server
        .audit_events()
        .into_iter()
        .filter(|(name, _, _)| name == "GenerateDataKey")
        .map(|(_, _, record)| serde_json::from_str::<serde_json::Value>(&record).unwrap()["requestID"].to_string())
        .collect();
    for request_id in &answered {
        assert!(recorded.contains(&format!("\"{request_id}\"")), "{request_id} was answered, so it was recorded");
    }
}

#[tokio::test]
async fn deletion_dates_survive_restarts_and_a_server_stopped_through_the_period_deletes_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let _db = common::DatabaseGuard::for_dir(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    let kms = server.client();
    let doomed = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let kept = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let date = kms
        .schedule_key_deletion()
        .key_id(&doomed)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap()
        .deletion_date
        .unwrap();
    kms.schedule_key_deletion().key_id(&kept).pending_window_in_days(30).send().await.unwrap();
    server.kill_9();

    // Restarted one day later: nothing is due, the date is unchanged.
    let one_day = DAY.to_string();
    let server = TestServer::start_in(dir.path(), &["--dev-clock-offset-secs", &one_day]);
    let kms = server.client();
    let described = kms.describe_key().key_id(&doomed).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(described.deletion_date(), Some(&date));
    assert_eq!(described.key_state().unwrap().as_str(), "PendingDeletion");
    drop(server);

    // Restarted as if stopped for eight days: the due key is deleted at start, the other is untouched.
    let eight_days = (8 * DAY).to_string();
    let server = TestServer::start_in(dir.path(), &["--dev-clock-offset-secs", &eight_days]);
    let kms = server.client();
    let gone =
        eventually(Duration::from_secs(2), || async { kms.describe_key().key_id(&doomed).send().await.is_err() }).await;
    assert!(gone);
    assert_eq!(error_code(&kms.describe_key().key_id(&doomed).send().await.unwrap_err()), "NotFoundException");
    // A key past its date is answered as gone at once; the worker's DeleteKey commits moments later.
    let deletions = || server.audit_events().iter().filter(|(name, _, _)| name == "DeleteKey").count();
    assert!(eventually(Duration::from_secs(5), || async { deletions() == 1 }).await, "one DeleteKey recorded");
    assert_eq!(
        kms.describe_key().key_id(&kept).send().await.unwrap().key_metadata.unwrap().key_state().unwrap().as_str(),
        "PendingDeletion"
    );
}

#[tokio::test]
async fn a_different_root_key_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let _db = common::DatabaseGuard::for_dir(dir.path());
    drop(TestServer::start_in(dir.path(), &[]));
    let other_key = dir.path().join("other.key");
    std::fs::write(&other_key, [7u8; 32]).unwrap();
    std::fs::set_permissions(&other_key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_trent"));
    command
        .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .arg("--root-key-file")
        .arg(&other_key);
    if common::on_postgres() {
        command.args(["--database", &common::TestDatabase::for_dir(dir.path()).url]);
    }
    let output = command.output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not the one this store was created with"), "{stderr}");
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_finished_and_answered() {
    use std::io::{Read, Write};
    let server = TestServer::start();
    // Sign a real CreateKey, send all but the last byte of its body, then SIGTERM the server.
    let body = r#"{"Description":"in flight"}"#;
    let signed = signed_request_bytes(&server, "TrentService.CreateKey", body);
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    let (head, last) = signed.split_at(signed.len() - 1);
    stream.write_all(head).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid = server.pid().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(last).unwrap();
    let mut response = String::new();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("in flight"), "{response}");
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

/// The raw bytes of a SigV4-signed request, as the SDKs would send them.
fn signed_request_bytes(server: &TestServer, target: &str, body: &str) -> Vec<u8> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let host = server.addr.to_string();
    let identity = aws_sdk_kms::config::Credentials::new("test", "test", None, None, "t").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("kms")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers = [("host", host.as_str()), ("x-amz-target", target), ("content-type", "application/x-amz-json-1.1")];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{host}/"),
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut text = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\nx-amz-target: {target}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in instructions.headers() {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let server = TestServer::start();
    let kms = server.client();
    kms.create_key().send().await.unwrap();
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}
