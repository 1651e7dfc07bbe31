//! Gives failed server-function calls the HTTP status of their error.
//!
//! Leptos answers every failed server function with 500 and the serialised
//! error as the body. This middleware reads that body back as an
//! [`AppError`] and applies [`AppError::status_code`], so the mapping from
//! error to status lives in one place for pages and server functions alike.

use app::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;

/// Header Leptos sets on server-function error replies.
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

/// Error bodies are a few hundred bytes; anything larger is not ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn apply_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    // Leave alone anything Leptos did not answer with its default 500, such
    // as the redirect it sends back to a plain HTML form.
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
        || response.status() != StatusCode::INTERNAL_SERVER_ERROR
    {
        return response;
    }

    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(error = %error, "unreadable server function error body");
            parts.status = StatusCode::INTERNAL_SERVER_ERROR;
            return Response::from_parts(parts, Body::empty());
        }
    };
    // Leptos sends the JSON error body without saying so.
    parts
        .headers
        .entry(http::header::CONTENT_TYPE)
        .or_insert(http::HeaderValue::from_static("application/json"));
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}
