//! `trent serve`: the server's settings (declared once in `trent_server::config::Settings`: flags, `TRENT_<NAME>`
//! environment variables, a `--config` TOML file, defaults), logging, and the server.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args};
use trent_server::config::{Config, Settings};

/// Every server setting, and where to read more of them: what `trent serve` takes, and the commands that work on its
/// store beside it (`trent admin backup`, `restore`).
#[derive(Debug, Args)]
pub struct ServerSettings {
    #[command(flatten)]
    settings: Settings,
    /// A TOML config file with the same settings (kebab-case names); flags and environment win over it.
    #[arg(long, env = "TRENT_CONFIG")]
    config: Option<PathBuf>,
}

impl ServerSettings {
    /// The configuration in force; `matches` are the subcommand's, which say which settings clap filled from their
    /// defaults (a config file's value wins over those).
    pub fn resolve(&self, matches: &ArgMatches) -> Result<Config, String> {
        let file = match &self.config {
            Some(path) => Settings::load(path)?,
            None => Settings::default(),
        };
        let defaulted: Vec<&str> = matches
            .ids()
            .map(|id| id.as_str())
            .filter(|id| matches.value_source(id) == Some(ValueSource::DefaultValue))
            .collect();
        Config::resolve(Settings::layered(&self.settings, &defaulted, &file)?)
    }
}

/// `trent serve` flags: every server setting, plus how much to log.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    server: ServerSettings,
    /// Log filter, e.g. `info` or `trent=debug`.
    #[arg(long, env = "TRENT_LOG", default_value = "info")]
    log: String,
}

/// Runs `trent serve`; `matches` are the subcommand's, which say which settings clap filled from their defaults.
pub fn run(args: ServeArgs, matches: &ArgMatches) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log).map_err(|e| format!("--log: {e}"))?;
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let config = args.server.resolve(matches)?;
    // One single-threaded runtime per core (the server starts the others, each with its own listener).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(trent_server::serve(config))
}
