//! Personal API tokens: each acts as its owner in one workspace, with the
//! owner's current role there, on the REST API (`Authorization: Bearer`).
//! A token is shown once when created and stored only as a hash.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{accounts::validate, auth, auth::Client, scope::Scope, services::service};

/// Every token starts with this, so that a leaked one is easy to spot.
pub const TOKEN_PREFIX: &str = "cvm_";

/// A token as listed: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenSummary {
    pub id: i64,
    pub name: String,
    /// The token's first characters, as shown when it was created.
    pub prefix: String,
    pub workspace_name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A token just created: the only time its value is available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub summary: ApiTokenSummary,
    pub token: String,
}

/// The server's API token context, provided through Leptos context as
/// `Arc<dyn ApiTokensService>`.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ApiTokensService: Send + Sync + 'static {
    /// A new token for the caller in the scope's workspace.
    async fn create(
        &self,
        scope: &Scope,
        name: &str,
        client: &Client,
    ) -> Result<CreatedApiToken, AppError>;
    /// The caller's live tokens, in all workspaces.
    async fn list(&self, user_id: i64) -> Result<Vec<ApiTokenSummary>, AppError>;
    async fn revoke(&self, user_id: i64, token_id: i64, client: &Client) -> Result<(), AppError>;
    /// The scope a presented token acts in; `None` for an unknown or
    /// revoked token, or one whose owner left the workspace.
    async fn resolve(&self, token: &str) -> Result<Option<Scope>, AppError>;
}

#[cfg(feature = "ssr")]
fn tokens() -> Result<std::sync::Arc<dyn ApiTokensService>, AppError> {
    service::<dyn ApiTokensService>()
}

/// Creates a token for the current workspace. Needs sudo mode.
#[server(name = CreateApiTokenFn, prefix = "/api", endpoint = "create_api_token")]
pub async fn create_api_token(name: String) -> Result<CreatedApiToken, AppError> {
    let name = validate::name("name", &name)?;
    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope().await?;
    auth::require_sudo(&state)?;
    tokens()?.create(&scope, &name, &auth::client()).await
}

/// The caller's tokens.
#[server(name = ApiTokensFn, prefix = "/api", endpoint = "api_tokens")]
pub async fn api_tokens() -> Result<Vec<ApiTokenSummary>, AppError> {
    let (_, state) = auth::signed_in().await?;
    tokens()?.list(state.user_id).await
}

#[server(name = RevokeApiTokenFn, prefix = "/api", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    let (_, state) = auth::signed_in().await?;
    tokens()?.revoke(state.user_id, id, &auth::client()).await
}
