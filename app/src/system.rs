//! Facts about the running server: its version, database engine and schema
//! migration level, shown on the About page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// Which database engine the server is using.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseEngine {
    Sqlite,
    Postgres,
}

impl DatabaseEngine {
    pub fn label(self) -> &'static str {
        match self {
            DatabaseEngine::Sqlite => "SQLite",
            DatabaseEngine::Postgres => "PostgreSQL",
        }
    }
}

/// The schema state of the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationLevel {
    /// Version of the newest applied migration, if any has been applied.
    pub applied: Option<i64>,
    /// Version of the newest migration this build of the server knows.
    pub latest_known: Option<i64>,
}

impl MigrationLevel {
    pub fn is_current(&self) -> bool {
        self.applied == self.latest_known
    }
}

/// What the About page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub database: DatabaseEngine,
    pub migrations: MigrationLevel,
    /// When the database was first set up, RFC 3339 in UTC.
    pub installed_at: String,
    pub uptime_secs: u64,
}

/// The server's implementation of the system context, provided to server
/// functions through Leptos context as `Arc<dyn SystemService>`.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait SystemService: Send + Sync + 'static {
    async fn server_info(&self) -> Result<ServerInfo, AppError>;
}

/// Reads the server's version, database engine and migration level. For
/// signed-in callers only: the version tells an attacker which flaws to
/// try.
#[server(name = ServerInfoFn, prefix = "/api", endpoint = "server_info")]
pub async fn server_info() -> Result<ServerInfo, AppError> {
    crate::auth::signed_in().await?;
    crate::services::service::<dyn SystemService>()?
        .server_info()
        .await
}
