//! Outside HTTP calls (provider APIs, registries): the one way their
//! HTTP clients are made, replies read up to a bound, and why a request
//! that got no reply failed, in words an operator can act on. Each caller
//! turns the [`Failure`] into its own error type with the name of what it
//! called.

use std::time::Duration;

/// An HTTP client for outside calls: every request and connection within
/// `timeout`, redirects never followed (a redirect could carry a
/// credential to another host; callers that follow one do it by hand),
/// and Caveman's name as the user agent (GitHub refuses requests without
/// one).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // rustls needs one process-wide crypto provider; ring is the one the
    // database driver already uses. Installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("caveman/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The body of `response`, read up to `max` bytes; `Ok(None)` when it is
/// longer, without reading the rest.
pub async fn read_bounded(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// `host[:port]` of a URL, for messages.
pub fn server_name(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => url.to_string(),
    }
}

/// A request that got no reply, by what the operator should check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The deadline passed.
    Timeout,
    /// The TLS handshake failed; the error chain says why.
    Tls(String),
    /// Something answers at the address but refused the connection.
    Refused,
    /// Nothing could be reached (no route, no such host).
    Unreachable(String),
    /// Anything else, as the error chain says.
    Other(String),
}

/// Reads a transport error, causes included.
pub fn classify(error: &reqwest::Error) -> Failure {
    if error.is_timeout() {
        return Failure::Timeout;
    }
    let chain = error_chain(error);
    if chain.contains("certificate") || chain.contains("tls") || chain.contains("TLS") {
        return Failure::Tls(chain);
    }
    if error.is_connect() {
        return if chain.contains("refused") {
            Failure::Refused
        } else {
            Failure::Unreachable(chain)
        };
    }
    Failure::Other(chain)
}

/// An error and its causes, joined by colons.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}
