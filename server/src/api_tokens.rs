//! Personal API tokens: created in sudo mode for one workspace, shown
//! once, stored as SHA-256 hashes, revocable, and resolved on every REST
//! request into the owner's current scope in that workspace (so a role
//! change or leaving the workspace applies to the token at once).

use app::AppError;
use app::api_tokens::{ApiTokenSummary, ApiTokensService, CreatedApiToken, TOKEN_PREFIX};
use app::auth::{Client, now_secs};
use app::scope::Scope;
use app::workspaces::roles::Action;
use serde_json::json;

use crate::audit::{self, Event};
use crate::db::Database;
use crate::tokens;
use crate::workspaces::store as workspace_store;

/// Characters of a token kept in clear to tell tokens apart.
const SHOWN_CHARS: usize = TOKEN_PREFIX.len() + 6;
/// Tokens one account may hold at once.
const MAX_TOKENS: i64 = 50;

#[derive(Debug, Clone)]
pub struct ApiTokens {
    db: Database,
}

fn internal(error: sqlx::Error) -> AppError {
    AppError::internal(&error)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    prefix: String,
    workspace_name: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<Row> for ApiTokenSummary {
    fn from(row: Row) -> Self {
        ApiTokenSummary {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            workspace_name: row.workspace_name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// Revokes every live token of a user (on a password reset).
pub async fn revoke_all(db: &Database, user_id: i64) -> Result<u64, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user_id)
            .bind(now_secs())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })
}

impl ApiTokens {
    pub fn new(db: Database) -> Self {
        ApiTokens { db }
    }

    async fn live_count(&self, user_id: i64) -> Result<i64, AppError> {
        with_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(user_id)
                .fetch_one(pool)
                .await
        })
        .map_err(internal)
    }
}

#[async_trait::async_trait]
impl ApiTokensService for ApiTokens {
    async fn create(
        &self,
        scope: &Scope,
        name: &str,
        client: &Client,
    ) -> Result<CreatedApiToken, AppError> {
        scope.require(Action::CreateApiTokens)?;
        if self.live_count(scope.user_id).await? >= MAX_TOKENS {
            return Err(AppError::Conflict {
                message: format!("You have {MAX_TOKENS} tokens already. Revoke one first."),
            });
        }
        let random = tokens::generate();
        let token = format!("{TOKEN_PREFIX}{}", random.plain.expose());
        let prefix: String = token.chars().take(SHOWN_CHARS).collect();
        let now = now_secs();
        let id: i64 = with_pool!(&self.db, pool => {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, workspace_id, name, token_hash, prefix, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(scope.user_id)
            .bind(scope.workspace_id)
            .bind(name)
            .bind(tokens::hash(&token))
            .bind(&prefix)
            .bind(now)
            .fetch_one(pool)
            .await
        })
        .map_err(internal)?;
        let workspace_name = workspace_store::workspace_name(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?
            .unwrap_or_default();
        audit::record(
            &self.db,
            Event {
                action: audit::Action::ApiTokenCreated,
                workspace_id: Some(scope.workspace_id),
                actor_id: Some(scope.user_id),
                actor_email: None,
                detail: json!({ "token": id, "name": name, "prefix": prefix }),
                client,
            },
        )
        .await
        .map_err(internal)?;
        Ok(CreatedApiToken {
            summary: ApiTokenSummary {
                id,
                name: name.to_string(),
                prefix,
                workspace_name,
                created_at: now,
                last_used_at: None,
            },
            token,
        })
    }

    async fn list(&self, user_id: i64) -> Result<Vec<ApiTokenSummary>, AppError> {
        let rows: Vec<Row> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT t.id, t.name, t.prefix, w.name AS workspace_name, t.created_at, t.last_used_at \
                 FROM api_tokens t JOIN workspaces w ON w.id = t.workspace_id \
                 WHERE t.user_id = $1 AND t.revoked_at IS NULL ORDER BY t.id DESC",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
        })
        .map_err(internal)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn revoke(&self, user_id: i64, token_id: i64, client: &Client) -> Result<(), AppError> {
        let workspace: Option<i64> = with_pool!(&self.db, pool => {
            sqlx::query_scalar(
                "UPDATE api_tokens SET revoked_at = $3 \
                 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING workspace_id",
            )
            .bind(token_id)
            .bind(user_id)
            .bind(now_secs())
            .fetch_optional(pool)
            .await
        })
        .map_err(internal)?;
        let Some(workspace_id) = workspace else {
            return Err(AppError::NotFound {
                what: "The token".into(),
            });
        };
        audit::record(
            &self.db,
            Event {
                action: audit::Action::ApiTokenRevoked,
                workspace_id: Some(workspace_id),
                actor_id: Some(user_id),
                actor_email: None,
                detail: json!({ "token": token_id }),
                client,
            },
        )
        .await
        .map_err(internal)
    }

    async fn resolve(&self, token: &str) -> Result<Option<Scope>, AppError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let found: Option<(i64, i64, i64)> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, user_id, workspace_id FROM api_tokens \
                 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(tokens::hash(token))
            .fetch_optional(pool)
            .await
        })
        .map_err(internal)?;
        let Some((id, user_id, workspace_id)) = found else {
            return Ok(None);
        };
        let Some(role) = workspace_store::role_of(&self.db, workspace_id, user_id)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        with_pool!(&self.db, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now_secs())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(internal)?;
        Ok(Some(Scope {
            user_id,
            workspace_id,
            role,
        }))
    }
}
