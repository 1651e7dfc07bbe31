//! Listing the repositories of registries that have no catalogue, through
//! their vendor's own API (`../shared/specs/registries.md`): Docker Hub's
//! namespaces API, GitHub's packages API for GHCR, and GitLab's projects
//! and registry API. Each lists what the stored account owns or belongs
//! to, one page at a time; the page number is the cursor.
//!
//! The API address is the one the admin saved with the registry (the
//! public service's for the public registries), and the registry's own
//! account is what signs in there. Every request has a deadline
//! ([`TIMEOUT`]), replies are read up to the registry client's bound, and
//! redirects are refused (the registry client follows some by hand; here
//! none is expected), so the account goes nowhere else.
//!
//! Known gaps: Docker Hub lists the account's own namespace (its
//! username), GitHub the user's own packages, GitLab the projects the
//! user is a member of; an organisation's repositories on Docker Hub or
//! GHCR are browsed by name. A GitLab project's first hundred image
//! repositories are listed.

mod docker_hub;
mod github;
mod gitlab;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::sources::Provider;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;
use url::Url;

use super::registry::{
    Credentials, RegistryError, RepositoryName, read_reply, short, transport_failure,
};
use crate::outbound::{http_client, server_name};

/// How long one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long one page may take in all: GitLab's needs a request per
/// project on it.
pub const PAGE_DEADLINE: Duration = Duration::from_secs(30);
/// The highest page asked for: a hundred pages of a hundred is more than
/// anyone browses, and the bound keeps page arithmetic far from overflow.
pub const MAX_PAGE: u32 = 10_000;

/// One page of repository names, and the number of the next page when
/// the API says there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub names: Vec<RepositoryName>,
    pub next: Option<u32>,
}

/// Page `page` (from 1 to [`MAX_PAGE`]) of the repositories `credentials`
/// may see through `provider`'s API at `api`, about `page_size` names
/// (GitLab pages by projects, so its pages hold the images of 20 of them).
/// A generic registry has a catalogue instead, and a git provider no
/// registry.
pub async fn page(
    provider: Provider,
    api: &Url,
    credentials: &Credentials,
    page: u32,
    page_size: u32,
) -> Result<Listing, RegistryError> {
    let api = Api::new(api)?;
    let listing = async {
        match provider {
            Provider::DockerHub => docker_hub::page(&api, credentials, page, page_size).await,
            Provider::Ghcr => github::page(&api, credentials, page, page_size).await,
            Provider::Gitlab => gitlab::page(&api, credentials, page).await,
            Provider::Generic | Provider::Github => Err(RegistryError::Invalid(
                "Only Docker Hub, GHCR and GitLab registries are listed through an API.".into(),
            )),
        }
    };
    tokio::time::timeout(PAGE_DEADLINE, listing)
        .await
        .unwrap_or(Err(RegistryError::Timeout))
}

/// One vendor API: its base address and an HTTP client that follows no
/// redirects. Clones share the client.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: Url,
    /// `host[:port]`, for messages.
    server: String,
}

/// A reply read in full, up to the bound.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

impl Api {
    fn new(base: &Url) -> Result<Api, RegistryError> {
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(RegistryError::Invalid(format!(
                "{base} is not an http(s) address of an API."
            )));
        }
        let http = http_client(TIMEOUT).map_err(|error| {
            RegistryError::Protocol(format!("Cannot start an HTTP client: {error}"))
        })?;
        Ok(Api {
            http,
            base: base.clone(),
            server: server_name(base),
        })
    }

    /// The base address with `segments` appended, each escaped as one
    /// path segment, and `query` set.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends one request and reads its reply. A redirect is an error: an
    /// API that moved is saved again with its new address.
    async fn send(&self, request: RequestBuilder) -> Result<Reply, RegistryError> {
        let mut response = request
            .send()
            .await
            .map_err(|error| transport_failure(&error, &self.server))?;
        let status = response.status();
        tracing::debug!(api.server = %self.server, http.status = status.as_u16(), "listing API request");
        if status.is_redirection() {
            return Err(RegistryError::Protocol(format!(
                "{} answered with a redirect ({}); Caveman does not follow it with the account. \
                 Save the registry again with the API's current address.",
                self.server,
                status.as_u16()
            )));
        }
        let headers = std::mem::take(response.headers_mut());
        let body = read_reply(&mut response, &self.server).await?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        what: &str,
    ) -> Result<T, RegistryError> {
        serde_json::from_slice(&reply.body).map_err(|_| {
            RegistryError::Protocol(format!(
                "{} answered with something other than {what} in JSON.",
                self.server
            ))
        })
    }

    /// A failed reply in the operator's words. GitHub signals an
    /// exhausted rate limit with a 403 and `x-ratelimit-remaining: 0`.
    fn failure(&self, reply: &Reply, what: &str) -> RegistryError {
        let says = vendor_says(&reply.body);
        let server = &self.server;
        let exhausted = reply.header("x-ratelimit-remaining").map(str::trim) == Some("0");
        match reply.status {
            StatusCode::TOO_MANY_REQUESTS => rate_limited(reply, server, &says),
            StatusCode::FORBIDDEN if exhausted => rate_limited(reply, server, &says),
            StatusCode::UNAUTHORIZED => RegistryError::BadCredentials(format!(
                "{server} refused the account while listing {what}: {says}"
            )),
            StatusCode::FORBIDDEN => {
                RegistryError::Denied(format!("{server} denies listing {what}: {says}"))
            }
            StatusCode::NOT_FOUND => {
                RegistryError::NotFound(format!("{server} does not know {what}: {says}"))
            }
            status => RegistryError::Protocol(format!(
                "{server} answered {} while listing {what}: {says}",
                status.as_u16()
            )),
        }
    }
}

