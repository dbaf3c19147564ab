//! `trent admin backup` and `trent admin restore`: a whole store to one file and back (`trent_service::backup`, the
//! format in docs/formats.md). Both run on the machine that holds the server's data directory and root key (or
//! reaches its PostgreSQL), with the settings `trent serve` takes: a backup while the server serves (one snapshot),
//! a restore into an empty store before any server starts on it.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use clap::{ArgMatches, Args};
use trent_audit::iso8601;
use trent_domain::{Clock, SystemClock, Timestamp};
use trent_service::backup;
use trent_store::KeyStore;

use crate::cli::client::ClientArgs;
use crate::cli::serve::ServerSettings;

/// `trent admin backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (created owner-only; an existing file is not overwritten).
    #[arg(long)]
    file: PathBuf,
    /// Take it through the server's signed API (`Trent.BackupStore`, for the root user of the operator account) from
    /// any machine that reaches the server, instead of from the store beside it.
    #[arg(long)]
    via_api: bool,
    #[command(flatten)]
    server: ServerSettings,
}

/// `trent admin restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore.
    #[arg(long)]
    file: PathBuf,
    /// A CloudTrail log file (`trent audit export`, one per account; repeatable) of the deployment being restored:
    /// every key it records as deleted (a `DeleteKey` event) since the backup was made is left out of the restore.
    #[arg(long)]
    honour_deletions_from: Vec<PathBuf>,
    #[command(flatten)]
    server: ServerSettings,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
}

/// Runs `trent admin backup`.
pub fn backup(args: BackupArgs, matches: &ArgMatches, client: &ClientArgs) -> Result<(), String> {
    if args.via_api {
        return runtime()?.block_on(backup_via_api(&args, client));
    }
    let config = args.server.resolve(matches)?;
    runtime()?.block_on(async {
        let (root_key, store) = trent_server::serve::attach_store(&config).await?;
        let how = format!("written to {} beside the server", args.file.display());
        let taken = backup::take(&store, &root_key, SystemClock::new().now(), &how).await;
        let written = taken.and_then(|backup| {
            write_new_file(&args.file, |out| out.write_all(&backup.file).map_err(|e| e.to_string()))?;
            Ok(backup.header)
        });
        let left = store.leave().await.map_err(|e| e.to_string());
        let header = written?;
        left?;
        say!("backup {} of {} keys written to {}", header.backup_id, header.keys, args.file.display());
        print_pending(&header.pending_deletion, "It holds", "a restore keeps them pending, with these dates");
        say!("{COPY_WARNING}");
        Ok(())
    })
}

async fn backup_via_api(args: &BackupArgs, client: &ClientArgs) -> Result<(), String> {
    let answer =
        client.signer()?.call_api("Trent.BackupStore", &serde_json::json!({})).await.map_err(|e| e.to_string())?;
    let file = answer
        .get("Backup")
        .and_then(serde_json::Value::as_str)
        .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
        .ok_or("the server's answer holds no backup")?;
    write_new_file(&args.file, |out| out.write_all(&file).map_err(|e| e.to_string()))?;
    let text = |name: &str| answer.get(name).map(ToString::to_string).unwrap_or_default();
    say!("backup {} of {} keys written to {}", text("BackupId").trim_matches('"'), text("Keys"), args.file.display());
    let pending: Vec<backup::PendingKey> = answer
        .get("PendingDeletion")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .map(|key| backup::PendingKey {
            arn: key.get("KeyArn").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned(),
            deletion_date: key.get("DeletionDate").and_then(serde_json::Value::as_f64).map(|s| (s * 1000.0) as i64),
        })
        .collect();
    print_pending(&pending, "It holds", "a restore keeps them pending, with these dates");
    say!("{COPY_WARNING}");
    Ok(())
}

/// What every backup made is told.
const COPY_WARNING: &str = "It is a copy of key material: whoever has it and the root key can decrypt what those \
     keys protect, including keys deleted later. Keep it as you keep the root key; destroy it when no longer needed.";

