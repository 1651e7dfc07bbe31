//! Outside HTTP calls (provider APIs, registries): why a request that got
//! no reply failed, in words an operator can act on. Each caller turns the
//! [`Failure`] into its own error type with the name of what it called.

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
