//! `trent ceiling` (hidden): the benchmark's ceiling, the same HTTP stack answering a fixed body.

use clap::Args;

/// `trent ceiling` flags.
#[derive(Debug, Args)]
pub struct CeilingArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
}

/// Runs `trent ceiling`.
pub fn run(args: CeilingArgs) -> Result<(), String> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(trent_server::ceiling::serve_ceiling(args.listen))
}
