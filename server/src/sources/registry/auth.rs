//! Signing in to a registry as its challenges ask: Basic credentials, or
//! a bearer token for the call's scope. What one call learns (the scheme,
//! the token service, tokens) serves the next, which then answers before
//! being asked.

use std::sync::{MutexGuard, PoisonError};
use std::time::Instant;

use base64::Engine as _;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;
use zeroize::Zeroizing;

use super::challenge::parse_challenges;
use super::error::{RegistryError, error_entries, registry_says};
use super::exchange::Reply;
use super::token::{TokenCache, check_realm};
use super::{Call, Credentials, Registry};
use crate::vault::Secret;

/// How a registry wants to be signed in to, learnt from its first
/// challenge so that later calls answer it before being asked.
#[derive(Debug, Clone, Default)]
pub(super) enum Scheme {
    #[default]
    Unknown,
    Basic,
    Bearer {
        realm: Url,
        service: Option<String>,
    },
}

/// What a request carried, to tell on a 401 whether trying again can help.
#[derive(Debug, Clone)]
pub(super) enum Sent {
    Nothing,
    Basic(HeaderValue),
    /// A bearer token; `fresh` when fetched for this request rather than
    /// taken from the cache (where it may have been revoked meanwhile).
    Bearer {
        header: HeaderValue,
        fresh: bool,
    },
}

impl Sent {
    pub fn header(&self) -> Option<&HeaderValue> {
        match self {
            Sent::Nothing => None,
            Sent::Basic(header) | Sent::Bearer { header, .. } => Some(header),
        }
    }
}

/// What a registry client knows about signing in, shared by its clones.
#[derive(Debug, Default)]
pub(super) struct AuthState {
    pub scheme: Scheme,
    pub tokens: TokenCache,
}

/// `Authorization: Basic …`, marked sensitive so that no Debug output of
/// the request shows it.
pub(super) fn basic_header(credentials: &Credentials) -> Result<HeaderValue, RegistryError> {
    let pair = Zeroizing::new(format!(
        "{}:{}",
        credentials.username,
        credentials.password.expose()
    ));
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()));
    sensitive(&format!("Basic {}", encoded.as_str())).ok_or_else(|| {
        RegistryError::Invalid("The username cannot be sent in an HTTP header.".into())
    })
}

pub(in crate::sources) fn bearer_header(
    token: &Secret<String>,
) -> Result<HeaderValue, RegistryError> {
    sensitive(&format!("Bearer {}", token.expose())).ok_or_else(|| {
        RegistryError::Protocol("The token service issued a token that is not header-safe.".into())
    })
}

pub(in crate::sources) fn sensitive(value: &str) -> Option<HeaderValue> {
    let value = Zeroizing::new(value.to_string());
    let mut header = HeaderValue::from_str(&value).ok()?;
    header.set_sensitive(true);
    Some(header)
}

impl Registry {
    /// Sends a request to the registry, signing in as its challenges ask:
    /// Basic credentials, or a bearer token for the call's scope.
    pub(super) async fn request(
        &self,
        method: Method,
        url: Url,
        call: &Call<'_>,
        accept: Option<&str>,
    ) -> Result<Reply, RegistryError> {
        let scope = call.scope();
        let origin = self.base.origin();
        let mut sent = self.known_authorization(scope.as_deref()).await?;
        // Each round either returns or sends something stronger than
        // before, so three rounds cover nothing -> Basic -> token.
        for _ in 0..3 {
            let reply = self
                .exchange(&method, &url, sent.header(), accept, &origin)
                .await?;
            if reply.status != StatusCode::UNAUTHORIZED {
                return Ok(reply);
            }
            // A redirect may have led elsewhere; only the registry itself
            // may ask for credentials, or a redirect target could collect
            // them through a token realm of its choosing.
            if reply.url.origin() != origin {
                return Err(RegistryError::Protocol(format!(
                    "{} redirected to {}, which asks to sign in; Caveman sends credentials \
                     only to the registry itself.",
                    self.server,
                    reply.url.host_str().unwrap_or("another server")
                )));
            }
            sent = self
                .answer_challenge(&reply, &sent, scope.as_deref(), call)
                .await?;
        }
        Err(RegistryError::Protocol(format!(
            "{} kept asking to sign in again.",
            self.server
        )))
    }

