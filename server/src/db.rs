//! The database: one pool on either SQLite (the zero-configuration default)
//! or PostgreSQL, and the migrations for each.
//!
//! Domain modules receive a [`Database`] and match on the engine where the
//! SQL dialects differ; everything engine-specific about connecting and
//! migrating stays here.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use app::system::{DatabaseEngine, MigrationLevel};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::DatabaseUrl;
use crate::data_dir::create_private_dir;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// How long a caller waits for a pooled connection before giving up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits on a locked database before failing a statement.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Evaluates `$body` with `$pool` bound to whichever pool `$db` holds: for
/// statements whose SQL is the same on both engines. The body is compiled
/// once per engine, so it may use engine-specific types through inference.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Database::Sqlite($pool) => $body,
            $crate::db::Database::Postgres($pool) => $body,
        }
    };
}

/// A connection pool on one of the supported engines.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data folder {path}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply database migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
}

impl Database {
    /// Opens a pool, creating the SQLite file (and its folder) on first use.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, DbError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                create_parent_dir(path)?;
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT);
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(DbError::Connect)?;
                Ok(Database::Sqlite(pool))
            }
            DatabaseUrl::Postgres(url) => {
                let options = PgConnectOptions::from_str(url).map_err(DbError::Connect)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(DbError::Connect)?;
                Ok(Database::Postgres(pool))
            }
        }
    }

    pub fn engine(&self) -> DatabaseEngine {
        match self {
            Database::Sqlite(_) => DatabaseEngine::Sqlite,
            Database::Postgres(_) => DatabaseEngine::Postgres,
        }
    }

    /// Applies every pending migration. Safe to run repeatedly and from
    /// several processes: sqlx serialises concurrent runs with a lock.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Database::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Database::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(DbError::Migrate)
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    /// The newest applied migration against the newest this build knows.
    pub async fn migration_level(&self) -> Result<MigrationLevel, DbError> {
        let table_exists_sql = match self {
            Database::Sqlite(_) => {
                "SELECT EXISTS (SELECT 1 FROM sqlite_master \
                 WHERE type = 'table' AND name = '_sqlx_migrations')"
            }
            Database::Postgres(_) => "SELECT to_regclass('_sqlx_migrations') IS NOT NULL",
        };
        let table_exists: bool =
            with_pool!(self, pool => sqlx::query_scalar(table_exists_sql).fetch_one(pool).await)?;
        let applied: Option<i64> = if table_exists {
            with_pool!(self, pool => {
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(pool)
                    .await
            })?
        } else {
            None
        };
        let migrator = match self {
            Database::Sqlite(_) => &SQLITE_MIGRATIONS,
            Database::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let latest_known = migrator.iter().map(|migration| migration.version).max();
        Ok(MigrationLevel {
            applied,
            latest_known,
        })
    }

    /// When this installation's database was first migrated, as RFC 3339 UTC.
    pub async fn installed_at(&self) -> Result<String, DbError> {
        let installed_at = match self {
            Database::Sqlite(pool) => {
                sqlx::query_scalar("SELECT installed_at FROM instance WHERE id = 1")
                    .fetch_one(pool)
                    .await?
            }
            Database::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT to_char(installed_at AT TIME ZONE 'UTC', \
                     'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM instance WHERE id = 1",
                )
                .fetch_one(pool)
                .await?
            }
        };
        Ok(installed_at)
    }

    /// Closes every pooled connection, waiting for checked-out ones.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
    }
}

fn create_parent_dir(path: &Path) -> Result<(), DbError> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    create_private_dir(parent).map_err(|source| DbError::DataDir {
        path: parent.display().to_string(),
        source,
    })
}
