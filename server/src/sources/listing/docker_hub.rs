//! Docker Hub's own API: the account's password or access token is
//! exchanged for a short-lived token (`POST /v2/auth/token`), which lists
//! the repositories of the account's namespace
//! (`GET /v2/namespaces/{namespace}/repositories`).

use serde::Deserialize;

use zeroize::Zeroizing;

use super::{Api, Listing, MAX_PAGE, valid_names, vendor_says};
use crate::sources::registry::{Credentials, RegistryError, bearer_header};
use crate::vault::Secret;

/// Docker Hub's largest page.
const MAX_PAGE_SIZE: u32 = 100;

pub(super) async fn page(
    api: &Api,
    credentials: &Credentials,
    page: u32,
    page_size: u32,
) -> Result<Listing, RegistryError> {
    let namespace = namespace(&credentials.username)?;
    let token = sign_in(api, credentials).await?;
    let (page_text, size_text) = (
        page.to_string(),
        page_size.clamp(1, MAX_PAGE_SIZE).to_string(),
    );
    let url = api.url(
        &["v2", "namespaces", &namespace, "repositories"],
        &[("page", &page_text), ("page_size", &size_text)],
    );
    let request = api
        .http
        .get(url)
        .header(reqwest::header::AUTHORIZATION, bearer_header(&token)?);
    let reply = api.send(request).await?;
    let what = format!("the repositories of {namespace}");
    if !reply.status.is_success() {
        return Err(api.failure(&reply, &what));
    }
    #[derive(Deserialize)]
    struct Repositories {
        next: Option<String>,
        #[serde(default)]
        results: Vec<Repository>,
    }
    #[derive(Deserialize)]
    struct Repository {
        name: String,
        namespace: String,
    }
    let listed: Repositories = api.json(&reply, &what)?;
    Ok(Listing {
        names: valid_names(
            listed
                .results
                .into_iter()
                .map(|repository| format!("{}/{}", repository.namespace, repository.name)),
        ),
        next: listed
            .next
            .filter(|next| !next.is_empty() && page < MAX_PAGE)
            .map(|_| page + 1),
    })
}

/// The namespace of an account is its username, which Docker Hub keeps
/// to lower-case letters, digits, `-` and `_`; an email address used to
/// sign in names no namespace.
fn namespace(username: &str) -> Result<String, RegistryError> {
    let namespace = username.to_ascii_lowercase();
    let valid = !namespace.is_empty()
        && namespace.len() <= 255
        && namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if valid {
        Ok(namespace)
    } else {
        Err(RegistryError::NoCatalog(format!(
            "{username:?} is not a Docker Hub namespace, so its repositories cannot be listed; \
             sign in with the username rather than an email address, or enter a repository name."
        )))
    }
}

/// Exchanges the account for a Docker Hub API token (valid ten minutes;
/// one is fetched per page, which is rarer than that).
async fn sign_in(api: &Api, credentials: &Credentials) -> Result<Secret<String>, RegistryError> {
    // Wiped once sent: it holds the password.
    let body = Zeroizing::new(
        serde_json::json!({
            "identifier": credentials.username,
            "secret": credentials.password.expose(),
        })
        .to_string(),
    );
    let request = api
        .http
        .post(api.url(&["v2", "auth", "token"], &[]))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.as_bytes().to_vec());
    let reply = api.send(request).await?;
    if !reply.status.is_success() {
        return Err(match api.failure(&reply, "repositories") {
            // Any refusal here is of the account itself.
            RegistryError::BadCredentials(_) | RegistryError::Denied(_) => {
                RegistryError::BadCredentials(format!(
                    "{} refused this username and password or token: {}",
                    api.server,
                    vendor_says(&reply.body)
                ))
            }
            other => other,
        });
    }
    #[derive(Deserialize)]
    struct Token {
        access_token: Option<String>,
    }
    let token: Token = api.json(&reply, "an access token")?;
    token
        .access_token
        .filter(|token| !token.is_empty())
        .map(Secret::new)
        .ok_or_else(|| {
            RegistryError::Protocol(format!(
                "{} signed the account in but sent no access token.",
                api.server
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_is_a_username_never_an_email_or_a_path() {
        assert_eq!(namespace("Alice_2").unwrap(), "alice_2");
        for bad in ["alice@example.com", "../admin", "a/b", ""] {
            assert!(
                matches!(namespace(bad), Err(RegistryError::NoCatalog(_))),
                "{bad:?}"
            );
        }
    }
}
