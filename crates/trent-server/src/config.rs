//! Server configuration: every setting of `trent serve` declared once ([`Settings`]: flag, environment variable, TOML
//! key and default), layered in the README's precedence (flag, then `TRENT_<NAME>` environment variable, then the
//! config file, then the default), and checked into the [`Config`] the server runs with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use trent_domain::{AccountId, Region};

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

/// Every setting of `trent serve`, declared once: each field is a flag (`--data-dir`), an environment variable
/// (`TRENT_DATA_DIR`), a key of the TOML file given with `--config` (`data-dir = …`) and, where it has one, a default
/// that `--help` shows. [`Settings::layered`] applies the README's precedence: flag, then environment, then file, then
/// default. Every field is optional so that each source can say "not given".
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "TRENT_LISTEN", default_value = "127.0.0.1:8300")]
    pub listen: Option<String>,
    /// Address to serve the Alibaba Cloud KMS API on [default: off; with --dev, the --listen address's port + 1,
    /// 127.0.0.1:8301 unless --listen says otherwise].
    #[arg(long, env = "TRENT_ALIBABA_LISTEN")]
    pub alibaba_listen: Option<String>,
    /// Directory for the SQLite database, the root key file and the admin credentials; created on first start.
    #[arg(long, env = "TRENT_DATA_DIR", default_value = "./trent-data")]
    pub data_dir: Option<PathBuf>,
    /// The store: sqlite://PATH or postgres://USER@HOST/DATABASE [default: sqlite://DATA_DIR/trent.db].
    #[arg(long, env = "TRENT_DATABASE")]
    pub database: Option<String>,
    /// Regions served, comma-separated [default: any well-formed AWS region name].
    #[arg(long, env = "TRENT_REGIONS", value_delimiter = ',')]
    pub regions: Option<Vec<String>>,
    /// Extra access key ACCESS_KEY:SECRET:ACCOUNT_ID, the administrator of its account (repeatable).
    #[arg(long, env = "TRENT_CREDENTIAL", value_delimiter = ' ')]
    pub credential: Option<Vec<String>>,
    /// Development mode: access key `test`/`test` for account 111122223333, reset and clock control.
    #[arg(long, env = "TRENT_DEV", num_args = 0..=1, default_value = "false", default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub dev: Option<bool>,
    /// The 32-byte root key file [default: DATA_DIR/root.key, created on first start].
    #[arg(long, env = "TRENT_ROOT_KEY_FILE")]
    pub root_key_file: Option<PathBuf>,
    /// How often, at most, the deletion worker looks for due deletions, in seconds.
    #[arg(long, env = "TRENT_DELETION_INTERVAL_SECS", default_value = "10")]
    pub deletion_interval_secs: Option<u64>,
    /// Dev mode only: start the lifecycle clock this many seconds ahead, as if the server had been stopped that long.
    #[arg(long, env = "TRENT_DEV_CLOCK_OFFSET_SECS")]
    pub dev_clock_offset_secs: Option<u64>,
    /// New keys start with deletion protection on (Trent.SetDeletionProtection turns it off per key).
    #[arg(long, env = "TRENT_DELETION_PROTECTION_BY_DEFAULT", num_args = 0..=1, default_value = "false",
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub deletion_protection_by_default: Option<bool>,
    /// Audit every call, reads and cryptography included, not only key changes: the usage evidence safe deletion
    /// rests on. On by default; `false` records key changes only (auditing costs about 13% of Encrypt throughput,
    /// see docs/benchmarks.md).
    #[arg(long, env = "TRENT_AUDIT_CALLS", default_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub audit_calls: Option<bool>,
    /// Remove audit events older than this many days (the chain stays verifiable from the last event removed)
    /// [default: keep every event].
    #[arg(long, env = "TRENT_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u64>,
    /// An http:// URL that receives every alarm (attempted use of a disabled or pending key) as a JSON POST, with
    /// retries (repeatable).
    #[arg(long, env = "TRENT_ALARM_WEBHOOK", value_delimiter = ' ')]
    pub alarm_webhook: Option<Vec<String>>,
    /// Serve the web console under /console/ on the AWS listener (it signs every call with the signed-in person's
    /// access key, like any client; see docs/console.md).
    #[arg(long, env = "TRENT_CONSOLE", num_args = 0..=1, default_value = "true", default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub console: Option<bool>,
    /// The account whose root user operates the whole deployment: the only caller of Trent.BackupStore, whose backup
    /// holds every account's keys [default: the dev account with --dev; else none].
    #[arg(long, env = "TRENT_OPERATOR_ACCOUNT")]
    pub operator_account: Option<String>,
}

