//! The hosts context's SQL. Every statement names the workspace it acts
//! in, so a host id from another workspace finds nothing.

use app::auth::now_secs;
use app::hosts::{
    CredentialKind, DockerTransport, HostDetail, HostFacts, HostKind, HostStatus, HostSummary,
};

use crate::db::Database;

/// A host row as stored, credentials still sealed.
/// `Debug` shows the sealed credential, which is ciphertext.
#[derive(Debug, sqlx::FromRow)]
pub struct HostRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub kind: String,
    pub endpoint: String,
    pub credentials: Option<Vec<u8>>,
    pub description: String,
    pub labels: String,
    pub status: String,
    pub checked_at: Option<i64>,
    pub latency_ms: Option<i64>,
    pub facts: Option<String>,
    pub check_error: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT h.id, h.workspace_id, h.name, h.kind, h.endpoint, h.credentials, \
     h.description, h.labels, h.status, h.checked_at, h.latency_ms, h.facts, h.check_error, \
     u.display_name AS created_by, h.created_at, h.updated_at \
     FROM hosts h LEFT JOIN users u ON u.id = h.created_by";

impl HostRow {
    pub fn kind(&self) -> HostKind {
        // The column's CHECK constraint admits exactly the known kinds.
        HostKind::parse(&self.kind).unwrap_or(HostKind::Docker)
    }

    pub fn endpoint(&self) -> Endpoint {
        serde_json::from_str(&self.endpoint).unwrap_or_default()
    }

    /// How a Docker host is reached; `None` for the other kinds.
    pub fn transport(&self) -> Option<DockerTransport> {
        (self.kind() == HostKind::Docker)
            .then(|| self.endpoint().transport.unwrap_or(DockerTransport::Unix))
    }

    pub fn credential_kind(&self) -> CredentialKind {
        match (self.kind(), self.transport()) {
            (HostKind::Fly, _) => CredentialKind::ApiToken,
            (HostKind::Runpod, _) => CredentialKind::ApiKey,
            (HostKind::Docker, Some(DockerTransport::Ssh)) => CredentialKind::SshKey,
            (HostKind::Docker, Some(DockerTransport::Tls)) => CredentialKind::TlsFiles,
            (HostKind::Docker, _) => CredentialKind::None,
        }
    }

    pub fn summary(&self) -> HostSummary {
        let endpoint = self.endpoint();
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let target = match (self.kind(), self.transport()) {
            (HostKind::Docker, Some(DockerTransport::Tls)) => {
                format!("tcp+tls://{}", text(&endpoint.address))
            }
            (HostKind::Docker, Some(DockerTransport::Ssh)) => format!(
                "ssh://{}@{}{}",
                text(&endpoint.user),
                text(&endpoint.address),
                text(&endpoint.socket_path)
            ),
            (HostKind::Docker, _) => format!("unix://{}", text(&endpoint.socket_path)),
            (HostKind::Fly, _) => format!("org {}", text(&endpoint.org_slug)),
            (HostKind::Runpod, _) => "RunPod API".to_string(),
        };
        HostSummary {
            id: self.id,
            workspace_id: self.workspace_id,
            name: self.name.clone(),
            kind: self.kind(),
            transport: self.transport(),
            target,
            labels: serde_json::from_str(&self.labels).unwrap_or_default(),
            status: HostStatus::parse(&self.status).unwrap_or(HostStatus::Unknown),
            checked_at: self.checked_at,
            latency_ms: self.latency_ms,
        }
    }

    pub fn detail(&self) -> HostDetail {
        HostDetail {
            summary: self.summary(),
            description: self.description.clone(),
            credential_kind: self.credential_kind(),
            has_credentials: self.credentials.is_some(),
            address: self.endpoint().address,
            host_key_fingerprint: self
                .endpoint()
                .host_key
                .as_deref()
                .and_then(super::ssh::fingerprint_of),
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            facts: self
                .facts
                .as_deref()
                .and_then(|facts| serde_json::from_str::<HostFacts>(facts).ok()),
            check_error: self.check_error.clone(),
        }
    }
}

/// A host's non-secret connection settings (the `endpoint` column).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Endpoint {
    /// Docker only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<DockerTransport>,
    /// The local socket, or over SSH the engine's socket on the remote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_path: Option<String>,
    /// `host:port`, for TLS and SSH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The SSH user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The pinned SSH host key, in OpenSSH's one-line form. Public, so it
    /// is kept here rather than sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_slug: Option<String>,
}

