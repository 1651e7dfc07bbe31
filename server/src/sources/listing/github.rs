//! GitHub's REST API, for GHCR: the user's container packages
//! (`GET /user/packages?package_type=container`), with the registry
//! account's token (a classic token with `read:packages`), the headers
//! GitHub asks for, and the next page in the `Link` header.

use serde::Deserialize;
use url::Url;

use super::{Api, Listing, MAX_PAGE, valid_names};
use crate::sources::registry::{Credentials, RegistryError, bearer_header, next_link};

/// GitHub's largest page.
const MAX_PAGE_SIZE: u32 = 100;
/// The REST API version these calls are written against.
const API_VERSION: &str = "2022-11-28";

pub(super) async fn page(
    api: &Api,
    credentials: &Credentials,
    page: u32,
    page_size: u32,
) -> Result<Listing, RegistryError> {
    let (page_text, size_text) = (
        page.to_string(),
        page_size.clamp(1, MAX_PAGE_SIZE).to_string(),
    );
    let url = api.url(
        &["user", "packages"],
        &[
            ("package_type", "container"),
            ("per_page", &size_text),
            ("page", &page_text),
        ],
    );
    let request = api
        .http
        .get(url.clone())
        .header(
            reqwest::header::AUTHORIZATION,
            bearer_header(&credentials.password)?,
        )
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .header("X-GitHub-Api-Version", API_VERSION);
    let reply = api.send(request).await?;
    let what = "your container packages";
    if !reply.status.is_success() {
        return Err(api.failure(&reply, what));
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        owner: Owner,
    }
    #[derive(Deserialize)]
    struct Owner {
        login: String,
    }
    let packages: Vec<Package> = api.json(&reply, what)?;
    let next = reply
        .header("link")
        .and_then(next_link)
        .map(|target| next_page(&url, target, page))
        .filter(|next| *next <= MAX_PAGE);
    Ok(Listing {
        // GHCR names images in lower case whatever the owner's spelling.
        names: valid_names(packages.into_iter().map(|package| {
            format!("{}/{}", package.owner.login, package.name).to_ascii_lowercase()
        })),
        next,
    })
}

/// The page number in the `rel="next"` link, or the one after `page` when
/// the link does not carry one.
fn next_page(from: &Url, target: &str, page: u32) -> u32 {
    from.join(target)
        .ok()
        .and_then(|next| {
            next.query_pairs()
                .find(|(name, _)| name == "page")
                .and_then(|(_, value)| value.parse().ok())
        })
        .filter(|next| *next > page)
        .unwrap_or_else(|| page.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_read_from_the_link() {
        let from = Url::parse("https://api.github.com/user/packages?page=1").unwrap();
        assert_eq!(
            next_page(
                &from,
                "https://api.github.com/user/packages?package_type=container&per_page=25&page=3",
                2
            ),
            3
        );
        assert_eq!(next_page(&from, "/user/packages?cursor=abc", 2), 3);
        // A link that would go backwards cannot loop the browser.
        assert_eq!(next_page(&from, "/user/packages?page=1", 2), 3);
    }
}
