//! The one error type that crosses the wire between server and browser.
//!
//! Server functions return `Result<T, AppError>`; components show an
//! error as an alert (`components::error_view`). Each variant carries
//! only text that is safe to show a user: causes of internal failures are
//! logged on the server at the boundary where they are converted, never
//! serialised.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a user may see, with a stable machine-readable `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// The request itself was malformed (bad arguments, unknown encoding).
    #[error("The request was not understood: {message}")]
    BadRequest { message: String },
    /// The caller is not signed in.
    #[error("You need to sign in to do this.")]
    Unauthenticated,
    /// The caller is signed in but their role does not allow this.
    #[error("You do not have permission to do this.")]
    Forbidden,
    /// The action is sensitive: the caller must confirm their password
    /// first (sudo mode, valid ten minutes).
    #[error("Confirm your password to continue.")]
    SudoRequired,
    /// The named thing does not exist, or is not visible to the caller.
    #[error("{what} was not found.")]
    NotFound { what: String },
    /// Input failed validation; `field` names the form field when there is one.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// The request conflicts with the current state (a duplicate name, a
    /// deployment already in progress).
    #[error("{message}")]
    Conflict { message: String },
    /// Too many attempts; the caller may retry after the given delay.
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency of the server (its database, a provider) is unreachable.
    #[error("{service} is unavailable right now. Try again shortly.")]
    Unavailable { service: String },
    /// An outside service the server called for the user (a registry, a
    /// provider's API) refused or failed; the message says which and why.
    #[error("{message}")]
    Upstream { message: String },
    /// The browser could not reach the server or could not read its reply.
    /// Only ever produced on the client side.
    #[error("Could not reach the server: {message}")]
    Network { message: String },
    /// Anything else. The cause is in the server log, never in this value.
    #[error("Something went wrong on the server. The error has been logged.")]
    Internal,
}

impl AppError {
    /// The HTTP status for this error: the single mapping, used for server
    /// function replies (by the server's middleware) and server-rendered
    /// error pages (through [`set_page_error`]).
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::SudoRequired => 403,
            AppError::NotFound { .. } => 404,
            AppError::Conflict { .. } => 409,
            AppError::Invalid { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Internal => 500,
            AppError::Upstream { .. } | AppError::Network { .. } => 502,
            AppError::Unavailable { .. } => 503,
        }
    }

    /// A validation error tied to one form field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Raised on the server while decoding the caller's arguments.
            ServerFnErrorErr::Args(message)
            | ServerFnErrorErr::MissingArg(message)
            | ServerFnErrorErr::UnsupportedRequestMethod(message) => {
                AppError::BadRequest { message }
            }
            // Raised in the browser: the request never completed or the reply
            // could not be read.
            ServerFnErrorErr::Request(message)
            | ServerFnErrorErr::Response(message)
            | ServerFnErrorErr::Deserialization(message) => AppError::Network { message },
            ServerFnErrorErr::Registration(message)
            | ServerFnErrorErr::ServerError(message)
            | ServerFnErrorErr::MiddlewareError(message)
            | ServerFnErrorErr::Serialization(message) => {
                // The message is dropped from the reply, so record it here.
                #[cfg(feature = "ssr")]
                tracing::error!(error = %message, "server function machinery failed");
                #[cfg(not(feature = "ssr"))]
                leptos::logging::error!("server function machinery failed: {message}");
                AppError::Internal
            }
        }
    }
}

/// Gives the server-rendered page being produced the status of `error`.
/// Does nothing in the browser, where there is no response to set.
pub fn set_page_error(error: &AppError) {
    #[cfg(feature = "ssr")]
    server_side::set_page_status(error.status_code());
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

#[cfg(feature = "ssr")]
pub use server_side::ErrorChain;

/// What only the server does with errors: log causes, set statuses.
#[cfg(feature = "ssr")]
mod server_side {
    use std::error::Error;
    use std::fmt;

    use super::AppError;

    impl AppError {
        /// An internal failure: logs `cause` (with its source chain) on the
        /// server and returns the opaque [`AppError::Internal`].
        pub fn internal(cause: &(dyn Error + 'static)) -> Self {
            tracing::error!(error.chain = %ErrorChain(cause), "internal error");
            AppError::Internal
        }
    }

    /// Formats an error and its sources as `outer: inner: innermost`.
    #[derive(Debug)]
    pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

    impl fmt::Display for ErrorChain<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}", self.0)?;
            let mut source = self.0.source();
            while let Some(cause) = source {
                write!(f, ": {cause}")?;
                source = cause.source();
            }
            Ok(())
        }
    }

    pub(super) fn set_page_status(code: u16) {
        let options = leptos::prelude::use_context::<leptos_axum::ResponseOptions>();
        if let (Some(options), Ok(code)) = (options, http::StatusCode::from_u16(code)) {
            options.set_status(code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialise_with_a_stable_kind_tag() {
        let json = serde_json::to_value(AppError::invalid("name", "Name is required."))
            .expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"kind": "invalid", "field": "name", "message": "Name is required."})
        );
        let back: AppError = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, AppError::invalid("name", "Name is required."));
    }

    #[test]
    fn internal_errors_carry_no_detail_on_the_wire() {
        let json = serde_json::to_string(&AppError::Internal).expect("serialises");
        assert_eq!(json, r#"{"kind":"internal"}"#);
    }

    #[test]
    fn every_kind_maps_to_the_expected_status() {
        let cases = [
            (
                AppError::BadRequest {
                    message: String::new(),
                },
                400,
            ),
            (AppError::Unauthenticated, 401),
            (AppError::Forbidden, 403),
            (AppError::SudoRequired, 403),
            (
                AppError::NotFound {
                    what: "Host".into(),
                },
                404,
            ),
            (
                AppError::Conflict {
                    message: String::new(),
                },
                409,
            ),
            (AppError::invalid("f", "m"), 422),
            (
                AppError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
            ),
            (AppError::Internal, 500),
            (
                AppError::Network {
                    message: String::new(),
                },
                502,
            ),
            (
                AppError::Unavailable {
                    service: "The database".into(),
                },
                503,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.status_code(), status, "{error:?}");
        }
    }

    #[test]
    fn argument_decoding_failures_are_bad_requests() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing x".into()));
        assert_eq!(error.status_code(), 400);
    }
}
