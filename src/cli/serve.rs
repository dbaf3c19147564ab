//! `trent serve`: flags (each also `TRENT_<NAME>` and a `--config` TOML file), logging, and the server.

use std::path::PathBuf;

use clap::Args;
use trent_server::config::{Config, FileConfig, Overrides};

/// `trent serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8300].
    #[arg(long, env = "TRENT_LISTEN")]
    listen: Option<String>,
    /// Directory for the SQLite database and the root key file; created on first start [default: ./trent-data].
    #[arg(long, env = "TRENT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The store: sqlite://PATH or postgres://USER@HOST/DATABASE [default: sqlite://DATA_DIR/trent.db].
    #[arg(long, env = "TRENT_DATABASE")]
    database: Option<String>,
    /// Regions served, comma-separated [default: any well-formed AWS region name].
    #[arg(long, env = "TRENT_REGIONS", value_delimiter = ',')]
    regions: Option<Vec<String>>,
    /// Extra access key ACCESS_KEY:SECRET:ACCOUNT_ID, the administrator of its account (repeatable).
    #[arg(long = "credential", env = "TRENT_CREDENTIAL", value_delimiter = ' ')]
    credentials: Vec<String>,
    /// Development mode: access key `test`/`test` for account 111122223333, reset and clock control.
    #[arg(long, env = "TRENT_DEV")]
    dev: bool,
    /// The 32-byte root key file [default: DATA_DIR/root.key, created on first start].
    #[arg(long, env = "TRENT_ROOT_KEY_FILE")]
    root_key_file: Option<PathBuf>,
    /// How often, at most, the deletion worker looks for due deletions, in seconds [default: 10].
    #[arg(long, env = "TRENT_DELETION_INTERVAL_SECS")]
    deletion_interval_secs: Option<u64>,
    /// Dev mode only: start the lifecycle clock this many seconds ahead, as if the server had been stopped that long.
    #[arg(long, env = "TRENT_DEV_CLOCK_OFFSET_SECS")]
    dev_clock_offset_secs: Option<u64>,
    /// New keys start with deletion protection on (Trent.SetDeletionProtection turns it off per key).
    #[arg(long, env = "TRENT_DELETION_PROTECTION_BY_DEFAULT")]
    deletion_protection_by_default: bool,
    /// Audit every call, reads and cryptography included, not only key changes [default: false; costs about 14% of
    /// Encrypt throughput, see docs/benchmarks.md].
    #[arg(long, env = "TRENT_AUDIT_CALLS", action = clap::ArgAction::Set)]
    audit_calls: Option<bool>,
    /// Remove audit events older than this many days (the chain stays verifiable from the last event removed)
    /// [default: keep every event].
    #[arg(long, env = "TRENT_AUDIT_RETENTION_DAYS")]
    audit_retention_days: Option<u64>,
    /// An http:// URL that receives every alarm (attempted use of a disabled or pending key) as a JSON POST, with
    /// retries (repeatable).
    #[arg(long = "alarm-webhook", env = "TRENT_ALARM_WEBHOOK", value_delimiter = ' ')]
    alarm_webhooks: Vec<String>,
    /// A TOML config file with the same settings (kebab-case names); flags and environment win over it.
    #[arg(long, env = "TRENT_CONFIG")]
    config: Option<PathBuf>,
    /// Log filter, e.g. `info` or `trent=debug` [default: info].
    #[arg(long, env = "TRENT_LOG", default_value = "info")]
    log: String,
}

/// Runs `trent serve`.
pub fn run(args: ServeArgs) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log).map_err(|e| format!("--log: {e}"))?;
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let overrides = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
        regions: args.regions,
        credentials: args.credentials,
        dev: args.dev,
        root_key_file: args.root_key_file,
        deletion_interval_secs: args.deletion_interval_secs,
        dev_clock_offset_secs: args.dev_clock_offset_secs,
        database: args.database,
        deletion_protection_by_default: args.deletion_protection_by_default,
        audit_calls: args.audit_calls,
        alarm_webhooks: args.alarm_webhooks,
        audit_retention_days: args.audit_retention_days,
    };
    let config = Config::resolve(overrides, file)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(trent_server::serve(config))
}
