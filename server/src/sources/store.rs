//! The sources context's SQL. Every statement names the workspace it acts
//! in, so a source id from another workspace finds nothing.

use app::auth::now_secs;
use app::sources::{GitFacts, Provider, SourceDetail, SourceKind, SourceStatus, SourceSummary};

use crate::db::Database;

/// A source row as stored, the password still sealed.
/// `Debug` shows the sealed credential, which is ciphertext.
#[derive(Debug, sqlx::FromRow)]
pub struct SourceRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub kind: String,
    pub provider: String,
    pub url: String,
    pub username: Option<String>,
    pub credentials: Option<Vec<u8>>,
    pub description: String,
    pub status: String,
    pub checked_at: Option<i64>,
    pub latency_ms: Option<i64>,
    pub check_error: Option<String>,
    pub facts: Option<String>,
    pub host_key: Option<String>,
    pub api_url: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT s.id, s.workspace_id, s.name, s.kind, s.provider, s.url, s.username, \
     s.credentials, s.description, s.status, s.checked_at, s.latency_ms, s.check_error, s.facts, \
     s.host_key, s.api_url, u.display_name AS created_by, s.created_at, s.updated_at \
     FROM sources s LEFT JOIN users u ON u.id = s.created_by";

impl SourceRow {
    pub fn kind(&self) -> SourceKind {
        // The column's CHECK constraint admits exactly the known kinds.
        SourceKind::parse(&self.kind).unwrap_or(SourceKind::Registry)
    }

    pub fn provider(&self) -> Provider {
        // Only the context writes this column, always from a parsed value.
        Provider::parse(self.kind(), &self.provider).unwrap_or(Provider::Generic)
    }

    pub fn summary(&self) -> SourceSummary {
        SourceSummary {
            id: self.id,
            workspace_id: self.workspace_id,
            name: self.name.clone(),
            kind: self.kind(),
            provider: self.provider(),
            url: self.url.clone(),
            username: self.username.clone(),
            status: SourceStatus::parse(&self.status).unwrap_or(SourceStatus::Unknown),
            checked_at: self.checked_at,
            latency_ms: self.latency_ms,
        }
    }

    pub fn detail(&self) -> SourceDetail {
        SourceDetail {
            summary: self.summary(),
            description: self.description.clone(),
            has_credentials: self.credentials.is_some(),
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            check_error: self.check_error.clone(),
            host_key_fingerprint: self
                .host_key
                .as_deref()
                .and_then(crate::hosts::ssh::fingerprint_of),
            git: self
                .facts
                .as_deref()
                .and_then(|facts| serde_json::from_str::<GitFacts>(facts).ok()),
            api_url: self.api_url.clone(),
        }
    }
}

pub async fn list(db: &Database, workspace_id: i64) -> Result<Vec<SourceRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE s.workspace_id = $1 ORDER BY s.name, s.id");
    with_pool!(db, pool => {
        sqlx::query_as(&sql).bind(workspace_id).fetch_all(pool).await
    })
}

pub async fn count(db: &Database, workspace_id: i64) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM sources WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(pool)
            .await
    })
}

pub async fn get(
    db: &Database,
    workspace_id: i64,
    id: i64,
) -> Result<Option<SourceRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE s.workspace_id = $1 AND s.id = $2");
    with_pool!(db, pool => {
        sqlx::query_as(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}

/// A source to insert.
#[derive(Debug)]
pub struct Insert<'a> {
    pub workspace_id: i64,
    pub name: &'a str,
    pub kind: SourceKind,
    pub provider: Provider,
    pub url: &'a str,
    pub username: Option<&'a str>,
    pub description: &'a str,
    /// The pinned SSH host key of a git repository over SSH.
    pub host_key: Option<&'a str>,
    /// The vendor API that lists a registry's repositories.
    pub api_url: Option<&'a str>,
    pub created_by: i64,
}

/// Inserts a source and its sealed credential in one transaction; `seal`
/// turns the new row's id into the sealed value, which is bound to that id
/// and so can only be made once it is known. `None` when the workspace
/// already has a source of that name.
pub async fn insert(
    db: &Database,
    source: Insert<'_>,
    seal: impl Fn(i64) -> Option<Vec<u8>>,
) -> Result<Option<i64>, sqlx::Error> {
    let now = now_secs();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO sources (workspace_id, name, kind, provider, url, username, description, \
             host_key, api_url, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'unknown', $10, $11, $11) \
             ON CONFLICT (workspace_id, name) DO NOTHING RETURNING id",
        )
        .bind(source.workspace_id)
        .bind(source.name)
        .bind(source.kind.as_str())
        .bind(source.provider.as_str())
        .bind(source.url)
        .bind(source.username)
        .bind(source.description)
        .bind(source.host_key)
        .bind(source.api_url)
        .bind(source.created_by)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(sealed) = seal(id) {
            sqlx::query("UPDATE sources SET credentials = $1 WHERE id = $2")
                .bind(sealed)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    })
}

