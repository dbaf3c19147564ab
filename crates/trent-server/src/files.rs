//! Who may read what Trent writes to disk: its owner only. Every file Trent creates (the SQLite database and its
//! journals, the audit journal, `admin-credentials`, `node-id`, the root key) is 0600 and every directory it creates
//! 0700, and its files an older Trent left readable by others are tightened at start. The root key file itself is never tightened
//! silently: one that group or others can read is refused (`trent_crypto::RootKey::load_or_create`), as ssh refuses
//! such a private key, because its secret may already have been read.

use std::path::Path;

/// The permissions no file of Trent's may give to group or others.
const GROUP_AND_OTHERS: u32 = 0o077;

/// From now on, every file and directory this process creates is readable by its owner only (umask 077).
pub fn restrict_new_files() {
    #[cfg(unix)]
    {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(GROUP_AND_OTHERS));
    }
}

/// True for the files Trent itself writes into its data directory (the root key aside): the default SQLite
/// database and its journals, `admin-credentials`, `node-id` and the audit journal. Anything else a user keeps there
/// is theirs and left alone.
fn is_trent_file(name: &str) -> bool {
    matches!(name, "trent.db" | "trent.db-wal" | "trent.db-shm" | "admin-credentials" | "node-id")
        || (name.starts_with("audit-journal-") && name.ends_with(".log"))
}

/// Takes group and others' permissions away from Trent's own files in `dir` and from `database` (with its `-wal`
/// and `-shm` journals), wherever it lives. Returns what was tightened, for the log.
pub fn tighten_existing(dir: &Path, database: Option<&Path>) -> std::io::Result<Vec<String>> {
    let mut tightened = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut candidates = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().to_str().is_some_and(is_trent_file) {
                candidates.push(entry.path());
            }
        }
        for suffix in ["", "-wal", "-shm"] {
            if let Some(database) = database {
                let mut name = database.as_os_str().to_owned();
                name.push(suffix);
                candidates.push(name.into());
            }
        }
        for path in candidates {
            let Ok(metadata) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let mode = metadata.permissions().mode();
            if !metadata.is_file() || mode & GROUP_AND_OTHERS == 0 {
                continue;
            }
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & !GROUP_AND_OTHERS))?;
            tightened.push(format!("{} (mode {:o} to {:o})", path.display(), mode & 0o777, mode & 0o700));
        }
    }
    Ok(tightened)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn trent_files_left_readable_by_others_are_tightened_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let database = elsewhere.path().join("kms.db");
        let names = ["trent.db", "admin-credentials", "audit-journal-3.log", "root.key", "notes.txt"];
        let paths: Vec<_> = names.iter().map(|n| dir.path().join(n)).chain([database.clone()]).collect();
        for path in &paths {
            std::fs::write(path, b"x").unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let tightened = tighten_existing(dir.path(), Some(&database)).unwrap();
        let modes: Vec<u32> = paths.iter().map(|p| mode(p)).collect();
        assert_eq!(
            modes,
            [0o600, 0o600, 0o600, 0o644, 0o644, 0o600],
            "the root key is checked, not changed; notes.txt is not Trent's"
        );
        assert_eq!(tightened.len(), 4, "{tightened:?}");
        assert!(tighten_existing(dir.path(), Some(&database)).unwrap().is_empty(), "nothing left to do");
    }
}
