//! The Caveman server: configuration, persistence, domain contexts and the
//! HTTP surface, assembled by the `caveman` binary in `main.rs`.
//!
//! It is a library as well so that integration tests can start the whole
//! application in-process against a fresh database.

pub mod cli;
pub mod config;
pub mod data_dir;
pub mod db;
pub mod http;
pub mod serve;
pub mod system;
pub mod telemetry;
pub mod vault;
