//! Integration tests of the whole server, one binary for all of them (one
//! link instead of many). Each module mirrors a part of the HTTP surface.
//!
//! Persistence tests run on SQLite and on PostgreSQL; the test command
//! provides the PostgreSQL server through CAVEMAN_TEST_POSTGRES_URL.

#![allow(clippy::unwrap_used)]

mod access;
mod accounts;
mod cli;
mod database;
mod fakes;
mod git;
mod health;
mod hosts;
mod listing;
mod mail;
mod middleware;
mod pages;
mod plain_forms;
mod registry;
mod remote_docker;
mod rotation;
mod server_fns;
mod sources;
mod support;
mod workspaces;
