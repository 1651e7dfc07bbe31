//! The HTTP surface: health probes, the Leptos pages and server functions,
//! static assets, and the middleware every request passes through.

pub mod connections;
mod health;
mod request_id;
mod server_fn_status;
mod trace;

use std::sync::Arc;
use std::time::Duration;

use app::system::SystemService;
use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::routing::get;
use http::header::{HeaderName, HeaderValue};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::db::Database;
use crate::vault::Vault;

pub use request_id::REQUEST_ID_HEADER;

/// The largest request body accepted anywhere. Nothing Caveman receives
/// today comes close; bulk uploads will get their own, explicit limit.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Requests still running after this are answered with 503. Long-lived
/// streams (logs, live panels) will need routes outside this limit.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything a request handler may need, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub db: Database,
    /// For the contexts that store credentials (hosts, sources, services).
    pub vault: Arc<Vault>,
    pub system: Arc<dyn SystemService>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// Builds the complete application router.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);

    // Server functions and server-rendered pages reach the domain through
    // these context values; each is a trait object defined in `app`.
    let system = state.system.clone();
    let domain_context = move || provide_context(system.clone());

    let shell = {
        let options = state.leptos.clone();
        move || app::shell(options.clone())
    };

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .leptos_routes_with_context(&state, routes, domain_context.clone(), shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(domain_context, app::shell))
        .layer(axum::middleware::from_fn(
            server_fn_status::apply_error_status,
        ))
        // Each `layer` call wraps everything above it, so the last is the
        // outermost. A request meets, in order: the request id, the request
        // span, the security headers, the timeout, the body limit, then the
        // server-function status mapping and the route.
        .layer(
            ServiceBuilder::new()
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
                .layer(MapRequestBodyLayer::new(Body::new)),
        )
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(security_header("x-content-type-options", "nosniff"))
                .layer(security_header("x-frame-options", "DENY"))
                .layer(security_header("referrer-policy", "same-origin")),
        )
        .layer(trace::layer())
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}

/// Headers every response carries unless a handler set its own. Pages also
/// get a Content-Security-Policy with a per-response nonce (`app::csp`).
fn security_header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}
