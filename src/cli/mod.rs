//! One file per subcommand; `client` is the signed HTTP client they share, and `say!` the one way they print.

/// Prints a line to standard output as `println!` does, except that a closed output (`trent audit events | head`)
/// ends the command quietly with success, as Unix tools do, instead of panicking. Declared before the subcommands'
/// modules, so it is in scope in each.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::cli::output_failed(error);
        }
    }};
}

/// Ends the process after standard output failed: quietly when its reader went away, else with the error.
pub fn output_failed(error: std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write the output: {error}");
    std::process::exit(1);
}

pub mod admin;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod client;
pub mod key;
pub mod retire;
pub mod serve;
pub mod usage;
