//! The local mailbox: mail kept in the database instead of sent, for
//! installations without a mail server and for tests.

use async_trait::async_trait;
use serde::Serialize;

use super::{Mail, MailError, Transport};
use crate::db::Database;

/// How many mails the mailbox keeps; older ones are deleted as new ones
/// arrive, so it cannot grow without bound.
const KEEP: i64 = 500;

#[derive(Debug, Clone)]
pub struct Mailbox {
    db: Database,
}

/// A mail as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

impl Mailbox {
    pub fn new(db: Database) -> Self {
        Mailbox { db }
    }

    /// The newest mails first.
    pub async fn list(&self, limit: i64) -> Result<Vec<StoredMail>, sqlx::Error> {
        with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, recipient, subject, body, created_at FROM mailbox \
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await
        })
    }
}

#[async_trait]
impl Transport for Mailbox {
    async fn deliver(&self, mail: &Mail) -> Result<(), MailError> {
        let now = app::auth::now_secs();
        with_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO mailbox (recipient, subject, body, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&mail.to)
            .bind(&mail.subject)
            .bind(&mail.body)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(MailError::Store)?;
            sqlx::query("DELETE FROM mailbox WHERE id <= (SELECT MAX(id) FROM mailbox) - $1")
                .bind(KEEP)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
                .map_err(MailError::Store)
        })?;
        Ok(())
    }
}
