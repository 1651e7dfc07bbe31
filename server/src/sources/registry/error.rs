//! Why a registry call failed, by what the operator should do about it,
//! and the registry's own `{"errors": [{code, message}]}` reply read into
//! those words. No message carries a password or a token: they are built
//! from status codes, registry error texts and names only.

use std::time::Duration;

use serde::Deserialize;

use reqwest::StatusCode;
use reqwest::header;

use super::exchange::Reply;
use super::names::NameError;
use super::{Call, Registry, TIMEOUT};
use crate::outbound::{self, Failure};

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    /// Nothing answered: wrong address, registry down, refused connection.
    #[error("{0}")]
    Unreachable(String),
    #[error("The registry did not answer within {} seconds.", TIMEOUT.as_secs())]
    Timeout,
    #[error("{0}")]
    Tls(String),
    /// The registry (or its token service) refused the username or
    /// password, or needs some and none are stored.
    #[error("{0}")]
    BadCredentials(String),
    /// The credentials are good but do not grant this: the token's scope
    /// is too small, or the registry denies the repository.
    #[error("{0}")]
    Denied(String),
    /// No such repository (NAME_UNKNOWN) or tag (MANIFEST_UNKNOWN).
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    RateLimited {
        /// From `Retry-After`, when the registry says.
        retry_after: Option<Duration>,
        message: String,
    },
    /// The registry does not list its repositories (Docker Hub, GHCR and
    /// others have no `_catalog`); names have to be entered by hand.
    #[error("{0}")]
    NoCatalog(String),
    /// A repository name, tag or address refused before any request.
    #[error("{0}")]
    Invalid(String),
    /// The registry answered something unexpected.
    #[error("{0}")]
    Protocol(String),
}

impl From<NameError> for RegistryError {
    fn from(error: NameError) -> Self {
        RegistryError::Invalid(error.to_string())
    }
}

/// One entry of a registry's error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ErrorEntry {
    pub code: String,
    pub message: String,
}

/// The entries of `{"errors": [{code, message, detail}]}`; empty when the
/// body is something else (HEAD replies have none).
pub(super) fn error_entries(body: &[u8]) -> Vec<ErrorEntry> {
    #[derive(Deserialize)]
    struct Reply {
        errors: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    serde_json::from_slice::<Reply>(body)
        .map(|reply| {
            reply
                .errors
                .into_iter()
                .map(|entry| ErrorEntry {
                    code: entry.code,
                    message: short(&entry.message),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The registry's own words, for the end of a message: `"manifest
/// unknown (MANIFEST_UNKNOWN)"`, or a placeholder when it gave none.
pub(super) fn registry_says(entries: &[ErrorEntry]) -> String {
    match entries.first() {
        Some(entry) if entry.message.is_empty() => entry.code.clone(),
        Some(entry) if entry.code.is_empty() => entry.message.clone(),
        Some(entry) => format!("{} ({})", entry.message, entry.code),
        None => "no error message".into(),
    }
}

/// `Retry-After` in seconds; the HTTP-date form is not read (registries
/// send seconds), so it leaves the wait unknown.
pub(super) fn retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse().ok().map(Duration::from_secs)
}

/// The first 300 characters of a server's own words, for a message.
pub(in crate::sources) fn short(text: &str) -> String {
    text.chars().take(300).collect()
}

/// A transport failure in words: refused, unreachable, TLS or timeout.
pub(in crate::sources) fn describe(error: &reqwest::Error, server: &str) -> RegistryError {
    match outbound::classify(error) {
        Failure::Timeout => RegistryError::Timeout,
        Failure::Tls(chain) => RegistryError::Tls(format!("TLS with {server} failed: {chain}")),
        Failure::Refused => RegistryError::Unreachable(format!("{server} refused the connection.")),
        Failure::Unreachable(chain) => {
            RegistryError::Unreachable(format!("Cannot reach {server}: {chain}"))
        }
        Failure::Other(chain) => RegistryError::Protocol(format!("{server}: {chain}")),
    }
}

impl Registry {
    /// A failed reply in the operator's words.
    pub(super) fn failure(&self, call: &Call<'_>, reply: &Reply) -> RegistryError {
        let entries = error_entries(&reply.body);
        let says = registry_says(&entries);
        let has_code = |code: &str| entries.iter().any(|entry| entry.code == code);
        let server = &self.server;
        let what = call.what();
        match (reply.status, call) {
            (StatusCode::TOO_MANY_REQUESTS, _) => RegistryError::RateLimited {
                retry_after: retry_after(reply.header(header::RETRY_AFTER)),
                message: format!("{server} is rate-limiting these requests: {says}"),
            },
            (StatusCode::NOT_FOUND, Call::Catalog) => RegistryError::NoCatalog(format!(
                "{server} does not list its repositories (it has no catalogue); enter the repository name instead."
            )),
            (_, Call::Catalog) if has_code("UNSUPPORTED") => RegistryError::NoCatalog(format!(
                "{server} does not list its repositories ({says}); enter the repository name instead."
            )),
            (_, Call::Tags(repository) | Call::Manifest(repository, _))
                if has_code("NAME_UNKNOWN") =>
            {
                RegistryError::NotFound(format!("{server} has no repository {repository}."))
            }
            (_, Call::Manifest(repository, tag)) if has_code("MANIFEST_UNKNOWN") => {
                RegistryError::NotFound(format!("{repository} on {server} has no tag {tag}."))
            }
            (StatusCode::NOT_FOUND, _) => {
                RegistryError::NotFound(format!("{server} does not know {what}: {says}"))
            }
            (StatusCode::FORBIDDEN, _) => {
                RegistryError::Denied(format!("{server} denies access to {what}: {says}"))
            }
            (StatusCode::UNAUTHORIZED, _) => {
                RegistryError::BadCredentials(format!("{server} refused access to {what}: {says}"))
            }
            (status, _) => RegistryError::Protocol(format!(
                "{server} answered {} for {what}: {says}",
                status.as_u16()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registrys_error_reply_is_read() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}"#;
        let entries = error_entries(body);
        assert_eq!(entries[0].code, "MANIFEST_UNKNOWN");
        assert_eq!(
            registry_says(&entries),
            "manifest unknown (MANIFEST_UNKNOWN)"
        );
        assert!(error_entries(b"<html>").is_empty());
        assert_eq!(registry_says(&[]), "no error message");
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(retry_after(Some("30")), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(None), None);
    }
}
