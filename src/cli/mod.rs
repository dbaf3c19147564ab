//! One file per subcommand; `client` is the signed HTTP client they share.

pub mod audit;
pub mod bench;
pub mod client;
pub mod key;
pub mod retire;
pub mod serve;
pub mod usage;
