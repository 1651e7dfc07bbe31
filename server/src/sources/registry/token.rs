//! Bearer tokens: fetched from the token service a challenge names, with
//! the stored credentials or anonymously, and kept per scope for their
//! lifetime.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::header;
use serde::Deserialize;
use url::Url;

use super::auth::basic_header;
use super::error::{RegistryError, error_entries, registry_says, retry_after, short};
use super::{Registry, server_name};
use crate::vault::Secret;

/// How long a token lives when the token service does not say.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// A token is dropped this long before it expires, so that it does not
/// run out between being picked and being checked by the registry.
const TOKEN_MARGIN: Duration = Duration::from_secs(5);

/// Bearer tokens by scope (`""` for a token without one), until they
/// expire.
#[derive(Debug, Default)]
pub(super) struct TokenCache {
    tokens: HashMap<String, (Secret<String>, Instant)>,
}

impl TokenCache {
    pub fn get(&self, scope: &str, now: Instant) -> Option<&Secret<String>> {
        let (token, expires) = self.tokens.get(scope)?;
        (now < *expires).then_some(token)
    }

    pub fn insert(&mut self, scope: &str, token: Secret<String>, lifetime: Duration, now: Instant) {
        // Expired entries go here, so the map holds only live scopes.
        self.tokens.retain(|_, (_, expires)| now < *expires);
        let expires = now + lifetime.saturating_sub(TOKEN_MARGIN);
        self.tokens.insert(scope.to_string(), (token, expires));
    }

    pub fn remove(&mut self, scope: &str) {
        self.tokens.remove(scope);
    }
}

/// The token service's reply `{token | access_token, expires_in?}`: the
/// token and how long it may be kept.
pub(super) fn read_token_reply(body: &[u8]) -> Option<(Secret<String>, Duration)> {
    // No Debug: the fields hold the token.
    #[derive(Deserialize)]
    struct Reply {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        expires_in: Option<u64>,
    }
    let reply: Reply = serde_json::from_slice(body).ok()?;
    let lifetime = reply
        .expires_in
        .filter(|&seconds| seconds > 0)
        .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
    let token = reply
        .token
        .filter(|token| !token.is_empty())
        .or(reply.access_token.filter(|token| !token.is_empty()))?;
    Some((Secret::new(token), lifetime))
}

/// The message of a token service's refusal: a registry-style error list,
/// or Docker Hub's `{"details": "…"}`.
fn token_service_says(body: &[u8]) -> String {
    let entries = error_entries(body);
    if !entries.is_empty() {
        return registry_says(&entries);
    }
    #[derive(Deserialize)]
    struct Plain {
        #[serde(alias = "detail", alias = "error_description", alias = "message")]
        details: String,
    }
    serde_json::from_slice::<Plain>(body)
        .map(|plain| short(&plain.details))
        .unwrap_or_else(|_| "no error message".into())
}

impl Registry {
    /// Fetches a token for `scopes` from the token service at `realm`,
    /// with the stored credentials if there are any (anonymous otherwise,
    /// as public images on Docker Hub allow).
    pub(super) async fn fetch_token(
        &self,
        realm: &Url,
        service: Option<&str>,
        scopes: &[&str],
    ) -> Result<(Secret<String>, Duration), RegistryError> {
        let mut url = realm.clone();
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            for scope in scopes {
                query.append_pair("scope", scope);
            }
            if let Some(credentials) = &self.credentials {
                query.append_pair("account", &credentials.username);
            }
        }
        let basic = match &self.credentials {
            Some(credentials) => Some(basic_header(credentials)?),
            None => None,
        };
        let service_name = format!("The token service at {}", server_name(realm));
        let reply = self
            .exchange(
                &reqwest::Method::GET,
                &url,
                basic.as_ref(),
                None,
                &realm.origin(),
            )
            .await
            // The registry itself answered: say that its token service
            // is the one that did not.
            .map_err(|error| match error {
                RegistryError::Unreachable(why) => {
                    RegistryError::Unreachable(format!("The registry's token service: {why}"))
                }
                RegistryError::Tls(why) => {
                    RegistryError::Tls(format!("The registry's token service: {why}"))
                }
                other => other,
            })?;
        let status = reply.status.as_u16();
        match status {
            200 => read_token_reply(&reply.body).ok_or_else(|| {
                RegistryError::Protocol(format!("{service_name} answered without a token."))
            }),
            401 | 403 => Err(RegistryError::BadCredentials(match &self.credentials {
                Some(credentials) => format!(
                    "{service_name} refused the username {:?} or its password: {}",
                    credentials.username,
                    token_service_says(&reply.body)
                ),
                None => format!(
                    "{service_name} refused to issue a token without credentials: {}",
                    token_service_says(&reply.body)
                ),
            })),
            429 => Err(RegistryError::RateLimited {
                retry_after: retry_after(reply.header(header::RETRY_AFTER)),
                message: format!("{service_name} is rate-limiting these requests."),
            }),
            _ => Err(RegistryError::Protocol(format!(
                "{service_name} answered {status}: {}",
                token_service_says(&reply.body)
            ))),
        }
    }
}

