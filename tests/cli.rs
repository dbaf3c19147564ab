//! The `trent key` and `trent audit` client commands against a real server: they find it and their credentials as
//! the aws CLI does, print tables or JSON, and fail with the server's error code and a non-zero exit.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::process::{Command, Output};

use common::TestServer;

fn trent(server: &TestServer, args: &[&str]) -> Output {
    server.trent_cli(args)
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn keys_are_managed_and_protected_through_the_cli() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let created: serde_json::Value = serde_json::from_str(&ok(&trent(
        &server,
        &["key", "create", "--description", "from the cli", "--output", "json"],
    )))
    .unwrap();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    assert!(ok(&trent(&server, &["key", "list"])).contains(&key_id));
    let described = ok(&trent(&server, &["key", "describe", &key_id]));
    assert!(described.contains("Description: from the cli"), "{described}");
    assert!(described.contains("Materials: 1") && described.contains("CURRENT      made with the key"), "{described}");

    ok(&trent(&server, &["key", "protect", &key_id]));
    let refused = trent(&server, &["key", "schedule-deletion", &key_id, "--pending-window-in-days", "7"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("KMSInvalidStateException"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    ok(&trent(&server, &["key", "unprotect", &key_id]));
    ok(&trent(&server, &["key", "disable", &key_id]));
    let scheduled = ok(&trent(&server, &["key", "schedule-deletion", &key_id, "--pending-window-in-days", "7"]));
    assert!(scheduled.contains("KeyState: PendingDeletion") && scheduled.contains("DeletionDate: 20"), "{scheduled}");
    ok(&trent(&server, &["key", "cancel-deletion", &key_id]));
    assert!(ok(&trent(&server, &["key", "describe", &key_id])).contains("KeyState: Disabled"));

    let bad = trent(&server, &["key", "schedule-deletion", &key_id, "--pending-window-in-days", "31"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("ValidationException: PendingWindowInDays must be between 7 and 30"));
}

#[test]
fn a_multi_region_primary_s_deletion_says_which_replicas_block_it() {
    let server = TestServer::start();
    let created: serde_json::Value =
        serde_json::from_str(&ok(&trent(&server, &["key", "create", "--multi-region", "--output", "json"]))).unwrap();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    assert!(key_id.starts_with("mrk-"), "{created}");
    for region in ["eu-west-1", "ap-southeast-2"] {
        let replica = ok(&trent(&server, &["key", "replicate", &key_id, "--replica-region", region]));
        assert!(replica.contains(&format!("Arn: arn:aws:kms:{region}:")), "{replica}");
    }
    let scheduled = ok(&trent(&server, &["key", "schedule-deletion", &key_id, "--pending-window-in-days", "7"]));
    assert!(scheduled.contains("KeyState: PendingReplicaDeletion"), "{scheduled}");
    assert!(
        scheduled.contains("2 replica(s) block the deletion (ap-southeast-2, eu-west-1): the 7-day waiting period"),
        "{scheduled}"
    );
    assert!(scheduled.contains(&format!("trent key schedule-deletion {key_id} --region REGION")), "{scheduled}");
}

#[test]
fn the_audit_trail_is_queried_and_verified_through_the_cli() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let created: serde_json::Value =
        serde_json::from_str(&ok(&trent(&server, &["key", "create", "--output", "json"]))).unwrap();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    ok(&trent(&server, &["key", "disable", &key_id]));
    let lines = ok(&trent(&server, &["audit", "events", "--key", &key_id, "--output", "json"]));
    let names: Vec<String> = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["eventName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["CreateKey", "DisableKey"]);
    assert!(ok(&trent(&server, &["audit", "events", "--event-name", "DisableKey"])).contains("DisableKey"));
    assert!(ok(&trent(&server, &["audit", "verify"])).contains("audit trail intact"));

    server.rewrite_audit_entry(|record| {
        common::replaced(record, br#""eventName":"DisableKey""#, br#""eventName":"EnableKey""#)
    });
    let broken = trent(&server, &["audit", "verify"]);
    assert!(!broken.status.success());
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("was changed"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
}

#[test]
fn credentials_come_from_a_profile_and_unknown_ones_are_refused() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(&file, "[trent]\naws_access_key_id = test\naws_secret_access_key = test\n[wrong]\naws_access_key_id = nobody\naws_secret_access_key = x\n")
        .unwrap();
    let run = |profile: &str| {
        Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["key", "list", "--profile", profile, "--endpoint-url", &server.endpoint(), "--region", "us-east-1"])
            .env("AWS_SHARED_CREDENTIALS_FILE", &file)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .output()
            .unwrap()
    };
    assert!(run("trent").status.success());
    let refused = run("wrong");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("UnrecognizedClientException"));
}

#[test]
fn usage_and_retirement_are_driven_from_the_cli() {
    let server = TestServer::start_with(&["--audit-calls", "true"]);
    let created: serde_json::Value =
        serde_json::from_str(&ok(&trent(&server, &["key", "create", "--output", "json"]))).unwrap();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let (status, _, body) = server.signed_dev(
        "TrentService.Encrypt",
        &serde_json::json!({ "KeyId": key_id, "Plaintext": "aGVsbG8=" }).to_string(),
    );
    assert_eq!(status, 200, "{body}");

    let usage = ok(&trent(&server, &["key", "usage", &key_id]));
    assert!(usage.contains("Ciphertexts produced: 1"), "{usage}");
    assert!(usage.lines().any(|l| l.starts_with("Encrypt") && l.split_whitespace().nth(1) == Some("1")), "{usage}");

    let refused = trent(&server, &["key", "retire", &key_id, "--observe", "14d", "--pending-window", "7"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("KeyInUseException"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let started =
        ok(&trent(&server, &["key", "retire", &key_id, "--observe", "1h", "--pending-window", "7", "--force"]));
    assert!(started.contains("Step:                 Observing"), "{started}");
    let status = ok(&trent(&server, &["key", "retire", &key_id, "--status", "--output", "json"]));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["Retirement"]["ObservationPeriodInSeconds"], 3600);
    let aborted = ok(&trent(&server, &["key", "retire", &key_id, "--abort"]));
    assert!(aborted.contains("Step:                 Aborted"), "{aborted}");
    assert!(ok(&trent(&server, &["key", "describe", &key_id])).contains("KeyState: Disabled"));

    let bad = trent(&server, &["key", "retire", &key_id, "--observe", "two weeks"]);
    assert!(!bad.status.success());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trail.json");
    let exported = trent(
        &server,
        &["audit", "export", "--key", &key_id, "--start", "2000-01-01", "--file", file.to_str().unwrap()],
    );
    ok(&exported);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "the export is owner-only");
    }
    let trail: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let names: Vec<&str> =
        trail["Records"].as_array().unwrap().iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    for expected in ["CreateKey", "Encrypt", "StartKeyRetirement", "AbortKeyRetirement"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(!trent(&server, &["audit", "events", "--start", "yesterday"]).status.success());
}

/// Needs wrk and nginx (`scripts/test.sh` installs them).
#[test]
fn the_benchmark_measures_trent_against_the_nginx_ceiling_in_interleaved_rounds_and_side_by_side() {
    let bench = |extra: &[&str]| {
        let mut args = vec!["bench", "--targets", "sqlite,sqlite-unaudited", "--operations", "encrypt"];
        args.extend(["--concurrency", "2", "--seconds", "1", "--warmup-seconds", "0", "--rounds", "2"]);
        args.extend(extra);
        ok(&Command::new(env!("CARGO_BIN_EXE_trent")).args(&args).output().expect("run trent bench"))
    };
    let table = bench(&[]);
    let rows = |label: &str| table.lines().filter(|l| l.starts_with(&format!("| {label} | Encrypt 4 KiB |"))).count();
    assert_eq!(
        (rows("nginx, fixed body (ceiling)"), rows("trent, SQLite"), rows("trent, SQLite, audit off")),
        (2, 2, 2),
        "each server once per round: {table}"
    );
    for line in table.lines().filter(|l| l.contains("| Encrypt 4 KiB |")) {
        assert_eq!(line.split('|').nth(7).map(str::trim), Some("0"), "no errors: {line}");
        let rate: f64 = line.split('|').nth(4).and_then(|r| r.trim().parse().ok()).unwrap_or(0.0);
        assert!(rate > 0.0, "requests were answered: {line}");
    }
    let median = table
        .lines()
        .find(|l| l.starts_with("| **trent, SQLite** | **Encrypt 4 KiB: median of 2 rounds** |"))
        .unwrap_or_else(|| panic!("a median row: {table}"));
    assert!(median.trim_end().ends_with("%** |"), "as a share of the ceiling: {median}");

    let table = bench(&["--side-by-side"]);
    assert_eq!(table.lines().filter(|l| l.contains(", side by side | Encrypt 4 KiB |")).count(), 4, "{table}");
    assert!(!table.contains("nginx"), "no ceiling side by side: {table}");
    assert!(
        table.contains("| **trent, SQLite, audit off** | **Encrypt 4 KiB: requests/s as a share of trent, SQLite's at the same time, median of 2 rounds ("),
        "{table}"
    );
}