impl Settings {
    /// The defaults alone, as declared on the fields (read through clap with no flags and no environment).
    pub fn defaults() -> Self {
        let command = <Self as clap::Args>::augment_args(clap::Command::new("defaults")).mut_args(|arg| arg.env(None));
        command
            .try_get_matches_from(["defaults"])
            .ok()
            .and_then(|matches| <Self as clap::FromArgMatches>::from_arg_matches(&matches).ok())
            .unwrap_or_default()
    }

    /// The settings in force: what `given` (flags and environment, as clap parsed them) sets, over `file`, over the
    /// defaults. `defaulted` names the fields clap filled with their default rather than from a flag or the
    /// environment; a file's value wins over those. One rule for every field, through their TOML names.
    pub fn layered(given: &Self, defaulted: &[&str], file: &Self) -> Result<Self, String> {
        let table = |settings: &Self| match toml::Value::try_from(settings) {
            Ok(toml::Value::Table(table)) => Ok(table),
            Ok(_) => Err("settings are a table".to_owned()),
            Err(error) => Err(format!("settings: {error}")),
        };
        let (given, file) = (table(given)?, table(file)?);
        let is_default = |name: &str| defaulted.iter().any(|id| id.replace('_', "-") == name);
        let mut merged = toml::value::Table::new();
        merged.extend(given.iter().filter(|(name, _)| is_default(name)).map(|(k, v)| (k.clone(), v.clone())));
        merged.extend(file);
        merged.extend(given.into_iter().filter(|(name, _)| !is_default(name)));
        toml::Value::Table(merged).try_into().map_err(|error| format!("settings: {error}"))
    }

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
    /// Where to serve the Alibaba Cloud KMS API, if anywhere.
    pub alibaba_listen: Option<SocketAddr>,
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
    /// Every call is audited, not only key changes (the default; its cost is in docs/benchmarks.md).
    pub audit_calls: bool,
    /// Audit events older than this many days are removed; `None` keeps every event.
    pub audit_retention_days: Option<u64>,
    /// The web console is served under `/console/`.
    pub console: bool,
    /// The account whose root user may back up the whole store through the API.
    pub operator_account: Option<AccountId>,
}