fn rate_limited(reply: &Reply, server: &str, says: &str) -> RegistryError {
    RegistryError::RateLimited {
        retry_after: retry_after(reply),
        message: format!("{server} is rate-limiting these requests: {says}"),
    }
}

/// How long to wait: `Retry-After` in seconds (GitLab, Docker Hub), or the
/// Unix time in `x-ratelimit-reset` (GitHub, Docker Hub).
fn retry_after(reply: &Reply) -> Option<Duration> {
    if let Some(seconds) = reply
        .header("retry-after")
        .and_then(|value| value.trim().parse().ok())
    {
        return Some(Duration::from_secs(seconds));
    }
    let reset: u64 = reply.header("x-ratelimit-reset")?.trim().parse().ok()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now)))
}

/// The API's own words from an error body: GitHub's and GitLab's
/// `message`, OAuth's `error_description`, Docker Hub's `detail` or
/// `message`; a placeholder when it gave none.
fn vendor_says(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Said {
        message: Option<serde_json::Value>,
        error_description: Option<String>,
        error: Option<String>,
        detail: Option<String>,
        details: Option<String>,
    }
    let Ok(said) = serde_json::from_slice::<Said>(body) else {
        return "no error message".into();
    };
    let message = match said.message {
        Some(serde_json::Value::String(text)) => Some(text),
        // GitLab's validation errors are an object of field -> messages.
        Some(other @ serde_json::Value::Object(_)) => Some(other.to_string()),
        _ => None,
    };
    let text = said
        .error_description
        .or(message)
        .or(said.detail)
        .or(said.details)
        .or(said.error)
        .unwrap_or_else(|| "no error message".into());
    short(&text)
}

/// The names among `listed` that are valid repository names; a vendor
/// listing one that is not is skipped (it could not be pulled either).
fn valid_names(listed: impl IntoIterator<Item = String>) -> Vec<RepositoryName> {
    listed
        .into_iter()
        .filter_map(|name| match RepositoryName::parse(&name) {
            Ok(name) => Some(name),
            Err(error) => {
                tracing::debug!(%error, "listing API gave an invalid repository name");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_vendors_error_words_are_read() {
        assert_eq!(
            vendor_says(br#"{"message":"Bad credentials","documentation_url":"x"}"#),
            "Bad credentials"
        );
        assert_eq!(
            vendor_says(
                br#"{"error":"insufficient_scope","error_description":"The request requires higher privileges."}"#
            ),
            "The request requires higher privileges."
        );
        assert_eq!(
            vendor_says(br#"{"detail":"Incorrect authentication credentials"}"#),
            "Incorrect authentication credentials"
        );
        assert_eq!(
            vendor_says(br#"{"message":{"per_page":["is invalid"]}}"#),
            r#"{"per_page":["is invalid"]}"#
        );
        assert_eq!(vendor_says(b"<html>"), "no error message");
    }

    #[test]
    fn segments_are_escaped_onto_the_base_path() {
        let api = Api::new(&Url::parse("https://ghe.example/api/v3").unwrap()).unwrap();
        assert_eq!(
            api.url(&["user", "packages"], &[("page", "2")]).as_str(),
            "https://ghe.example/api/v3/user/packages?page=2"
        );
        assert_eq!(
            api.url(&["v2", "namespaces", "a/b?c"], &[]).as_str(),
            "https://ghe.example/api/v3/v2/namespaces/a%2Fb%3Fc"
        );
    }
}
