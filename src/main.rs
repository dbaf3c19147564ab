//! The `trent` binary: `trent serve` runs the KMS; `trent key`, `trent audit` and `trent admin` are clients of its
//! signed API; `trent bench` loads one with signed requests.

mod cli;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc: the request path allocates many short-lived buffers, which glibc's allocator serves markedly slower
/// (measured with `trent bench`, see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Trent: a self-hosted Key Management Service speaking the AWS KMS API.
#[derive(Debug, Parser)]
#[command(name = "trent", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server.
    Serve(cli::serve::ServeArgs),
    /// Manage keys on a server: list, describe, create, enable, disable, schedule-deletion, cancel-deletion,
    /// protect, unprotect, allow-deletion, usage, retire.
    Key(cli::key::KeyArgs),
    /// Query and verify a server's audit trail.
    Audit(cli::audit::AuditArgs),
    /// Manage an account's users, their access keys and identity policies; back up and restore the whole store.
    Admin(cli::admin::AdminArgs),
    /// Load-test Trent beside an nginx ceiling and a peer KMS, with wrk (see docs/benchmarks.md).
    Bench(cli::bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let result = match cli.command {
        Command::Serve(args) => cli::serve::run(args, matches.subcommand_matches("serve").unwrap_or(&matches)),
        Command::Bench(args) => cli::bench::run(args),
        Command::Key(args) => cli::key::run(args),
        Command::Audit(args) => cli::audit::run(args),
        Command::Admin(args) => cli::admin::run(args, matches.subcommand_matches("admin").unwrap_or(&matches)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("trent: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