#[derive(Debug)]
pub enum Updated {
    Done,
    NotFound,
    NameTaken,
}

pub async fn update(
    db: &Database,
    workspace_id: i64,
    id: i64,
    name: &str,
    description: &str,
) -> Result<Updated, sqlx::Error> {
    let taken: Option<i64> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT id FROM sources WHERE workspace_id = $1 AND name = $2 AND id <> $3",
        )
        .bind(workspace_id)
        .bind(name)
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    if taken.is_some() {
        return Ok(Updated::NameTaken);
    }
    let changed = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE sources SET name = $1, description = $2, updated_at = $3 \
             WHERE workspace_id = $4 AND id = $5",
        )
        .bind(name)
        .bind(description)
        .bind(now_secs())
        .bind(workspace_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(if changed == 1 {
        Updated::Done
    } else {
        Updated::NotFound
    })
}

/// Stores a new account (`None` for anonymous access); false when the
/// source is not there. The last test's outcome no longer says anything
/// about the new account, so the status goes back to unknown.
pub async fn set_account(
    db: &Database,
    workspace_id: i64,
    id: i64,
    username: Option<&str>,
    sealed: Option<&[u8]>,
) -> Result<bool, sqlx::Error> {
    let changed = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE sources SET username = $1, credentials = $2, status = 'unknown', \
             check_error = NULL, updated_at = $3 WHERE workspace_id = $4 AND id = $5",
        )
        .bind(username)
        .bind(sealed)
        .bind(now_secs())
        .bind(workspace_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(changed == 1)
}

/// The outcome of one test.
#[derive(Debug)]
pub struct CheckOutcome<'a> {
    pub status: SourceStatus,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    /// Kept from the previous test when this one has none, so the page
    /// still shows what the repository was last seen as.
    pub facts: Option<&'a GitFacts>,
}

pub async fn record_check(
    db: &Database,
    workspace_id: i64,
    id: i64,
    outcome: &CheckOutcome<'_>,
) -> Result<(), sqlx::Error> {
    let facts = outcome
        .facts
        .and_then(|facts| serde_json::to_string(facts).ok());
    with_pool!(db, pool => {
        sqlx::query(
            "UPDATE sources SET status = $1, checked_at = $2, latency_ms = $3, check_error = $4, \
             facts = COALESCE($5, facts) WHERE workspace_id = $6 AND id = $7",
        )
        .bind(outcome.status.as_str())
        .bind(now_secs())
        .bind(outcome.latency_ms)
        .bind(outcome.error)
        .bind(facts)
        .bind(workspace_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

/// Pins a new SSH host key; false when the source is not there.
pub async fn set_host_key(
    db: &Database,
    workspace_id: i64,
    id: i64,
    host_key: &str,
) -> Result<bool, sqlx::Error> {
    let changed = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE sources SET host_key = $1, updated_at = $2 WHERE workspace_id = $3 AND id = $4",
        )
        .bind(host_key)
        .bind(now_secs())
        .bind(workspace_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(changed == 1)
}

/// Deletes a source; false when it is not there.
pub async fn delete(db: &Database, workspace_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let deleted = with_pool!(db, pool => {
        sqlx::query("DELETE FROM sources WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(deleted == 1)
}
