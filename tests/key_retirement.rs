//! Guided retirement (`Trent.StartKeyRetirement`, `Trent.GetKeyRetirement`, `Trent.AbortKeyRetirement`): the server
//! assesses the key's usage, disables it, observes it, schedules its deletion with the cancel-on-use net armed, and
//! deletes it at the end of the window, on the dev clock. Any attempted use halts the plan and keeps the key; the plan
//! survives a restart.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;
use common::{error_code, eventually, wire_type, TestServer};
use serde_json::{json, Value};

const DAY: i64 = 86_400;

fn call(server: &TestServer, target: &str, body: Value) -> (u16, Value) {
    let (status, _, text) = server.signed_dev(target, &body.to_string());
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn start(server: &TestServer, key_id: &str, observe_days: i64, window: i64, force: bool) -> Value {
    let body = json!({ "KeyId": key_id, "ObservationPeriodInSeconds": observe_days * DAY, "PendingWindowInDays": window, "Force": force });
    let (status, answer) = call(server, "Trent.StartKeyRetirement", body);
    assert_eq!(status, 200, "{answer}");
    answer
}

fn plan(server: &TestServer, key_id: &str) -> Value {
    let (status, answer) = call(server, "Trent.GetKeyRetirement", json!({ "KeyId": key_id }));
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn step_becomes(server: &TestServer, key_id: &str, step: &str) -> Value {
    let reached =
        eventually(Duration::from_secs(10), || async { plan(server, key_id)["Retirement"]["Step"] == step }).await;
    let now = plan(server, key_id);
    assert!(reached, "the plan never reached {step}: {now}");
    now
}

async fn state(kms: &aws_sdk_kms::Client, key_id: &str) -> KeyState {
    kms.describe_key().key_id(key_id).send().await.unwrap().key_metadata.unwrap().key_state().unwrap().clone()
}

#[tokio::test]
async fn a_retirement_plan_runs_to_the_deletion_of_an_unused_key() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let (key_id, arn) = (key.key_id().to_owned(), key.arn().unwrap().to_owned());
    kms.encrypt().key_id(&key_id).plaintext(Blob::new("old data")).send().await.unwrap();
    server.advance_clock(20 * DAY);

    let started = start(&server, &key_id, 14, 7, false);
    assert_eq!(started["Retirement"]["Step"], "Observing");
    assert_eq!(started["Retirement"]["KeyId"], arn.as_str());
    assert_eq!(started["Usage"]["ByOperation"]["Encrypt"]["Succeeded"], 1, "the evidence assessed is shown");
    assert_eq!(state(&kms, &key_id).await, KeyState::Disabled);

    server.advance_clock(14 * DAY + 1);
    let scheduled = step_becomes(&server, &key_id, "PendingDeletion").await;
    assert!(scheduled["Retirement"]["DeletionDate"].as_f64().is_some(), "{scheduled}");
    let described = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(described.key_state(), Some(&KeyState::PendingDeletion));
    let (_, net) = call(&server, "Trent.GetDeletionProtection", json!({ "KeyId": key_id }));
    assert_eq!(net["DeletionProtection"], false);

    server.advance_clock(7 * DAY + 1);
    let completed = step_becomes(&server, &key_id, "Completed").await;
    assert!(completed["Retirement"]["FinishedAt"].as_f64().is_some());
    assert_eq!(error_code(&kms.describe_key().key_id(&key_id).send().await.unwrap_err()), "NotFoundException");

    let names: Vec<String> = server.key_changes(&arn);
    for expected in ["StartKeyRetirement", "ScheduleKeyDeletion", "DeleteKey", "KeyRetirementCompleted"] {
        assert!(names.iter().any(|n| n == expected), "{expected} is audited: {names:?}");
    }
}

#[tokio::test]
async fn a_key_used_within_the_observation_period_is_not_retired_without_force() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    kms.encrypt().key_id(&key_id).plaintext(Blob::new("today")).send().await.unwrap();

    let (status, _, text) = server.signed_dev(
        "Trent.StartKeyRetirement",
        &json!({ "KeyId": key_id, "ObservationPeriodInSeconds": 14 * DAY }).to_string(),
    );
    assert_eq!((status, wire_type(&text).as_str()), (400, "KeyInUseException"), "{text}");
    assert!(text.contains("used 1 time(s)") && text.contains("Encrypt"), "the refusal carries the evidence: {text}");
    assert_eq!(state(&kms, &key_id).await, KeyState::Enabled, "a refused start changes nothing");
    let (status, _) = call(&server, "Trent.GetKeyRetirement", json!({ "KeyId": key_id }));
    assert_eq!(status, 400);

    assert_eq!(start(&server, &key_id, 14, 30, true)["Retirement"]["Step"], "Observing");
    let (status, answer) = call(&server, "Trent.StartKeyRetirement", json!({ "KeyId": key_id, "Force": true }));
    assert_eq!(status, 400, "one plan at a time: {answer}");

    for (body, code) in [
        (json!({ "KeyId": key_id, "PendingWindowInDays": 31, "Force": true }), "ValidationException"),
        (json!({ "KeyId": key_id, "ObservationPeriodInSeconds": -1 }), "ValidationException"),
        (json!({ "ObservationPeriodInSeconds": 60 }), "ValidationException"),
        (json!({ "KeyId": key_id, "Force": "yes" }), "SerializationException"),
    ] {
        let (status, _, text) = server.signed_dev("Trent.StartKeyRetirement", &body.to_string());
        assert_eq!((status, wire_type(&text).as_str()), (400, code), "{body}: {text}");
    }
}

