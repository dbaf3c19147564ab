//! Server configuration: the settings of `trent serve`, their defaults, and the TOML config file they can come from.
//! Precedence: command-line flag, then `TRENT_<NAME>` environment variable (both handled by the CLI), then the
//! config file, then the default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use trent_domain::{AccountId, Region};

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8300";
/// The default data directory.
pub const DEFAULT_DATA_DIR: &str = "./trent-data";
/// The default deletion worker interval, in seconds.
pub const DEFAULT_DELETION_INTERVAL_SECS: u64 = 10;
/// The longest audit retention accepted: a hundred years.
pub const MAX_AUDIT_RETENTION_DAYS: u64 = 36_500;

/// An extra access key given on the command line: the administrator of its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSpec {
    /// The access key ID.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: String,
    /// The account it administers.
    pub account: AccountId,
}

impl CredentialSpec {
    /// Parses `ACCESS_KEY:SECRET:ACCOUNT_ID`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.splitn(3, ':');
        let (Some(access_key_id), Some(secret), Some(account)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("a credential is ACCESS_KEY:SECRET:ACCOUNT_ID".to_owned());
        };
        let account = AccountId::parse(account).ok_or_else(|| format!("'{account}' is not a 12-digit account ID"))?;
        if access_key_id.is_empty() || secret.is_empty() {
            return Err("a credential's access key and secret must not be empty".to_owned());
        }
        Ok(Self { access_key_id: access_key_id.to_owned(), secret: secret.to_owned(), account })
    }
}

impl std::fmt::Display for CredentialSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "{}:***:{}", self.access_key_id, self.account)
    }
}

/// The settings a config file may hold; every one optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    /// `listen`.
    pub listen: Option<String>,
    /// `data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `regions`.
    pub regions: Option<Vec<String>>,
    /// `credential`.
    pub credential: Option<Vec<String>>,
    /// `dev`.
    pub dev: Option<bool>,
    /// `root-key-file`.
    pub root_key_file: Option<PathBuf>,
    /// `deletion-interval-secs`.
    pub deletion_interval_secs: Option<u64>,
    /// `database`.
    pub database: Option<String>,
    /// `deletion-protection-by-default`.
    pub deletion_protection_by_default: Option<bool>,
    /// `audit-calls`.
    pub audit_calls: Option<bool>,
    /// `alarm-webhook`.
    pub alarm_webhook: Option<Vec<String>>,
    /// `audit-retention-days`.
    pub audit_retention_days: Option<u64>,
}

impl FileConfig {
    /// Reads a TOML config file.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }
}

/// Which store to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// The embedded SQLite store at this path.
    Sqlite(PathBuf),
    /// A PostgreSQL server, shared with other nodes.
    Postgres(String),
}

impl Database {
    /// Parses `sqlite://PATH` or `postgres://…` (also `postgresql://…`).
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("--database: sqlite:// needs a path, e.g. sqlite:///var/lib/trent/trent.db".to_owned());
            }
            Ok(Database::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(url.to_owned()))
        } else {
            Err("--database must be sqlite://PATH or postgres://USER@HOST/DATABASE".to_owned())
        }
    }
}

/// The resolved settings the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Where the root key, the admin credentials and (by default) the SQLite database live.
    pub data_dir: PathBuf,
    /// The store.
    pub database: Database,
    /// The root key file; `DATA_DIR/root.key` by default.
    pub root_key_file: PathBuf,
    /// Regions served; `None` accepts any well-formed region name.
    pub regions: Option<Vec<Region>>,
    /// Extra access keys.
    pub credentials: Vec<CredentialSpec>,
    /// Development mode: the `test`/`test` credential, reset and clock control.
    pub dev: bool,
    /// How often the deletion worker looks at the latest.
    pub deletion_interval: Duration,
    /// Dev mode only: start the lifecycle clock this many seconds ahead, as if the server had been off that long.
    pub dev_clock_offset_secs: u64,
    /// New keys start with deletion protection on.
    pub deletion_protection_by_default: bool,
    /// URLs (`http://`) that receive every alarm as a JSON POST.
    pub alarm_webhooks: Vec<String>,
    /// Every call is audited, not only key changes (off by default until the audit journal makes it cheap; see
    /// docs/benchmarks.md).
    pub audit_calls: bool,
    /// Audit events older than this many days are removed; `None` keeps every event.
    pub audit_retention_days: Option<u64>,
}

/// Settings as given on the command line or in the environment (`None` = not given).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--regions`.
    pub regions: Option<Vec<String>>,
    /// `--credential`.
    pub credentials: Vec<String>,
    /// `--dev`.
    pub dev: bool,
    /// `--root-key-file`.
    pub root_key_file: Option<PathBuf>,
    /// `--deletion-interval-secs`.
    pub deletion_interval_secs: Option<u64>,
    /// `--dev-clock-offset-secs`.
    pub dev_clock_offset_secs: Option<u64>,
    /// `--database`.
    pub database: Option<String>,
    /// `--deletion-protection-by-default`.
    pub deletion_protection_by_default: bool,
    /// `--audit-calls`.
    pub audit_calls: Option<bool>,
    /// `--alarm-webhook`.
    pub alarm_webhooks: Vec<String>,
    /// `--audit-retention-days`.
    pub audit_retention_days: Option<u64>,
}

