//! Who may read what Trent writes to disk: its owner only. Every file Trent creates (the SQLite database and its
//! journals, the audit journal, `admin-credentials`, `node-id`, the root key) is 0600 and every directory it creates
//! 0700, and its files an older Trent left readable by others are tightened at start. The root key file is never
//! tightened silently: one that others may read is refused ([`check_root_key`]), as ssh refuses such a private key,
//! because its secret may already have been read.

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

/// Refuses a root key file others may read, as ssh judges a private key. Owned by the user Trent runs as, it must give
/// group and others nothing; owned by another user (root, as secret mounts and `/etc` files are), it must give others
/// nothing, while its group may read it (that is how such a file is shared with Trent's group). A missing file is
/// fine: Trent creates it, owner-only.
pub fn check_root_key(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(metadata) = std::fs::metadata(path) else { return Ok(()) };
        let mode = metadata.mode() & 0o777;
        let ours = metadata.uid() == rustix::process::geteuid().as_raw();
        let forbidden = if ours { GROUP_AND_OTHERS } else { 0o007 };
        if mode & forbidden != 0 {
            let who = if ours { "group or others" } else { "others" };
            return Err(format!(
                "root key file {path} is readable by {who} (mode {mode:o}); it must be readable by its owner only \
                 (or its owner and group, when another user such as root owns it): run `chmod {fix:o} {path}`, and \
                 consider the key exposed if anyone else could have read it",
                path = path.display(),
                fix = mode & !forbidden,
            ));
        }
    }
    Ok(())
}

/// True for the files Trent itself writes into its data directory (the root key aside): the default SQLite
/// database and its journals, `admin-credentials`, `node-id` and the audit journal (with any kept as `.unread` at a
/// start). Anything else a user keeps there is theirs and left alone.
fn is_trent_file(name: &str) -> bool {
    matches!(name, "trent.db" | "trent.db-wal" | "trent.db-shm" | "admin-credentials" | "node-id")
        || (name.starts_with("audit-journal-") && (name.ends_with(".log") || name.ends_with(".unread")))
}

/// Takes group and others' permissions away from Trent's own files in `dir` and from `database` (with its `-wal`
/// and `-shm` journals), wherever it lives. Returns what it tightened or could not, for the log.
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
        // The default database lives in the data directory: look at each file once.
        candidates.sort();
        candidates.dedup();
        for path in candidates {
            let Ok(metadata) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let mode = metadata.permissions().mode();
            if !metadata.is_file() || mode & GROUP_AND_OTHERS == 0 {
                continue;
            }
            // A file another user owns (say, after one run as root) cannot be changed: say so, and go on.
            match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & !GROUP_AND_OTHERS)) {
                Ok(()) => tightened.push(format!("{} (mode {:o} to {:o})", path.display(), mode & 0o777, mode & 0o700)),
                Err(error) => {
                    tightened.push(format!("{} (mode {:o}, left as it is: {error})", path.display(), mode & 0o777))
                }
            }
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
        let names =
            ["trent.db", "admin-credentials", "audit-journal-3.log", "audit-journal-2.unread", "root.key", "notes.txt"];
        let paths: Vec<_> = names.iter().map(|n| dir.path().join(n)).chain([database.clone()]).collect();
        for path in &paths {
            std::fs::write(path, b"x").unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let tightened = tighten_existing(dir.path(), Some(&database)).unwrap();
        let modes: Vec<u32> = paths.iter().map(|p| mode(p)).collect();
        assert_eq!(
            modes,
            [0o600, 0o600, 0o600, 0o600, 0o644, 0o644, 0o600],
            "the root key is checked, not changed; notes.txt is not Trent's"
        );
        assert_eq!(tightened.len(), 5, "{tightened:?}");
        assert!(tighten_existing(dir.path(), Some(&database)).unwrap().is_empty(), "nothing left to do");
    }

    #[test]
    fn a_root_key_others_may_read_is_refused_as_ssh_would() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("root.key");
        assert!(check_root_key(&key).is_ok(), "a missing key is created later, owner-only");
        std::fs::write(&key, [7u8; 32]).unwrap();
        for refused in [0o640, 0o604, 0o660, 0o644] {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(refused)).unwrap();
            let refusal = check_root_key(&key).unwrap_err();
            assert!(refusal.contains("readable by group or others") && refusal.contains("chmod 600"), "{refusal}");
        }
        for accepted in [0o600, 0o400] {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(accepted)).unwrap();
            assert!(check_root_key(&key).is_ok());
        }
        // A key another user (root, a secret mount) owns may be shared with a group, never with everyone.
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&key, Some(65534), None).unwrap();
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
            assert!(check_root_key(&key).is_ok());
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(check_root_key(&key).unwrap_err().contains("readable by others"));
        }
    }
}
