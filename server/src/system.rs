//! The system context: facts about this server process and its database.

use std::time::Instant;

use app::AppError;
use app::system::{ServerInfo, SystemService};

use crate::db::Database;

/// Answers the About page from the live database and process.
#[derive(Debug)]
pub struct System {
    db: Database,
    started: Instant,
}

impl System {
    pub fn new(db: Database, started: Instant) -> Self {
        Self { db, started }
    }
}

#[async_trait::async_trait]
impl SystemService for System {
    async fn server_info(&self) -> Result<ServerInfo, AppError> {
        let migrations = self
            .db
            .migration_level()
            .await
            .map_err(|e| AppError::internal(&e))?;
        let installed_at = self
            .db
            .installed_at()
            .await
            .map_err(|e| AppError::internal(&e))?;
        Ok(ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database: self.db.engine(),
            migrations,
            installed_at,
            uptime_secs: self.started.elapsed().as_secs(),
        })
    }
}