/// Replaces a host's connection settings (to pin a new SSH host key);
/// false when the host is not there.
pub async fn set_endpoint(
    db: &Database,
    workspace_id: i64,
    id: i64,
    endpoint: &Endpoint,
) -> Result<bool, sqlx::Error> {
    let endpoint = serde_json::to_string(endpoint).unwrap_or_else(|_| "{}".into());
    let changed = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE hosts SET endpoint = $1, updated_at = $2 WHERE workspace_id = $3 AND id = $4",
        )
        .bind(&endpoint)
        .bind(now_secs())
        .bind(workspace_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(changed == 1)
}

pub async fn list(db: &Database, workspace_id: i64) -> Result<Vec<HostRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE h.workspace_id = $1 ORDER BY h.name, h.id");
    with_pool!(db, pool => {
        sqlx::query_as(&sql).bind(workspace_id).fetch_all(pool).await
    })
}

pub async fn get(
    db: &Database,
    workspace_id: i64,
    id: i64,
) -> Result<Option<HostRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE h.workspace_id = $1 AND h.id = $2");
    with_pool!(db, pool => {
        sqlx::query_as(&sql)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}

/// What to insert; `seal` turns the new row's id into sealed credentials,
/// which are bound to that id and so can only be made once it is known.
#[derive(Debug)]
pub struct Insert<'a> {
    pub workspace_id: i64,
    pub name: &'a str,
    pub kind: HostKind,
    pub endpoint: &'a Endpoint,
    pub description: &'a str,
    pub labels: &'a [String],
    pub created_by: i64,
}

/// Inserts a host and its sealed credentials in one transaction. `None`
/// when the workspace already has a host of that name.
pub async fn insert(
    db: &Database,
    host: Insert<'_>,
    seal: impl Fn(i64) -> Option<Vec<u8>>,
) -> Result<Option<i64>, sqlx::Error> {
    let now = now_secs();
    let endpoint = serde_json::to_string(host.endpoint).unwrap_or_else(|_| "{}".into());
    let labels = serde_json::to_string(host.labels).unwrap_or_else(|_| "[]".into());
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO hosts (workspace_id, name, kind, endpoint, description, labels, status, \
             created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'unknown', $7, $8, $8) \
             ON CONFLICT (workspace_id, name) DO NOTHING RETURNING id",
        )
        .bind(host.workspace_id)
        .bind(host.name)
        .bind(host.kind.as_str())
        .bind(&endpoint)
        .bind(host.description)
        .bind(&labels)
        .bind(host.created_by)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(sealed) = seal(id) {
            sqlx::query("UPDATE hosts SET credentials = $1 WHERE id = $2")
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
    labels: &[String],
) -> Result<Updated, sqlx::Error> {
    let labels = serde_json::to_string(labels).unwrap_or_else(|_| "[]".into());
    let taken: Option<i64> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM hosts WHERE workspace_id = $1 AND name = $2 AND id <> $3")
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
            "UPDATE hosts SET name = $1, description = $2, labels = $3, updated_at = $4 \
             WHERE workspace_id = $5 AND id = $6",
        )
        .bind(name)
        .bind(description)
        .bind(&labels)
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

/// Stores new sealed credentials; false when the host is not there.
pub async fn set_credentials(
    db: &Database,
    workspace_id: i64,
    id: i64,
    sealed: &[u8],
) -> Result<bool, sqlx::Error> {
    let changed = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE hosts SET credentials = $1, updated_at = $2 WHERE workspace_id = $3 AND id = $4",
        )
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

/// The outcome of one connection test.
#[derive(Debug)]
pub struct CheckOutcome {
    pub status: HostStatus,
    pub latency_ms: i64,
    /// Kept from the previous test when this one failed, so the page still
    /// shows what the host was last seen as.
    pub facts: Option<HostFacts>,
    pub error: Option<String>,
}

pub async fn record_check(
    db: &Database,
    workspace_id: i64,
    id: i64,
    outcome: &CheckOutcome,
) -> Result<(), sqlx::Error> {
    let facts = outcome
        .facts
        .as_ref()
        .and_then(|facts| serde_json::to_string(facts).ok());
    with_pool!(db, pool => {
        sqlx::query(
            "UPDATE hosts SET status = $1, checked_at = $2, latency_ms = $3, \
             facts = COALESCE($4, facts), check_error = $5 \
             WHERE workspace_id = $6 AND id = $7",
        )
        .bind(outcome.status.as_str())
        .bind(now_secs())
        .bind(outcome.latency_ms)
        .bind(facts)
        .bind(&outcome.error)
        .bind(workspace_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Deletes a host; false when it is not there.
pub async fn delete(db: &Database, workspace_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let deleted = with_pool!(db, pool => {
        sqlx::query("DELETE FROM hosts WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(deleted == 1)
}