impl Config {
    /// Checks the settings in force (see [`Settings::layered`]) and turns them into the server's configuration.
    pub fn resolve(settings: Settings) -> Result<Self, String> {
        let missing = |flag: &str| format!("{flag} has no value");
        let listen_text = settings.listen.ok_or_else(|| missing("--listen"))?;
        let listen = listen_text
            .parse()
            .map_err(|_| format!("--listen: '{listen_text}' is not an address such as 127.0.0.1:8300"))?;
        let dev = settings.dev.unwrap_or(false);
        let alibaba_listen = match settings.alibaba_listen {
            Some(text) => Some(
                text.parse()
                    .map_err(|_| format!("--alibaba-listen: '{text}' is not an address such as 127.0.0.1:8301"))?,
            ),
            // Dev mode serves both APIs: Alibaba's on the next port (or any free one, when --listen asks for any).
            None if dev => {
                let mut address: SocketAddr = listen;
                address.set_port(if listen.port() == 0 { 0 } else { listen.port().saturating_add(1) });
                Some(address)
            }
            None => None,
        };
        let operator_account = match settings.operator_account {
            Some(text) => Some(
                AccountId::parse(&text)
                    .ok_or_else(|| format!("--operator-account: '{text}' is not a 12-digit account ID"))?,
            ),
            None if dev => AccountId::parse(crate::credentials::DEV_ACCOUNT),
            None => None,
        };
        let data_dir = settings.data_dir.ok_or_else(|| missing("--data-dir"))?;
        let root_key_file = settings.root_key_file.unwrap_or_else(|| data_dir.join("root.key"));
        let database = match settings.database {
            Some(url) => Database::parse(&url)?,
            None => Database::Sqlite(data_dir.join("trent.db")),
        };
        let regions = match settings.regions {
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
        let credentials = settings
            .credential
            .unwrap_or_default()
            .iter()
            .map(|c| CredentialSpec::parse(c).map_err(|e| format!("--credential: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let interval = settings.deletion_interval_secs.ok_or_else(|| missing("--deletion-interval-secs"))?;
        if interval == 0 {
            return Err("--deletion-interval-secs must be at least 1".to_owned());
        }
        if settings.dev_clock_offset_secs.is_some() && !dev {
            return Err("--dev-clock-offset-secs needs --dev".to_owned());
        }
        let audit_retention_days = settings.audit_retention_days;
        if audit_retention_days.is_some_and(|days| !(1..=MAX_AUDIT_RETENTION_DAYS).contains(&days)) {
            return Err(format!("--audit-retention-days must be between 1 and {MAX_AUDIT_RETENTION_DAYS}"));
        }
        let alarm_webhooks = settings.alarm_webhook.unwrap_or_default();
        if let Some(bad) = alarm_webhooks.iter().find(|u| !u.starts_with("http://")) {
            return Err(format!("--alarm-webhook: '{bad}' must be an http:// URL (https is not supported yet)"));
        }
        Ok(Self {
            listen,
            alibaba_listen,
            data_dir,
            database,
            root_key_file,
            regions,
            credentials,
            dev,
            deletion_interval: Duration::from_secs(interval),
            dev_clock_offset_secs: settings.dev_clock_offset_secs.unwrap_or(0),
            deletion_protection_by_default: settings.deletion_protection_by_default.unwrap_or(false),
            audit_calls: settings.audit_calls.unwrap_or(true),
            audit_retention_days,
            alarm_webhooks,
            console: settings.console.unwrap_or(true),
            operator_account,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches, Parser};

    use super::*;

    /// `trent serve`'s flags, as the binary declares them.
    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        settings: Settings,
    }

    /// Parses `args` as the binary does and layers the result over `file`.
    fn layered(args: &[&str], file: &str) -> Settings {
        let matches = Serve::command().try_get_matches_from([&["serve"], args].concat()).unwrap();
        let given = Serve::from_arg_matches(&matches).unwrap().settings;
        let defaulted: Vec<&str> = matches
            .ids()
            .map(|id| id.as_str())
            .filter(|id| matches.value_source(id) == Some(clap::parser::ValueSource::DefaultValue))
            .collect();
        Settings::layered(&given, &defaulted, &toml::from_str(file).unwrap()).unwrap()
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let config = Config::resolve(Settings::defaults()).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8300");
        assert_eq!(config.root_key_file, PathBuf::from("./trent-data").join("root.key"));
        assert_eq!(config.deletion_interval, Duration::from_secs(10));
        assert!(config.regions.is_none());
        assert!(!config.dev && config.audit_calls, "every call is audited by default");
        assert_eq!(config.alibaba_listen, None, "the Alibaba API is off unless asked for");
        let dev = Config::resolve(Settings { dev: Some(true), ..Settings::defaults() }).unwrap();
        assert_eq!(dev.alibaba_listen.map(|a| a.to_string()).as_deref(), Some("127.0.0.1:8301"));
        let any_port = Settings { dev: Some(true), listen: Some("127.0.0.1:0".to_owned()), ..Settings::defaults() };
        assert_eq!(Config::resolve(any_port).unwrap().alibaba_listen.map(|a| a.port()), Some(0));
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_the_defaults() {
        let file = "listen = \"127.0.0.1:9000\"\nregions = [\"eu-west-1\"]\ndev = true\ndeletion-interval-secs = 3\n";
        let settings = layered(&["--listen", "127.0.0.1:9100", "--audit-calls", "false"], file);
        let config = Config::resolve(settings).unwrap();
        assert_eq!(config.listen.port(), 9100, "the flag wins over the file");
        assert_eq!(config.regions.unwrap()[0].as_str(), "eu-west-1", "the file fills what no flag gave");
        assert!(config.dev, "the file wins over a default");
        assert_eq!(config.deletion_interval, Duration::from_secs(3), "the file wins over a default");
        assert!(!config.audit_calls, "the flag wins over the default");
        assert_eq!(Config::resolve(layered(&["--dev", "--data-dir", "/d"], "")).unwrap().data_dir, PathBuf::from("/d"));
        assert!(!Config::resolve(layered(&["--dev=false"], "dev = true")).unwrap().dev, "an explicit flag wins");
    }

    #[test]
    fn the_environment_wins_over_the_file_and_a_flag_over_the_environment() {
        // Only this test sets this variable; the others' parses do not look at the setting it names.
        std::env::set_var("TRENT_AUDIT_RETENTION_DAYS", "30");
        let from_env = layered(&[], "audit-retention-days = 7");
        let from_flag = layered(&["--audit-retention-days", "90"], "audit-retention-days = 7");
        std::env::remove_var("TRENT_AUDIT_RETENTION_DAYS");
        assert_eq!(from_env.audit_retention_days, Some(30));
        assert_eq!(from_flag.audit_retention_days, Some(90));
    }

    #[test]
    fn every_setting_is_a_key_of_the_file() {
        let all = "listen = \"127.0.0.1:1\"\nalibaba-listen = \"127.0.0.1:2\"\ndata-dir = \"/d\"\ndatabase = \"sqlite:///d/t.db\"\nregions = [\"eu-west-1\"]\n\
                   credential = [\"AK:S:111122223333\"]\ndev = true\nroot-key-file = \"/k\"\ndeletion-interval-secs = 2\n\
                   dev-clock-offset-secs = 5\ndeletion-protection-by-default = true\naudit-calls = true\n\
                   audit-retention-days = 30\nalarm-webhook = [\"http://h/a\"]\n";
        let file: Settings = toml::from_str(all).unwrap();
        assert_eq!(toml::Value::try_from(&file).unwrap().as_table().map(|t| t.len()), Some(14), "one key per field");
        assert!(toml::from_str::<Settings>("lisen = \"x\"").is_err(), "unknown keys are refused");
    }

    #[test]
    fn bad_settings_are_refused_with_a_reason() {
        let bad = |s: Settings| Config::resolve(s).unwrap_err();
        let defaults = Settings::defaults;
        assert!(bad(Settings { regions: Some(vec!["mars-1".to_owned()]), ..defaults() }).contains("mars-1"));
        assert!(bad(Settings { credential: Some(vec!["AK:SECRET:123".to_owned()]), ..defaults() }).contains("account"));
        assert!(bad(Settings { dev_clock_offset_secs: Some(5), ..defaults() }).contains("--dev"));
        assert!(bad(Settings { audit_retention_days: Some(0), ..defaults() }).contains("--audit-retention-days"));
        assert!(bad(Settings { deletion_interval_secs: Some(0), ..defaults() }).contains("at least 1"));
    }

    #[test]
    fn database_urls_select_the_backend() {
        let config = Config::resolve(Settings { data_dir: Some("/d".into()), ..Settings::defaults() }).unwrap();
        assert_eq!(config.database, Database::Sqlite(PathBuf::from("/d/trent.db")));
        assert_eq!(Database::parse("sqlite:///x/y.db"), Ok(Database::Sqlite(PathBuf::from("/x/y.db"))));
        assert_eq!(
            Database::parse("postgres://trent@db/trent"),
            Ok(Database::Postgres("postgres://trent@db/trent".to_owned()))
        );
        assert!(Database::parse("mysql://x").is_err());
    }
}