#[tokio::test]
async fn an_attempted_use_during_observation_halts_the_plan_even_without_call_auditing() {
    let server = TestServer::start_with(&["--audit-calls", "false"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let (status, _, text) = server.signed_dev("Trent.StartKeyRetirement", &json!({ "KeyId": key_id }).to_string());
    assert_eq!(
        (status, wire_type(&text).as_str()),
        (400, "KeyInUseException"),
        "no evidence, no start without Force: {text}"
    );
    start(&server, &key_id, 14, 7, true);

    server.advance_clock(3 * DAY);
    let refused = kms.encrypt().key_id(&key_id).plaintext(Blob::new("forgotten dependency")).send().await.unwrap_err();
    assert_eq!(error_code(&refused), "DisabledException");
    let halted = plan(&server, &key_id);
    assert_eq!(halted["Retirement"]["Step"], "Halted", "halted at once: {halted}");
    let reason = halted["Retirement"]["Reason"].as_str().unwrap();
    assert!(reason.contains("attempted Encrypt by arn:aws:iam::111122223333:root"), "{reason}");

    server.advance_clock(30 * DAY);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(plan(&server, &key_id)["Retirement"]["Step"], "Halted");
    assert_eq!(state(&kms, &key_id).await, KeyState::Disabled, "a halted plan never schedules the deletion");
}

#[tokio::test]
async fn the_armed_safety_net_saves_a_key_pending_deletion_under_a_plan() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let blob = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("still needed"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    server.advance_clock(15 * DAY);
    start(&server, &key_id, 14, 30, false);
    server.advance_clock(14 * DAY + 1);
    step_becomes(&server, &key_id, "PendingDeletion").await;

    server.advance_clock(10 * DAY);
    assert_eq!(
        error_code(&kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap_err()),
        "KMSInvalidStateException"
    );
    let halted = step_becomes(&server, &key_id, "Halted").await;
    assert_eq!(halted["Attempts"].as_array().unwrap().len(), 1, "{halted}");
    assert_eq!(halted["Attempts"][0]["KeyState"], "PendingDeletion");
    assert_eq!(state(&kms, &key_id).await, KeyState::Disabled);

    server.advance_clock(30 * DAY);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kms.enable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(kms.decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap().as_ref(), b"still needed");
}

#[tokio::test]
async fn aborting_a_plan_cancels_its_deletion_and_leaves_the_key_disabled() {
    let server = TestServer::start();
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    start(&server, &key_id, 1, 7, true);
    server.advance_clock(DAY + 1);
    step_becomes(&server, &key_id, "PendingDeletion").await;
    assert_eq!(state(&kms, &key_id).await, KeyState::PendingDeletion);

    let (status, aborted) = call(&server, "Trent.AbortKeyRetirement", json!({ "KeyId": key_id }));
    assert_eq!(status, 200, "{aborted}");
    assert_eq!(aborted["Retirement"]["Step"], "Aborted");
    assert_eq!(state(&kms, &key_id).await, KeyState::Disabled);
    let (status, _, text) = server.signed_dev("Trent.AbortKeyRetirement", &json!({ "KeyId": key_id }).to_string());
    assert_eq!((status, wire_type(&text).as_str()), (400, "NotFoundException"), "nothing left to abort: {text}");

    server.advance_clock(30 * DAY);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(state(&kms, &key_id).await, KeyState::Disabled);
    // A finished plan can be followed by a new one.
    assert_eq!(start(&server, &key_id, 1, 7, true)["Retirement"]["Step"], "Observing");
}

#[tokio::test]
async fn a_plan_survives_a_restart_and_goes_on_where_it_stood() {
    let dir = tempfile::tempdir().unwrap();
    let _database = common::DatabaseGuard::for_dir(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    let kms = server.client();
    let key_id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    start(&server, &key_id, 14, 7, true);
    assert!(server.terminate().success());

    let offset = (14 * DAY + 60).to_string();
    let server = TestServer::start_in(dir.path(), &["--dev-clock-offset-secs", &offset]);
    step_becomes(&server, &key_id, "PendingDeletion").await;
    assert_eq!(state(&server.client(), &key_id).await, KeyState::PendingDeletion);
}

/// A retirement plan of `key_id` in `region`.
fn plan_in(server: &TestServer, region: &str, key_id: &str) -> Value {
    let body = json!({ "KeyId": key_id }).to_string();
    let (status, _, text) =
        server.signed("Trent.GetKeyRetirement", &body, region, "test", "test", std::time::SystemTime::now());
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn retiring_a_multi_region_primary_retires_its_replicas_first_and_the_primary_after_them() {
    let server = TestServer::start();
    let (home, europe) = (server.client(), server.client_for("eu-west-1", "test", "test"));
    let key = home.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap();
    let (key_id, arn) = (key.key_id().to_owned(), key.arn().unwrap().to_owned());
    home.replicate_key().key_id(&key_id).replica_region("eu-west-1").send().await.unwrap();

    let started = start(&server, &key_id, 1, 7, false);
    let replicas = started["ReplicaRetirements"].as_array().unwrap();
    assert_eq!(replicas.len(), 1, "{started}");
    assert_eq!(replicas[0]["KeyId"], arn.replace("us-east-1", "eu-west-1").as_str());
    assert_eq!((state(&home, &key_id).await, state(&europe, &key_id).await), (KeyState::Disabled, KeyState::Disabled));

    server.advance_clock(DAY + 1);
    let primary = step_becomes(&server, &key_id, "PendingDeletion").await;
    assert_eq!(plan_in(&server, "eu-west-1", &key_id)["Retirement"]["Step"], "PendingDeletion");
    assert_eq!(state(&europe, &key_id).await, KeyState::PendingDeletion);
    assert_eq!(state(&home, &key_id).await, KeyState::PendingReplicaDeletion, "the primary waits for its replica");
    assert!(
        primary["Retirement"]["Reason"].as_str().unwrap().contains("when the last replica is deleted"),
        "{primary}"
    );

    server.advance_clock(7 * DAY + 1);
    let waiting =
        eventually(Duration::from_secs(10), || async { state(&home, &key_id).await == KeyState::PendingDeletion })
            .await;
    assert!(waiting, "the primary's window starts once its replica is deleted");
    assert_eq!(error_code(&europe.describe_key().key_id(&key_id).send().await.unwrap_err()), "NotFoundException");
    server.advance_clock(7 * DAY + 1);
    step_becomes(&server, &key_id, "Completed").await;
}

#[tokio::test]
async fn a_primary_whose_replica_is_kept_is_not_scheduled() {
    let server = TestServer::start();
    let (home, europe) = (server.client(), server.client_for("eu-west-1", "test", "test"));
    let key_id = home.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    home.replicate_key().key_id(&key_id).replica_region("eu-west-1").send().await.unwrap();
    start(&server, &key_id, 1, 7, false);
    // Someone still needs the replica: its plan is aborted, and the key comes back into use.
    let body = json!({ "KeyId": key_id }).to_string();
    let (status, _, text) =
        server.signed("Trent.AbortKeyRetirement", &body, "eu-west-1", "test", "test", std::time::SystemTime::now());
    assert_eq!(status, 200, "{text}");
    europe.enable_key().key_id(&key_id).send().await.unwrap();
    server.advance_clock(DAY + 1);
    let halted = step_becomes(&server, &key_id, "Halted").await;
    assert!(halted["Retirement"]["Reason"].as_str().unwrap().contains("replicas in eu-west-1"), "{halted}");
    assert_eq!(state(&home, &key_id).await, KeyState::Disabled, "the primary is not scheduled");
}

#[tokio::test]
async fn a_replica_taken_back_into_use_cancels_its_waiting_primary_s_deletion() {
    let server = TestServer::start();
    let (home, europe, sydney) = (
        server.client(),
        server.client_for("eu-west-1", "test", "test"),
        server.client_for("ap-southeast-2", "test", "test"),
    );
    let key_id = home.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    for region in ["eu-west-1", "ap-southeast-2"] {
        home.replicate_key().key_id(&key_id).replica_region(region).send().await.unwrap();
    }
    // One replica is on its way already: the set's retirement leaves it be and plans the rest.
    sydney.schedule_key_deletion().key_id(&key_id).pending_window_in_days(30).send().await.unwrap();
    let started = start(&server, &key_id, 1, 7, false);
    assert_eq!(started["ReplicaRetirements"].as_array().map(Vec::len), Some(1), "{started}");

    server.advance_clock(DAY + 1);
    step_becomes(&server, &key_id, "PendingDeletion").await;
    assert_eq!(state(&home, &key_id).await, KeyState::PendingReplicaDeletion);
    // The replica in eu-west-1 is wanted after all.
    europe.cancel_key_deletion().key_id(&key_id).send().await.unwrap();
    let halted = step_becomes(&server, &key_id, "Halted").await;
    assert!(
        halted["Retirement"]["Reason"].as_str().unwrap().contains("eu-west-1 were taken back into use"),
        "{halted}"
    );
    assert_eq!(state(&home, &key_id).await, KeyState::Disabled, "the primary's deletion is cancelled");
}
