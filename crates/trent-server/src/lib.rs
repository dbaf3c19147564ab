//! Trent's HTTP server: [`app`] builds the router (the AWS KMS edge, dev controls, status), [`serve`] runs it with
//! the store, the deletion worker, bounded connections and graceful shutdown.
#![warn(missing_docs)]

pub mod alibaba;
pub mod app;
pub mod balance;
pub mod config;
pub mod console;
pub mod credentials;
pub mod dev;
pub mod files;
pub mod metrics;
pub mod serve;
pub mod webhooks;

pub use app::{app, AppState};
pub use config::Config;
pub use serve::serve;
