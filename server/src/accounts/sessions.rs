//! The tower-sessions store on Caveman's database, on either engine.
//!
//! Rows are keyed by the SHA-256 of the session id, so the table never
//! holds a usable cookie value. The signed-in account, address and user
//! agent are copied out of the record into columns, for the sessions list
//! and for ending every session of an account at once.
//!
//! `save` only updates: a session ended elsewhere (revoked, "sign out
//! everywhere", a password change) must not come back because a request
//! that was already in flight saves it afterwards.

use app::auth::{AUTH_KEY, CLIENT_KEY, Client, SessionAuth};
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::db::Database;
use crate::tokens;

/// Sessions in the `sessions` table.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Database,
}

/// The columns copied out of a record.
struct Columns {
    id_hash: String,
    user_id: Option<i64>,
    data: String,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl DbSessionStore {
    pub fn new(db: Database) -> Self {
        DbSessionStore { db }
    }

    /// Deletes the sessions that have expired; run now and then.
    pub async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let now = app::auth::now_secs();
        with_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }
}

impl DbSessionStore {
    /// Records that the session was used, at most once a minute, for the
    /// sessions list (tower-sessions saves a record only when it changes).
    async fn touch(&self, id: &Id) -> session_store::Result<()> {
        let now = app::auth::now_secs();
        with_pool!(&self.db, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $3")
                .bind(id_hash(&id.to_string()))
                .bind(now)
                .bind(now - TOUCH_EVERY_SECS)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(backend)?;
        Ok(())
    }
}

/// How stale `last_seen_at` may get before a request updates it.
const TOUCH_EVERY_SECS: i64 = 60;

/// The stored key of a session id.
pub fn id_hash(id: &str) -> String {
    tokens::hash(id)
}

fn columns(record: &Record) -> session_store::Result<Columns> {
    let auth = record
        .data
        .get(AUTH_KEY)
        .and_then(|value| serde_json::from_value::<SessionAuth>(value.clone()).ok());
    let client = record
        .data
        .get(CLIENT_KEY)
        .and_then(|value| serde_json::from_value::<Client>(value.clone()).ok())
        .unwrap_or_default();
    Ok(Columns {
        id_hash: id_hash(&record.id.to_string()),
        user_id: auth.map(|auth| auth.user_id),
        data: serde_json::to_string(&record.data)
            .map_err(|error| session_store::Error::Encode(error.to_string()))?,
        expires_at: record.expiry_date.unix_timestamp(),
        ip: client.ip.map(|ip| ip.to_string()),
        user_agent: client.user_agent,
    })
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = app::auth::now_secs();
        loop {
            let row = columns(record)?;
            let inserted = with_pool!(&self.db, pool => {
                sqlx::query(
                    "INSERT INTO sessions \
                     (id_hash, user_id, data, expires_at, created_at, last_seen_at, ip, user_agent) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
                )
                .bind(&row.id_hash)
                .bind(row.user_id)
                .bind(&row.data)
                .bind(row.expires_at)
                .bind(now)
                .bind(&row.ip)
                .bind(&row.user_agent)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            });
            match inserted {
                Ok(_) => return Ok(()),
                // A 128-bit id colliding is next to impossible; draw again.
                Err(error) if is_unique_violation(&error) => record.id = Id::default(),
                Err(error) => return Err(backend(error)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = columns(record)?;
        with_pool!(&self.db, pool => {
            sqlx::query(
                "UPDATE sessions SET user_id = $2, data = $3, expires_at = $4, last_seen_at = $5 \
                 WHERE id_hash = $1",
            )
            .bind(&row.id_hash)
            .bind(row.user_id)
            .bind(&row.data)
            .bind(row.expires_at)
            .bind(app::auth::now_secs())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found: Option<(String, i64)> = with_pool!(&self.db, pool => {
            sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                .bind(id_hash(&id.to_string()))
                .bind(app::auth::now_secs())
                .fetch_optional(pool)
                .await
        })
        .map_err(backend)?;
        let Some((data, expires_at)) = found else {
            return Ok(None);
        };
        self.touch(id).await?;
        let data = serde_json::from_str(&data)
            .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        with_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash(&id.to_string()))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(backend)?;
        Ok(())
    }
}
