//! Cross-site request forgery protection: a request that can change state
//! (any method but GET, HEAD and OPTIONS) must come from a page of this
//! site, as its `Origin` header (or, failing that, `Referer`) shows.
//!
//! The origin may be the configured public URL's, or the one the request
//! itself was addressed to (`Host`) on the public URL's scheme, so that
//! Caveman reached on another address (a test on a random port, a private
//! IP) still works; an `http://` page never passes for an `https://` site. A request
//! with neither header is refused when it carries cookies; one that
//! authenticates with an `Authorization` header and no cookies is a
//! program, not a browser, and passes.

use app::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};
use url::Url;

/// The origins requests may come from.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    /// `scheme://host[:port]` of the public URL.
    public_origin: String,
    /// Its scheme: an origin on another scheme is another site, even on
    /// the same host.
    public_scheme: String,
}

impl OriginPolicy {
    pub fn new(public_url: &Url) -> Self {
        OriginPolicy {
            public_origin: public_url.origin().ascii_serialization(),
            public_scheme: public_url.scheme().to_string(),
        }
    }

    fn allows(&self, origin: &str, headers: &HeaderMap) -> bool {
        if origin == self.public_origin {
            return true;
        }
        let Ok(origin) = Url::parse(origin) else {
            return false;
        };
        if origin.scheme() != self.public_scheme {
            return false;
        }
        let Some(host) = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
        else {
            return false;
        };
        let origin_host = match (origin.host_str(), origin.port()) {
            (Some(name), Some(port)) => format!("{name}:{port}"),
            (Some(name), None) => name.to_string(),
            (None, _) => return false,
        };
        origin_host.eq_ignore_ascii_case(host)
    }
}

/// The origin a request claims: `Origin`, else the origin of `Referer`.
fn claimed_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().ok().map(str::to_string);
    }
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    Url::parse(referer)
        .ok()
        .map(|url| url.origin().ascii_serialization())
}

pub async fn check_origin(
    State(policy): State<OriginPolicy>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let allowed = match claimed_origin(headers) {
        Some(origin) => policy.allows(&origin, headers),
        None => {
            headers.contains_key(header::AUTHORIZATION) && !headers.contains_key(header::COOKIE)
        }
    };
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!(
            origin = ?headers.get(header::ORIGIN),
            "cross-site request refused"
        );
        refused()
    }
}

fn refused() -> Response {
    let error = AppError::BadRequest {
        message: "This request did not come from a Caveman page, so it was refused.".into(),
    };
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&error).unwrap_or_default(),
    )
        .into_response()
}