    /// What to send before being challenged, from what earlier calls
    /// learnt: Basic, a cached token, or a new token from the known realm.
    async fn known_authorization(&self, scope: Option<&str>) -> Result<Sent, RegistryError> {
        let (scheme, cached) = {
            let state = self.lock();
            let cached = state
                .tokens
                .get(scope.unwrap_or(""), Instant::now())
                .cloned();
            (state.scheme.clone(), cached)
        };
        match (scheme, &self.credentials) {
            (Scheme::Basic, Some(credentials)) => Ok(Sent::Basic(basic_header(credentials)?)),
            (Scheme::Bearer { realm, service }, _) => match cached {
                Some(token) => Ok(Sent::Bearer {
                    header: bearer_header(&token)?,
                    fresh: false,
                }),
                None => {
                    let scopes: Vec<&str> = scope.into_iter().collect();
                    let header = self
                        .new_token(&realm, service.as_deref(), &scopes, scope)
                        .await?;
                    Ok(Sent::Bearer {
                        header,
                        fresh: true,
                    })
                }
            },
            _ => Ok(Sent::Nothing),
        }
    }

    /// The next authorization to try after a 401, or why there is none.
    async fn answer_challenge(
        &self,
        reply: &Reply,
        sent: &Sent,
        scope: Option<&str>,
        call: &Call<'_>,
    ) -> Result<Sent, RegistryError> {
        let challenges: Vec<_> = reply
            .headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(parse_challenges)
            .collect();
        let bearer = challenges.iter().find(|c| c.scheme == "bearer");
        let basic = challenges.iter().find(|c| c.scheme == "basic");
        let (who, account) = match &self.credentials {
            Some(credentials) => (
                format!("the username {:?} or its password", credentials.username),
                format!("the account {:?}", credentials.username),
            ),
            None => (
                "signing in without credentials".into(),
                "anonymous users".into(),
            ),
        };

        if let Some(bearer) = bearer {
            if let Sent::Bearer { fresh, .. } = sent {
                self.lock().tokens.remove(scope.unwrap_or(""));
                if *fresh {
                    return Err(if bearer.param("error") == Some("insufficient_scope") {
                        RegistryError::Denied(format!(
                            "{} does not let {account} read {}: the token issued for it does not cover that.",
                            self.server,
                            call.what()
                        ))
                    } else {
                        RegistryError::BadCredentials(format!(
                            "{} refused the token issued for {account}: {}",
                            self.server,
                            registry_says(&error_entries(&reply.body))
                        ))
                    });
                }
            }
            let realm = bearer.param("realm").ok_or_else(|| {
                RegistryError::Protocol(format!(
                    "{} asks for a token but names no token service.",
                    self.server
                ))
            })?;
            let realm = check_realm(realm, &self.base, self.credentials.is_some())?;
            let service = bearer.param("service").map(str::to_string);
            // The registry's own wording of the scope wins over ours; it
            // may list several, separated by spaces.
            let asked: Vec<&str> = match bearer.param("scope") {
                Some(asked) => asked.split_ascii_whitespace().collect(),
                None => scope.into_iter().collect(),
            };
            let header = self
                .new_token(&realm, service.as_deref(), &asked, scope)
                .await?;
            self.lock().scheme = Scheme::Bearer { realm, service };
            return Ok(Sent::Bearer {
                header,
                fresh: true,
            });
        }

        if basic.is_some() {
            let Some(credentials) = &self.credentials else {
                return Err(RegistryError::BadCredentials(format!(
                    "{} needs a username and password, and none are stored.",
                    self.server
                )));
            };
            if matches!(sent, Sent::Basic(_)) {
                return Err(RegistryError::BadCredentials(format!(
                    "{} refused {who}.",
                    self.server
                )));
            }
            self.lock().scheme = Scheme::Basic;
            return Ok(Sent::Basic(basic_header(credentials)?));
        }

        Err(RegistryError::BadCredentials(format!(
            "{} refused {who} and asks for a way of signing in Caveman does not know ({}).",
            self.server,
            challenges
                .first()
                .map_or("no challenge", |challenge| challenge.scheme.as_str())
        )))
    }

    /// Fetches a token and caches it under the call's own scope.
    async fn new_token(
        &self,
        realm: &Url,
        service: Option<&str>,
        scopes: &[&str],
        cache_scope: Option<&str>,
    ) -> Result<HeaderValue, RegistryError> {
        let (token, lifetime) = self.fetch_token(realm, service, scopes).await?;
        let header = bearer_header(&token)?;
        self.lock()
            .tokens
            .insert(cache_scope.unwrap_or(""), token, lifetime, Instant::now());
        Ok(header)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basic_header_is_marked_sensitive() {
        let credentials = Credentials {
            username: "alice".into(),
            password: Secret::new("hunter2".into()),
        };
        let header = basic_header(&credentials).unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("YWxpY2U6aHVudGVyMg"));
        assert_eq!(header.to_str().unwrap(), "Basic YWxpY2U6aHVudGVyMg==");
    }
}
