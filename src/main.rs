//! The `trent` binary: `trent serve` runs the KMS; `trent bench` loads one with signed requests.

mod cli;

use clap::{Parser, Subcommand};

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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cli::serve::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("trent: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
