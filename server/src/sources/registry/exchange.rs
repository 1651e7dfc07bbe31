//! One HTTP exchange with a registry or its token service: redirects
//! followed by hand, so that credentials stay on the origin they are for,
//! and replies read up to a bound.

use std::time::Instant;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use url::{Origin, Url};

use super::error::{RegistryError, describe};
use super::{MAX_REPLY_BYTES, Registry, server_name};

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 3;

/// A reply read in full (up to the bound), and the URL that gave it.
#[derive(Debug)]
pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub url: Url,
}

impl Reply {
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

/// A reply's body up to [`MAX_REPLY_BYTES`], for the registry client and
/// the vendors' listing APIs alike.
pub(in crate::sources) async fn read_reply(
    response: &mut reqwest::Response,
    server: &str,
) -> Result<Vec<u8>, RegistryError> {
    crate::outbound::read_bounded(response, MAX_REPLY_BYTES)
        .await
        .map_err(|error| describe(&error, server))?
        .ok_or_else(|| {
            RegistryError::Protocol(format!(
                "{server}'s reply is larger than {} MiB.",
                MAX_REPLY_BYTES >> 20
            ))
        })
}

impl Registry {
    /// One HTTP exchange, following redirects. `authorization` is sent only
    /// while the URL stays on `trusted`; a redirect from HTTPS to plain
    /// HTTP is refused.
    pub(super) async fn exchange(
        &self,
        method: &Method,
        url: &Url,
        authorization: Option<&HeaderValue>,
        accept: Option<&str>,
        trusted: &Origin,
    ) -> Result<Reply, RegistryError> {
        let mut method = method.clone();
        let mut url = url.clone();
        let server = server_name(&url);
        for _ in 0..=MAX_REDIRECTS {
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT, accept);
            }
            if let Some(authorization) = authorization
                && url.origin() == *trusted
            {
                request = request.header(header::AUTHORIZATION, authorization.clone());
            }
            let started = Instant::now();
            let mut response = request
                .send()
                .await
                .map_err(|error| describe(&error, &server))?;
            let status = response.status();
            tracing::debug!(
                registry.server = %server,
                http.method = %method,
                url.path = url.path(),
                http.status = status.as_u16(),
                latency_ms = started.elapsed().as_millis() as u64,
                "registry request"
            );
            if status.is_redirection()
                && let Some(location) = response.headers().get(header::LOCATION)
            {
                let next = location
                    .to_str()
                    .ok()
                    .and_then(|location| url.join(location).ok())
                    .ok_or_else(|| {
                        RegistryError::Protocol(format!(
                            "{server} redirected to an invalid address."
                        ))
                    })?;
                if url.scheme() == "https" && next.scheme() != "https" {
                    return Err(RegistryError::Protocol(format!(
                        "{server} redirected from HTTPS to plain HTTP ({next}); Caveman does not follow."
                    )));
                }
                if status == StatusCode::SEE_OTHER {
                    method = Method::GET;
                }
                url = next;
                continue;
            }
            let headers = std::mem::take(response.headers_mut());
            let body = read_reply(&mut response, &server).await?;
            return Ok(Reply {
                status,
                headers,
                body,
                url,
            });
        }
        Err(RegistryError::Protocol(format!(
            "{server} redirected more than {MAX_REDIRECTS} times."
        )))
    }
}
