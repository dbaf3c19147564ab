//! What Trent leaves on disk is its owner's alone: a fresh data directory is 0700 and every file in it 0600 (the
//! SQLite database and its journals too), and a root key file that group or others may read is refused at start,
//! as ssh refuses such a private key.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use common::TestServer;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_fresh_data_directory_and_every_file_in_it_are_owner_only() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("trent-data");
    let _db = common::DatabaseGuard::for_dir(&dir);
    let server = TestServer::start_in(&dir, &["--audit-calls", "true"]);
    let kms = server.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    kms.encrypt().key_id(key.key_id()).plaintext(Blob::new("x")).send().await.unwrap();
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    assert!(files.iter().any(|p| p.ends_with("root.key")), "{files:?}");
    if !common::on_postgres() {
        assert!(files.iter().any(|p| p.ends_with("trent.db")), "{files:?}");
    }
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

#[test]
fn a_root_key_others_can_read_is_refused_with_a_clear_message() {
    let temp = tempfile::tempdir().unwrap();
    let key = temp.path().join("root.key");
    std::fs::write(&key, [7u8; 32]).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--log", "warn", "--data-dir"])
        .arg(temp.path().join("data"))
        .arg("--root-key-file")
        .arg(&key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("readable by group or others (mode 644)") && stderr.contains("chmod 600"), "{stderr}");
    assert!(!temp.path().join("data").join("trent.db").exists(), "nothing was created before the refusal");
}
