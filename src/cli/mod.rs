//! One file per subcommand.

pub mod bench;
pub mod ceiling;
pub mod serve;