impl Config {
    /// Merges command-line and environment settings over a config file's, over the defaults.
    pub fn resolve(overrides: Overrides, file: FileConfig) -> Result<Self, String> {
        let listen_text = overrides.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text
            .parse()
            .map_err(|_| format!("--listen: '{listen_text}' is not an address such as 127.0.0.1:8300"))?;
        let data_dir = overrides.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let root_key_file = overrides.root_key_file.or(file.root_key_file).unwrap_or_else(|| data_dir.join("root.key"));
        let database = match overrides.database.or(file.database) {
            Some(url) => Database::parse(&url)?,
            None => Database::Sqlite(data_dir.join("trent.db")),
        };
        let regions = match overrides.regions.or(file.regions) {
            None => None,
            Some(list) => Some(
                list.iter()
                    .flat_map(|item| item.split(','))
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(|r| Region::parse(r).ok_or_else(|| format!("--regions: '{r}' is not an AWS region name")))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let mut credential_texts = file.credential.unwrap_or_default();
        credential_texts.extend(overrides.credentials);
        let credentials = credential_texts
            .iter()
            .map(|c| CredentialSpec::parse(c).map_err(|e| format!("--credential: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let interval =
            overrides.deletion_interval_secs.or(file.deletion_interval_secs).unwrap_or(DEFAULT_DELETION_INTERVAL_SECS);
        if interval == 0 {
            return Err("--deletion-interval-secs must be at least 1".to_owned());
        }
        let dev = overrides.dev || file.dev.unwrap_or(false);
        if overrides.dev_clock_offset_secs.is_some() && !dev {
            return Err("--dev-clock-offset-secs needs --dev".to_owned());
        }
        let audit_retention_days = overrides.audit_retention_days.or(file.audit_retention_days);
        if audit_retention_days.is_some_and(|days| !(1..=MAX_AUDIT_RETENTION_DAYS).contains(&days)) {
            return Err(format!("--audit-retention-days must be between 1 and {MAX_AUDIT_RETENTION_DAYS}"));
        }
        Ok(Self {
            listen,
            data_dir,
            database,
            root_key_file,
            regions,
            credentials,
            dev,
            deletion_interval: Duration::from_secs(interval),
            dev_clock_offset_secs: overrides.dev_clock_offset_secs.unwrap_or(0),
            deletion_protection_by_default: overrides.deletion_protection_by_default
                || file.deletion_protection_by_default.unwrap_or(false),
            audit_calls: overrides.audit_calls.or(file.audit_calls).unwrap_or(false),
            audit_retention_days,
            alarm_webhooks: {
                let mut urls = file.alarm_webhook.unwrap_or_default();
                urls.extend(overrides.alarm_webhooks);
                if let Some(bad) = urls.iter().find(|u| !u.starts_with("http://")) {
                    return Err(format!(
                        "--alarm-webhook: '{bad}' must be an http:// URL (https is not supported yet)"
                    ));
                }
                urls
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let config = Config::resolve(Overrides::default(), FileConfig::default()).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.root_key_file, PathBuf::from(DEFAULT_DATA_DIR).join("root.key"));
        assert!(config.regions.is_none());
        assert!(!config.dev);
    }

    #[test]
    fn flags_win_over_the_config_file() {
        let file: FileConfig =
            toml::from_str("listen = \"127.0.0.1:9000\"\nregions = [\"eu-west-1\"]\ndev = true\n").unwrap();
        let overrides = Overrides { listen: Some("127.0.0.1:9100".to_owned()), ..Overrides::default() };
        let config = Config::resolve(overrides, file).unwrap();
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.regions.unwrap()[0].as_str(), "eu-west-1");
        assert!(config.dev);
    }

    #[test]
    fn bad_settings_are_refused_with_a_reason() {
        let bad = |o: Overrides| Config::resolve(o, FileConfig::default()).unwrap_err();
        assert!(bad(Overrides { regions: Some(vec!["mars-1".to_owned()]), ..Overrides::default() }).contains("mars-1"));
        assert!(bad(Overrides { credentials: vec!["AK:SECRET:123".to_owned()], ..Overrides::default() })
            .contains("account"));
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
        assert!(bad(Overrides { dev_clock_offset_secs: Some(5), ..Overrides::default() }).contains("--dev"));
        assert!(
            bad(Overrides { audit_retention_days: Some(0), ..Overrides::default() }).contains("--audit-retention-days")
        );
    }

    #[test]
    fn database_urls_select_the_backend() {
        let config =
            Config::resolve(Overrides { data_dir: Some("/d".into()), ..Overrides::default() }, FileConfig::default())
                .unwrap();
        assert_eq!(config.database, Database::Sqlite(PathBuf::from("/d/trent.db")));
        assert_eq!(Database::parse("sqlite:///x/y.db"), Ok(Database::Sqlite(PathBuf::from("/x/y.db"))));
        assert_eq!(
            Database::parse("postgres://trent@db/trent"),
            Ok(Database::Postgres("postgres://trent@db/trent".to_owned()))
        );
        assert!(Database::parse("mysql://x").is_err());
    }

    #[test]
    fn credential_display_hides_the_secret() {
        let c = CredentialSpec::parse("AKIAEXTRA:topsecret:444455556666").unwrap();
        assert!(!c.to_string().contains("topsecret"));
    }
}
