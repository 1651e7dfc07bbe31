//! The HTTP surface: health probes, the Leptos pages and server functions,
//! static assets, and the middleware every request passes through.

pub mod connections;
mod csrf;
mod health;
mod mailbox;
mod request_id;
pub mod rest;
mod server_fn_status;
mod trace;

use std::sync::Arc;
use std::time::Duration;

use app::accounts::AccountsService;
use app::api_tokens::ApiTokensService;
use app::hosts::HostsService;
use app::sources::SourcesService;
use app::system::SystemService;
use app::workspaces::WorkspacesService;
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
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::accounts::sessions::DbSessionStore;
use crate::db::Database;
use crate::mailer::Mailbox;
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
    pub accounts: Arc<dyn AccountsService>,
    pub workspaces: Arc<dyn WorkspacesService>,
    pub api_tokens: Arc<dyn ApiTokensService>,
    pub hosts: Arc<dyn HostsService>,
    pub sources: Arc<dyn SourcesService>,
    pub sessions: DbSessionStore,
    /// Set when mail is kept locally instead of sent (no SMTP configured).
    pub mailbox: Option<Mailbox>,
    pub public_url: url::Url,
    pub secure_cookies: bool,
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "caveman_session";

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
    let (system, accounts, workspaces, api_tokens, hosts, sources) = (
        state.system.clone(),
        state.accounts.clone(),
        state.workspaces.clone(),
        state.api_tokens.clone(),
        state.hosts.clone(),
        state.sources.clone(),
    );
    let domain_context = move || {
        provide_context(system.clone());
        provide_context(accounts.clone());
        provide_context(workspaces.clone());
        provide_context(api_tokens.clone());
        provide_context(hosts.clone());
        provide_context(sources.clone());
    };
    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.secure_cookies)
        .with_expiry(Expiry::OnSessionEnd);
    let origins = csrf::OriginPolicy::new(&state.public_url);

    let shell = {
        let options = state.leptos.clone();
        move || app::shell(options.clone())
    };

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/dev/mailbox", get(mailbox::page))
        .merge(rest::routes())
        .leptos_routes_with_context(&state, routes, domain_context.clone(), shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(domain_context, app::shell))
        .layer(axum::middleware::from_fn(
            server_fn_status::apply_error_status,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            origins,
            csrf::check_origin,
        ))
        // Each `layer` call wraps everything above it, so the last is the
        // outermost. A request meets, in order: the request id, the request
        // span, the security headers, the timeout, the body limit, the
        // cross-site check, the session, then the server-function status
        // mapping and the route.
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
