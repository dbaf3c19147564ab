//! Backup and restore (`trent admin backup`, `trent admin restore`): a backup taken while the server serves under
//! load restores every key acknowledged before it, and every ciphertext decrypts; a changed file, another root key or a
//! newer format is refused with nothing written; a key deleted since the backup stays deleted when the deployment's
//! trail says so, and a key pending deletion comes back pending with its date, never enabled; SQLite moves to
//! PostgreSQL and back. Each restore's audit trail verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_kms::primitives::Blob;
use common::{DatabaseGuard, TestDatabase, TestServer};

const DAY: i64 = 86_400;

/// Runs `trent admin <command> --file <file> …` on the store of `data_dir` (and `database`, on PostgreSQL).
fn admin(command: &str, file: &Path, data_dir: &Path, database: Option<&str>, extra: &[&str]) -> Output {
    let mut run = Command::new(env!("CARGO_BIN_EXE_trent"));
    run.args(["admin", command, "--dev", "--file"]).arg(file).arg("--data-dir").arg(data_dir).args(extra);
    if let Some(url) = database {
        run.args(["--database", url]);
    }
    run.output().unwrap()
}

fn succeeded(output: &Output) -> String {
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "failed: {stdout}{stderr}");
    stdout.into_owned()
}

fn refused(output: &Output) -> String {
    assert!(!output.status.success(), "should have been refused: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh data directory holding `root_key` (the deployment's root key file, as a restore needs it).
fn target_dir(root_key: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root_key, dir.path().join("root.key")).unwrap();
    dir
}

async fn verify_trail(server: &TestServer) {
    let (status, _, text) = server.signed_dev("Trent.VerifyAuditTrail", "{}");
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"Verified\":true"), "{text}");
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_every_acknowledged_key_and_ciphertext() {
    let source = TestServer::start();
    let kms = source.client();
    let mut keys = Vec::new();
    for n in 0..12 {
        let id = kms.create_key().description(format!("key {n}")).send().await.unwrap().key_metadata.unwrap().key_id;
        kms.create_alias().alias_name(format!("alias/backup-{n}")).target_key_id(&id).send().await.unwrap();
        let blob = kms.encrypt().key_id(&id).plaintext(Blob::new(format!("secret {n}"))).send().await.unwrap();
        keys.push((id, blob.ciphertext_blob.unwrap()));
    }
    let churned = keys[0].0.clone();
    // Load while the backup runs: encryptions, and a deletion scheduled and cancelled over and over.
    let running = Arc::new(AtomicBool::new(true));
    let load = {
        let (kms, running, keys, churned) = (kms.clone(), Arc::clone(&running), keys.clone(), churned.clone());
        tokio::spawn(async move {
            let mut rounds = 0;
            while running.load(Ordering::Relaxed) {
                for (id, _) in keys.iter().skip(1) {
                    kms.encrypt().key_id(id).plaintext(Blob::new("load")).send().await.unwrap();
                }
                kms.schedule_key_deletion().key_id(&churned).pending_window_in_days(7).send().await.unwrap();
                kms.cancel_key_deletion().key_id(&churned).send().await.unwrap();
                kms.enable_key().key_id(&churned).send().await.unwrap();
                rounds += 1;
            }
            rounds
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let backup_dir = tempfile::tempdir().unwrap();
    let file = backup_dir.path().join("store.trentbackup");
    let out = succeeded(&admin("backup", &file, &source.data_dir, source.database.as_deref(), &[]));
    assert!(out.contains("of 12 keys written"), "{out}");
    running.store(false, Ordering::Relaxed);
    assert!(load.await.unwrap() > 0, "the load ran during the backup");

    let target = target_dir(&source.data_dir.join("root.key"));
    let _db = DatabaseGuard::for_dir(target.path());
    let database = common::on_postgres().then(|| TestDatabase::for_dir(target.path()).url);
    let out = succeeded(&admin("restore", &file, target.path(), database.as_deref(), &[]));
    assert!(out.contains("restored: 12 keys; the audit trail verifies"), "{out}");
    drop(source);

    let restored = TestServer::start_in(target.path(), &[]);
    let kms = restored.client();
    for (n, (id, blob)) in keys.iter().enumerate() {
        let key = kms.describe_key().key_id(format!("alias/backup-{n}")).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(&key.key_id, id);
        let state = key.key_state().unwrap().as_str().to_owned();
        if *id == churned {
            // Caught somewhere in its loop: any state of it, never lost.
            assert!(["Enabled", "Disabled", "PendingDeletion"].contains(&state.as_str()), "{state}");
            if state == "PendingDeletion" {
                kms.cancel_key_deletion().key_id(id).send().await.unwrap();
            }
            kms.enable_key().key_id(id).send().await.unwrap();
        } else {
            assert_eq!(state, "Enabled");
        }
        let plain = kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap().plaintext.unwrap();
        assert_eq!(plain.as_ref(), format!("secret {n}").as_bytes());
    }
    verify_trail(&restored).await;
}

#[tokio::test]
async fn a_changed_file_another_root_key_or_a_newer_format_is_refused_and_nothing_is_written() {
    let source = TestServer::start();
    let kms = source.client();
    kms.create_key().description("guarded").send().await.unwrap();
    let backup_dir = tempfile::tempdir().unwrap();
    let file = backup_dir.path().join("store.trentbackup");
    succeeded(&admin("backup", &file, &source.data_dir, source.database.as_deref(), &[]));
    let bytes = std::fs::read(&file).unwrap();
    let root_key = source.data_dir.join("root.key");
    let variant = |name: &str, change: &dyn Fn(&mut Vec<u8>)| -> PathBuf {
        let mut changed = bytes.clone();
        change(&mut changed);
        let path = backup_dir.path().join(name);
        std::fs::write(&path, changed).unwrap();
        path
    };
    // One byte of one key's description.
    let tampered = variant("tampered", &|b| {
        let at = b.windows(7).position(|w| w == b"guarded").unwrap();
        b[at] = b'G';
    });
    let newer = variant("newer", &|b| b[13] = b'2'); // "TRENT-BACKUP 1" -> "TRENT-BACKUP 2"
    let not_a_backup = variant("other", &|b| b[..5].copy_from_slice(b"HELLO"));

    for (file, root, expected) in [
        (&tampered, root_key.clone(), "was changed since it was made"),
        (&newer, root_key.clone(), "format 2, newer than this Trent reads"),
        (&not_a_backup, root_key.clone(), "not a Trent backup"),
        (&file, PathBuf::new(), "made under a different root key"),
    ] {
        let target = tempfile::tempdir().unwrap();
        if root.as_os_str().is_empty() {
            std::fs::write(target.path().join("root.key"), [7u8; 32]).unwrap();
            common::restrict(&target.path().join("root.key"));
        } else {
            std::fs::copy(&root, target.path().join("root.key")).unwrap();
        }
        let error = refused(&admin("restore", file, target.path(), None, &[]));
        assert!(error.contains(expected), "{expected}: {error}");
        let written: Vec<_> = std::fs::read_dir(target.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(written, vec![std::ffi::OsString::from("root.key")], "nothing but the root key is there");
    }

    // A backup of a store that is not there: refused, and nothing is made (no root key, no database).
    let nowhere = tempfile::tempdir().unwrap();
    let error = refused(&admin("backup", &backup_dir.path().join("none"), nowhere.path(), None, &[]));
    assert!(error.contains("no root key file"), "{error}");
    std::fs::copy(&root_key, nowhere.path().join("root.key")).unwrap();
    let error = refused(&admin("backup", &backup_dir.path().join("none"), nowhere.path(), None, &[]));
    assert!(error.contains("no Trent store"), "{error}");
    assert_eq!(std::fs::read_dir(nowhere.path()).unwrap().count(), 1, "only the root key copied in");

    // No root key file at all: refused before anything is made.
    let target = tempfile::tempdir().unwrap();
    let error = refused(&admin("restore", &file, target.path(), None, &[]));
    assert!(error.contains("no root key file"), "{error}");
    assert_eq!(std::fs::read_dir(target.path()).unwrap().count(), 0);

    // Where a server ran (its audit journals are there): refused, and the store keeps exactly what it had.
    let error = refused(&admin("restore", &file, &source.data_dir, source.database.as_deref(), &[]));
    assert!(error.contains("holds audit journals"), "{error}");
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 1);

    // Into a store that holds keys (a restore done already): refused.
    let target = target_dir(&root_key);
    let _db = DatabaseGuard::for_dir(target.path());
    let database = common::on_postgres().then(|| TestDatabase::for_dir(target.path()).url);
    succeeded(&admin("restore", &file, target.path(), database.as_deref(), &[]));
    let error = refused(&admin("restore", &file, target.path(), database.as_deref(), &[]));
    assert!(error.contains("not empty"), "{error}");
}

#[tokio::test]
async fn a_key_deleted_since_the_backup_stays_deleted_and_a_pending_one_comes_back_pending_with_its_date() {
    let source = TestServer::start();
    // The doomed key lives in a China region: its ARN's partition is aws-cn, as the trail names it.
    let kms = source.client_for("cn-north-1", "test", "test");
    let doomed_key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let (doomed, doomed_arn) = (doomed_key.key_id, doomed_key.arn.unwrap());
    let kept = source.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let date =
        kms.schedule_key_deletion().key_id(&doomed).pending_window_in_days(7).send().await.unwrap().deletion_date;
    let backup_dir = tempfile::tempdir().unwrap();
    let file = backup_dir.path().join("store.trentbackup");
    let out = succeeded(&admin("backup", &file, &source.data_dir, source.database.as_deref(), &[]));
    assert!(out.contains("1 key(s) pending deletion") && out.contains(&doomed), "{out}");

    // The waiting period ends in the deployment; its trail records the deletion.
    source.advance_clock(7 * DAY + 60);
    assert!(
        common::eventually(std::time::Duration::from_secs(20), || async {
            let answer = kms.describe_key().key_id(&doomed).send().await;
            answer.is_err_and(|error| common::error_code(&error) == "NotFoundException")
        })
        .await,
        "the source deleted the key"
    );
    assert!(source.deletion_recorded(&doomed_arn).await, "the trail records the deletion");
    let export = backup_dir.path().join("trail.json");
    let exported = source.trent_cli(&["audit", "export", "--file", export.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let root_key = source.data_dir.join("root.key");

    // A trail that starts after the backup cannot show what was deleted in between: refused.
    let late = backup_dir.path().join("late.json");
    let start = (std::time::SystemTime::now() + std::time::Duration::from_secs(3600))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let exported = source.trent_cli(&["audit", "export", "--start", &start, "--file", late.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let late_target = target_dir(&root_key);
    let late_flag = ["--honour-deletions-from", late.to_str().unwrap()];
    let error = refused(&admin("restore", &file, late_target.path(), None, &late_flag));
    assert!(error.contains("after the backup was made"), "{error}");

    // Told of the deployment's deletions: the deleted key is left out.
    let honouring = target_dir(&root_key);
    let _db = DatabaseGuard::for_dir(honouring.path());
    let database = common::on_postgres().then(|| TestDatabase::for_dir(honouring.path()).url);
    let flag = ["--honour-deletions-from", export.to_str().unwrap()];
    let out = succeeded(&admin("restore", &file, honouring.path(), database.as_deref(), &flag));
    assert!(out.contains("1 key(s) recorded as deleted"), "{out}");
    let restored = TestServer::start_in(honouring.path(), &[]);
    let in_china = restored.client_for("cn-north-1", "test", "test");
    let gone = in_china.describe_key().key_id(&doomed).send().await.unwrap_err();
    assert_eq!(common::error_code(&gone), "NotFoundException");
    let restored_kept = restored.client().describe_key().key_id(&kept).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(restored_kept.key_id, kept);
    verify_trail(&restored).await;
    drop(restored);

    // Not told: the key comes back pending deletion, with its original date, and its restore says so.
    let plain = target_dir(&root_key);
    let _db = DatabaseGuard::for_dir(plain.path());
    let database = common::on_postgres().then(|| TestDatabase::for_dir(plain.path()).url);
    let out = succeeded(&admin("restore", &file, plain.path(), database.as_deref(), &[]));
    assert!(out.contains("It held 1 key(s) pending deletion") && out.contains(&doomed), "{out}");
    let restored = TestServer::start_in(plain.path(), &[]);
    let in_china = restored.client_for("cn-north-1", "test", "test");
    let key = in_china.describe_key().key_id(&doomed).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(key.key_state().unwrap().as_str(), "PendingDeletion");
    assert_eq!(key.deletion_date, date);
}

#[tokio::test]
async fn a_backup_moves_a_deployment_from_sqlite_to_postgresql_and_back() {
    if !common::on_postgres() {
        return; // needs PostgreSQL: runs in the PostgreSQL pass of scripts/test.sh
    }
    // SQLite: a server started without --database.
    let sqlite_dir = tempfile::tempdir().unwrap();
    let source = TestServer::start_node_sqlite(sqlite_dir.path());
    let kms = source.client();
    let id = kms.create_key().description("moving").send().await.unwrap().key_metadata.unwrap().key_id;
    kms.disable_key().key_id(&id).send().await.unwrap();
    kms.enable_key().key_id(&id).send().await.unwrap();
    let blob = kms.encrypt().key_id(&id).plaintext(Blob::new("travels")).send().await.unwrap().ciphertext_blob.unwrap();
    let backup_dir = tempfile::tempdir().unwrap();
    let to_postgres = backup_dir.path().join("from-sqlite.trentbackup");
    succeeded(&admin("backup", &to_postgres, sqlite_dir.path(), None, &[]));
    drop(source);

    let pg_dir = target_dir(&sqlite_dir.path().join("root.key"));
    let _db = DatabaseGuard::for_dir(pg_dir.path());
    let url = TestDatabase::for_dir(pg_dir.path()).url;
    succeeded(&admin("restore", &to_postgres, pg_dir.path(), Some(&url), &[]));
    let on_postgres = TestServer::start_in(pg_dir.path(), &[]);
    let plain = on_postgres.client().decrypt().ciphertext_blob(blob.clone()).send().await.unwrap().plaintext.unwrap();
    assert_eq!(plain.as_ref(), b"travels");
    verify_trail(&on_postgres).await;
    let back = backup_dir.path().join("from-postgres.trentbackup");
    succeeded(&admin("backup", &back, pg_dir.path(), Some(&url), &[]));
    drop(on_postgres);

    let sqlite_again = target_dir(&sqlite_dir.path().join("root.key"));
    succeeded(&admin("restore", &back, sqlite_again.path(), None, &[]));
    let on_sqlite = TestServer::start_node_sqlite(sqlite_again.path());
    let key = on_sqlite.client().describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(key.description(), Some("moving"));
    let plain = on_sqlite.client().decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap();
    assert_eq!(plain.as_ref(), b"travels");
    verify_trail(&on_sqlite).await;
}

#[tokio::test]
async fn a_backup_through_the_api_is_the_operators_alone_and_restores_elsewhere() {
    // Calls are not audited here: a refused backup is recorded all the same.
    let source =
        TestServer::start_with(&["--credential", "other-key:other-secret:444455556666", "--audit-calls", "false"]);
    let kms = source.client();
    let id = kms.create_key().description("through the API").send().await.unwrap().key_metadata.unwrap().key_id;
    let blob = kms.encrypt().key_id(&id).plaintext(Blob::new("remote")).send().await.unwrap().ciphertext_blob.unwrap();

    // Another account's root user may not take every account's keys away.
    let (status, _, body) = source.signed(
        "Trent.BackupStore",
        "{}",
        "us-east-1",
        "other-key",
        "other-secret",
        std::time::SystemTime::now(),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("AccessDeniedException") && body.contains("operator"), "{body}");
    let recorded = source.audit_events();
    let refusal = recorded.iter().find(|(name, _, record)| name == "BackupStore" && record.contains("AccessDenied"));
    assert!(refusal.is_some_and(|(_, _, record)| record.contains("444455556666")), "{recorded:?}");

    // The operator (in dev mode, the dev account's root user), from wherever the server is reachable.
    let backup_dir = tempfile::tempdir().unwrap();
    let file = backup_dir.path().join("remote.trentbackup");
    let taken = source.trent_cli(&["admin", "backup", "--via-api", "--file", file.to_str().unwrap()]);
    let out = succeeded(&taken);
    assert!(out.contains("of 1 keys written"), "{out}");

    let target = target_dir(&source.data_dir.join("root.key"));
    let _db = DatabaseGuard::for_dir(target.path());
    let database = common::on_postgres().then(|| TestDatabase::for_dir(target.path()).url);
    succeeded(&admin("restore", &file, target.path(), database.as_deref(), &[]));
    let restored = TestServer::start_in(target.path(), &[]);
    let plain = restored.client().decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap();
    assert_eq!(plain.as_ref(), b"remote");
    verify_trail(&restored).await;
}
