//! The Caveman server: configuration, persistence, domain contexts and the
//! HTTP surface, assembled by the `caveman` binary in `main.rs`.
//!
//! It is a library as well so that integration tests can start the whole
//! application in-process against a fresh database.

// First, so that its `with_pool!` macro is visible in the modules below.
#[macro_use]
pub mod db;

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod hosts;
pub mod http;
pub mod mailer;
pub mod outbound;
pub mod rate_limit;
pub mod serve;
pub mod sources;
pub mod system;
pub mod telemetry;
pub mod tokens;
pub mod vault;
pub mod workspaces;