/// Refuses a token service that would receive credentials in the clear
/// from a registry reached over HTTPS.
pub(super) fn check_realm(
    realm: &str,
    base: &Url,
    has_credentials: bool,
) -> Result<Url, RegistryError> {
    let realm = Url::parse(realm).map_err(|_| {
        RegistryError::Protocol(format!(
            "The registry names a token service that is not a URL: {:?}.",
            short(realm)
        ))
    })?;
    if !matches!(realm.scheme(), "http" | "https") {
        return Err(RegistryError::Protocol(format!(
            "The registry names a token service that is not HTTP: {realm}."
        )));
    }
    if has_credentials && base.scheme() == "https" && realm.scheme() != "https" {
        return Err(RegistryError::Protocol(format!(
            "The registry asks for the credentials to be sent to {realm} over plain HTTP; \
             Caveman refuses to."
        )));
    }
    Ok(realm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_per_scope_until_shortly_before_they_expire() {
        let mut cache = TokenCache::default();
        let now = Instant::now();
        cache.insert(
            "repository:a:pull",
            Secret::new("t1".into()),
            Duration::from_secs(60),
            now,
        );
        assert_eq!(
            cache
                .get("repository:a:pull", now)
                .map(|t| t.expose().as_str()),
            Some("t1")
        );
        assert!(cache.get("repository:b:pull", now).is_none());
        assert!(
            cache
                .get("repository:a:pull", now + Duration::from_secs(54))
                .is_some()
        );
        assert!(
            cache
                .get("repository:a:pull", now + Duration::from_secs(55))
                .is_none()
        );
        cache.remove("repository:a:pull");
        assert!(cache.get("repository:a:pull", now).is_none());
    }

    #[test]
    fn a_token_reply_is_read_in_either_field_with_a_default_lifetime() {
        let (token, lifetime) = read_token_reply(br#"{"token":"abc","expires_in":300}"#).unwrap();
        assert_eq!(
            (token.expose().as_str(), lifetime),
            ("abc", Duration::from_secs(300))
        );
        let (token, lifetime) = read_token_reply(br#"{"access_token":"xyz"}"#).unwrap();
        assert_eq!(
            (token.expose().as_str(), lifetime),
            ("xyz", DEFAULT_TOKEN_LIFETIME)
        );
        assert!(read_token_reply(br#"{"token":""}"#).is_none());
        assert!(read_token_reply(b"not json").is_none());
    }

    #[test]
    fn credentials_never_go_to_a_plain_http_token_service_of_an_https_registry() {
        let base = Url::parse("https://registry.example").unwrap();
        assert!(check_realm("http://auth.example/token", &base, true).is_err());
        assert!(check_realm("http://auth.example/token", &base, false).is_ok());
        assert!(check_realm("https://auth.example/token", &base, true).is_ok());
        assert!(check_realm("file:///etc/passwd", &base, false).is_err());
    }
}