/// Runs `trent admin restore`.
pub fn restore(args: RestoreArgs, matches: &ArgMatches) -> Result<(), String> {
    let config = args.server.resolve(matches)?;
    let root_key = trent_server::serve::existing_root_key(&config)
        .map_err(|e| format!("{e}: a backup is restored with the root key of the deployment it came from"))?;
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let (header, mut copy) = backup::read(&bytes, &root_key).map_err(|e| format!("{}: {e}", args.file.display()))?;
    if journals_in(&config.data_dir) {
        return Err(format!(
            "{} holds audit journals of a server that ran there: restore into a new data directory",
            config.data_dir.display()
        ));
    }
    if !args.honour_deletions_from.is_empty() {
        let made = iso8601(Timestamp(header.created_at));
        let mut deletions = backup::Deletions::default();
        for export in &args.honour_deletions_from {
            let text = std::fs::read(export).map_err(|e| format!("{}: {e}", export.display()))?;
            deletions.add_export(&text, &made).map_err(|e| format!("{}: {e}", export.display()))?;
        }
        if deletions.earliest.as_deref().is_none_or(|earliest| earliest > made.as_str()) {
            return Err(format!(
                "the trail given starts at {}, after the backup was made ({made}): deletions in between cannot be seen; export the trail from before the backup (`trent audit export`, no --start)",
                deletions.earliest.as_deref().unwrap_or("nothing")
            ));
        }
        let left_out = copy.without_keys(&deletions.keys);
        say!("{left_out} key(s) recorded as deleted since the backup are left out");
        let mut uncovered: Vec<String> = copy
            .keys()
            .iter()
            .filter_map(|(arn, _, _)| arn.split(':').nth(4).map(str::to_owned))
            .filter(|account| !deletions.accounts.contains(account))
            .collect();
        uncovered.sort();
        uncovered.dedup();
        for account in uncovered {
            say!("warning: no trail of account {account} was given: its keys deleted since the backup come back");
        }
    }
    let pending = backup::pending_deletion(&copy);
    let keys = copy.keys().len();
    runtime()?.block_on(async {
        let (_, store) = trent_server::serve::open_store(&config).await?;
        let now = SystemClock::new().now();
        let made = iso8601(Timestamp(header.created_at));
        let detail = format!("backup made {made} from {} restored, {keys} keys", header.source);
        let event = backup::event("RestoreBackup", &header, now, &detail);
        let restored = restore_and_verify(&store, copy, &event).await;
        let left = store.leave().await.map_err(|e| e.to_string());
        let checked = restored.map_err(|e| format!("{}: {e}", args.file.display()))?;
        left?;
        say!("backup {} restored: {keys} keys; the audit trail verifies ({checked} events)", header.backup_id);
        print_pending(
            &pending,
            "It held",
            "each is restored pending, deleted on its date (at once if that has passed)",
        );
        Ok(())
    })
}

/// Restores `copy` with its `RestoreBackup` event (one transaction), then verifies the restored chain; returns how
/// many events it checked.
async fn restore_and_verify(
    store: &KeyStore,
    copy: trent_store::StoreCopy,
    event: &trent_audit::AuditEvent,
) -> Result<usize, String> {
    store
        .restore_all(copy, event)
        .await
        .map_err(|e| format!("restoring: {e}"))?
        .map_err(|refusal| refusal.to_string())?;
    let chain = store.audit_chain().await.map_err(|e| e.to_string())?;
    chain.verify().map_err(|broken| format!("restored, but the audit trail does not verify: {broken}"))
}

/// True when `dir` holds a server's audit journals (`audit-journal-<n>.log`): a store restored there would import
/// them again.
fn journals_in(dir: &Path) -> bool {
    std::fs::read_dir(dir).into_iter().flatten().flatten().any(|entry| {
        entry.file_name().to_str().is_some_and(|name| name.starts_with("audit-journal-") && name.ends_with(".log"))
    })
}

fn print_pending(pending: &[backup::PendingKey], intro: &str, fate: &str) {
    if pending.is_empty() {
        return;
    }
    say!("{intro} {} key(s) pending deletion; {fate}:", pending.len());
    for key in pending {
        let when = key.deletion_date.map_or("after its replicas".to_owned(), |millis| iso8601(Timestamp(millis)));
        say!("  {}: deleted {when}", key.arn);
    }
}

/// Writes `path`, which must not exist, through a temporary file beside it (owner-only) that is renamed into place
/// once complete, so that a failed backup leaves no partial file.
fn write_new_file(path: &Path, write: impl FnOnce(&mut std::fs::File) -> Result<(), String>) -> Result<(), String> {
    if path.exists() {
        return Err(format!("{} exists already: a backup never overwrites a file", path.display()));
    }
    let partial = path.with_extension("partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let written = write(&mut file).and_then(|()| file.sync_all().map_err(|e| e.to_string()));
    if let Err(error) = written.and_then(|()| std::fs::rename(&partial, path).map_err(|e| e.to_string())) {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("{}: {error}", path.display()));
    }
    Ok(())
}
