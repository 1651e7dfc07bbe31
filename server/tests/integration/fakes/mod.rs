//! Fakes of the outside APIs this machine cannot reach, following
//! `../shared/specs/` and their quirks: Fly.io's Machines API (bearer or
//! `FlyV1` tokens, `{"error"}` bodies, `fly-request-id`) and RunPod's REST
//! API v2 (`application/problem+json` errors, `RateLimit` headers, a GPU
//! catalogue whose shape is undocumented). Each starts on port 0. The
//! listing APIs of Docker Hub, GitHub and GitLab are in [`listing`].

pub mod listing;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;

/// The Fly.io organisation the fake knows, its token and its apps.
pub const FLY_ORG: &str = "acme";
pub const FLY_TOKEN: &str = "fm2_lJPECAAAAAAAAMZ1fake-macaroon";
pub const FLY_APPS: [&str; 2] = ["web", "worker"];
/// The RunPod API key the fake accepts.
pub const RUNPOD_KEY: &str = "rpa_FAKE0123456789";

/// A fake listening on loopback; its base URL includes the API prefix.
pub struct Fake {
    pub base_url: String,
}

async fn serve(router: Router, prefix: &str) -> Fake {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Fake {
        base_url: format!("http://{addr}{prefix}"),
    }
}

/// The token of an `Authorization` header in either scheme Fly.io takes.
fn fly_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("FlyV1 "))
        .map(str::to_string)
}

fn fly_reply(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [("fly-request-id", "01FAKEREQUEST-iad")],
        axum::Json(body),
    )
        .into_response()
}

pub async fn fly() -> Fake {
    async fn apps(
        headers: HeaderMap,
        Query(query): Query<std::collections::HashMap<String, String>>,
    ) -> Response {
        if fly_token(&headers).as_deref() != Some(FLY_TOKEN) {
            return fly_reply(StatusCode::UNAUTHORIZED, json!({ "error": "unauthorized" }));
        }
        if query.get("org_slug").map(String::as_str) != Some(FLY_ORG) {
            return fly_reply(StatusCode::NOT_FOUND, json!({ "error": "Not Found" }));
        }
        let apps: Vec<_> = FLY_APPS
            .iter()
            .enumerate()
            .map(|(n, name)| {
                json!({ "id": format!("app{n}"), "name": name, "machine_count": 1,
                        "volume_count": 0, "network": "default" })
            })
            .collect();
        fly_reply(
            StatusCode::OK,
            json!({ "total_apps": apps.len(), "apps": apps }),
        )
    }
    serve(Router::new().route("/v1/apps", get(apps)), "/v1").await
}

fn runpod_reply(status: StatusCode, body: serde_json::Value) -> Response {
    let content_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    (
        status,
        [
            (header::CONTENT_TYPE.as_str(), content_type),
            ("ratelimit", "\"minute\";r=59;t=60"),
            (
                "ratelimit-policy",
                "\"minute\";q=60;w=60, \"hour\";q=3000;w=3600",
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The refusal of a request without the right key, if it lacks it.
fn runpod_refusal(headers: &HeaderMap) -> Option<Response> {
    let expected = format!("Bearer {RUNPOD_KEY}");
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    (presented != Some(expected.as_str())).then(|| {
        runpod_reply(
            StatusCode::UNAUTHORIZED,
            json!({ "title": "Unauthorized", "status": 401, "detail": "Invalid API key", "errors": [] }),
        )
    })
}

pub async fn runpod() -> Fake {
    async fn pods(headers: HeaderMap) -> Response {
        if let Some(refused) = runpod_refusal(&headers) {
            return refused;
        }
        runpod_reply(
            StatusCode::OK,
            json!({ "pods": [{ "id": "pod1", "name": "trainer", "status": "RUNNING",
                               "actions": ["stop", "restart", "terminate"] }] }),
        )
    }
    async fn gpus(headers: HeaderMap) -> Response {
        if let Some(refused) = runpod_refusal(&headers) {
            return refused;
        }
        runpod_reply(
            StatusCode::OK,
            json!([
                { "id": "NVIDIA A40", "displayName": "A40", "memoryInGb": 48 },
                { "id": "NVIDIA GeForce RTX 4090", "displayName": "RTX 4090", "memoryInGb": 24 }
            ]),
        )
    }
    let router = Router::new()
        .route("/v2/pods", get(pods))
        .route("/v2/catalog/gpus", get(gpus));
    serve(router, "/v2").await
}
