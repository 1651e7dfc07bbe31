//! The REST API for programs, under `/api/v1`: each request carries a
//! personal API token as `Authorization: Bearer <token>` and acts in that
//! token's workspace with its owner's current role. Errors are the same
//! `AppError` JSON, with the same statuses, as the server functions'.

use app::AppError;
use app::scope::Scope;
use app::workspaces::{Member, WorkspaceSummary};
use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::request::Parts;
use http::{StatusCode, header};
use serde::Serialize;

use super::AppState;
use app::accounts::UserSummary;

/// Every REST route, for the access matrix test.
pub const ROUTES: &[&str] = &["/api/v1/me", "/api/v1/workspace/members"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/workspace/members", get(members))
}

/// An [`AppError`] as a REST reply.
#[derive(Debug)]
pub struct ApiError(AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(&self.0)).into_response();
        if self.0 == AppError::Unauthenticated {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// The scope of the request's bearer token.
#[derive(Debug)]
pub struct Bearer(pub Scope);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let scope = state
            .api_tokens
            .resolve(token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Bearer(scope))
    }
}

/// `GET /api/v1/me`: whom the token acts as, and where.
#[derive(Debug, Serialize)]
struct Me {
    user: UserSummary,
    workspace: WorkspaceSummary,
}

async fn me(State(state): State<AppState>, Bearer(scope): Bearer) -> Result<Json<Me>, ApiError> {
    let viewer = state
        .accounts
        .viewer(scope.user_id, Some(scope.workspace_id))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Json(Me {
        user: viewer.user,
        workspace: viewer.workspace,
    }))
}

/// `GET /api/v1/workspace/members`: the members of the token's workspace.
async fn members(
    State(state): State<AppState>,
    Bearer(scope): Bearer,
) -> Result<Json<Vec<Member>>, ApiError> {
    let detail = state.workspaces.detail(&scope).await?;
    Ok(Json(detail.members))
}
