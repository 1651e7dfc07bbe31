//! One span per request and one INFO event when its response is sent.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, TraceLayer};
use tracing::Span;

use super::REQUEST_ID_HEADER;

type MakeSpan = fn(&Request) -> Span;
type OnResponse = fn(&Response, Duration, &Span);

pub fn layer() -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    MakeSpan,
    (),
    OnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    (),
> {
    TraceLayer::new_for_http()
        .make_span_with(make_span as MakeSpan)
        .on_request(())
        .on_response(on_response as OnResponse)
        // The response event already carries the status; a second, ERROR
        // event per 5xx would break "one event per request". Causes of
        // internal errors are logged where they happen.
        .on_failure(())
}

fn make_span(request: &Request) -> Span {
    // Routes are logged as their registered pattern, never the raw path
    // with its ids; unmatched requests (static files, 404s) share one name.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("<fallback>", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        http.method = %request.method(),
        http.route = route,
        request.id = request_id,
    )
}

fn on_response(response: &Response, latency: Duration, _span: &Span) {
    tracing::info!(
        http.status = response.status().as_u16(),
        latency_ms = latency.as_micros() as f64 / 1000.0,
        "request finished"
    );
}
