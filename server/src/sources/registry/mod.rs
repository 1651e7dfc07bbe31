//! A client for one container registry speaking the OCI distribution API
//! (Docker registry v2): sign in, list repositories and tags, and resolve
//! a tag to the digest a deployment pins.
//!
//! Every public call runs under one deadline ([`TIMEOUT`]), reads replies
//! up to [`MAX_REPLY_BYTES`], and follows redirects itself: credentials go
//! only to the origin they were meant for (the registry, or the token
//! service its challenge names), never to where a redirect points.
//!
//! Docker Hub's `docker.io` alias and its implicit `library/` prefix are
//! not applied here (callers pass `registry-1.docker.io` and
//! `library/nginx`); registries without a catalogue are listed through
//! their vendors' APIs by `sources::listing`.

mod auth;
mod challenge;
mod error;
mod exchange;
mod names;
mod paging;
mod token;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use url::Url;

pub use self::error::RegistryError;
pub use self::names::{Digest, NameError, RepositoryName, Tag};
pub use self::paging::{MAX_PAGE_SIZE, Page};
/// For the vendors' listing APIs, which fail and page the same ways.
pub(in crate::sources) use self::{
    auth::{bearer_header, sensitive},
    error::{describe as transport_failure, short},
    exchange::read_reply,
    paging::next_link,
};

use self::auth::AuthState;
use self::error::{error_entries, registry_says};
use self::exchange::Reply;
use crate::outbound::server_name;
use crate::vault::Secret;

/// How long one call may take, end to end, sign-in included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest reply read; distribution itself refuses manifests over 4 MiB.
pub const MAX_REPLY_BYTES: usize = 4 << 20;

/// The manifest types asked for, newest first: an image index or manifest
/// list for multi-platform images, a single manifest otherwise.
const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// A registry account. The password may be an access token (GHCR, GitLab
/// and Docker Hub all take one there).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: Secret<String>,
}

/// One registry, signed in to lazily. Clones share the learnt sign-in
/// scheme and the token cache.
#[derive(Debug, Clone)]
pub struct Registry {
    http: reqwest::Client,
    /// The registry's address without the `/v2` part.
    base: Url,
    /// `host[:port]`, for messages.
    server: String,
    credentials: Option<Credentials>,
    auth: Arc<Mutex<AuthState>>,
}

/// What a request is for: the token scope it needs and the words of its
/// error messages.
#[derive(Debug, Clone, Copy)]
enum Call<'a> {
    Ping,
    Catalog,
    Tags(&'a RepositoryName),
    Manifest(&'a RepositoryName, &'a Tag),
}

impl Call<'_> {
    fn scope(&self) -> Option<String> {
        match self {
            Call::Ping => None,
            Call::Catalog => Some("registry:catalog:*".into()),
            Call::Tags(repository) | Call::Manifest(repository, _) => {
                Some(format!("repository:{repository}:pull"))
            }
        }
    }

    fn what(&self) -> String {
        match self {
            Call::Ping => "the registry".into(),
            Call::Catalog => "the list of repositories".into(),
            Call::Tags(repository) => format!("the tags of {repository}"),
            Call::Manifest(repository, tag) => format!("{repository}:{tag}"),
        }
    }
}

impl Registry {
    /// A client for the registry at `base` (`https://ghcr.io`; a trailing
    /// `/v2/` is dropped). Credentials in the URL are refused: they belong
    /// in `credentials`, which are kept out of messages and logs.
    pub fn new(base: Url, credentials: Option<Credentials>) -> Result<Registry, RegistryError> {
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(RegistryError::Invalid(
                "A registry address starts with https:// (or http://) and names a host.".into(),
            ));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(RegistryError::Invalid(
                "Put the registry's username and password in their own fields, not in its address."
                    .into(),
            ));
        }
        let mut base = base;
        base.set_query(None);
        base.set_fragment(None);
        let path = base.path().trim_end_matches('/');
        let path = path.strip_suffix("/v2").unwrap_or(path).to_string();
        base.set_path(&path);

        // Redirects are followed by `exchange`, which knows where
        // credentials may go.
        let http = crate::outbound::http_client(TIMEOUT).map_err(|error| {
            RegistryError::Protocol(format!("Cannot start an HTTP client: {error}"))
        })?;
        Ok(Registry {
            http,
            server: server_name(&base),
            base,
            credentials,
            auth: Arc::new(Mutex::new(AuthState::default())),
        })
    }

    /// Checks that the registry answers and takes the credentials.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        self.deadline(async {
            let call = Call::Ping;
            let reply = self.request(Method::GET, self.url(&["v2", ""]), &call, None).await?;
            if reply.status == StatusCode::OK {
                let is_registry = reply.headers.contains_key("docker-distribution-api-version")
                    || serde_json::from_slice::<serde_json::Value>(&reply.body).is_ok();
                return if is_registry {
                    Ok(())
                } else {
                    Err(RegistryError::Protocol(format!(
                        "{} answers, but not as a container registry (its /v2/ is not the registry API).",
                        self.server
                    )))
                };
            }
            // A refusal of the base endpoint is a refusal of the account:
            // GHCR answers 403 without a challenge to credentials it rejects.
            if reply.status == StatusCode::FORBIDDEN {
                return Err(RegistryError::BadCredentials(format!(
                    "{} refused these credentials: {}",
                    self.server,
                    registry_says(&error_entries(&reply.body))
                )));
            }
            Err(self.failure(&call, &reply))
        })
        .await
    }

    /// One page of the registry's catalogue, after `last`. A registry
    /// without a catalogue answers [`RegistryError::NoCatalog`].
    pub async fn repositories(
        &self,
        page_size: u32,
        last: Option<&RepositoryName>,
    ) -> Result<Page<RepositoryName>, RegistryError> {
        self.deadline(async {
            let call = Call::Catalog;
            let url = self.list_url(
                &["v2", "_catalog"],
                page_size,
                last.map(RepositoryName::as_str),
            );
            let reply = self.request(Method::GET, url, &call, None).await?;
            if !reply.status.is_success() {
                return Err(self.failure(&call, &reply));
            }
            #[derive(Deserialize)]
            struct Catalog {
                #[serde(default)]
                repositories: Option<Vec<String>>,
            }
            let catalog: Catalog = self.json(&reply, &call)?;
            let names = catalog
                .repositories
                .unwrap_or_default()
                .iter()
                .filter_map(|name| self.listed(RepositoryName::parse(name)))
                .collect();
            self.page(&reply, names, page_size, last, |name| {
                RepositoryName::parse(name)
            })
        })
        .await
    }

    /// One page of the tags of `repository`, after `last`, in the
    /// registry's order (lexical, where it pages itself).
    pub async fn tags(
        &self,
        repository: &RepositoryName,
        page_size: u32,
        last: Option<&Tag>,
    ) -> Result<Page<Tag>, RegistryError> {
        self.deadline(async {
            let call = Call::Tags(repository);
            let url = self.list_url(
                &["v2", repository.as_str(), "tags", "list"],
                page_size,
                last.map(Tag::as_str),
            );
            let reply = self.request(Method::GET, url, &call, None).await?;
            if !reply.status.is_success() {
                return Err(self.failure(&call, &reply));
            }
            #[derive(Deserialize)]
            struct TagList {
                #[serde(default)]
                tags: Option<Vec<String>>,
            }
            let list: TagList = self.json(&reply, &call)?;
            let tags = list
                .tags
                .unwrap_or_default()
                .iter()
                .filter_map(|tag| self.listed(Tag::parse(tag)))
                .collect();
            self.page(&reply, tags, page_size, last, Tag::parse)
        })
        .await
    }

    /// The digest `repository:tag` points to now: of the image index for
    /// a multi-platform image, of the manifest otherwise.
    pub async fn resolve(
        &self,
        repository: &RepositoryName,
        tag: &Tag,
    ) -> Result<Digest, RegistryError> {
        self.deadline(async {
            let call = Call::Manifest(repository, tag);
            let url = self.url(&["v2", repository.as_str(), "manifests", tag.as_str()]);
            let accept = MANIFEST_TYPES.join(", ");
            // HEAD first: Docker Hub counts a GET of a manifest as a pull
            // against the rate limit, a HEAD not.
            let head = self
                .request(Method::HEAD, url.clone(), &call, Some(&accept))
                .await?;
            if head.status.is_success() {
                self.check_media_type(&head, &call)?;
                if let Some(digest) =
                    head.header(header::HeaderName::from_static("docker-content-digest"))
                {
                    return Digest::parse(digest.trim()).map_err(|_| {
                        RegistryError::Protocol(format!(
                            "The registry gave {} an invalid digest {digest:?}.",
                            call.what()
                        ))
                    });
                }
            } else if !matches!(
                head.status,
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ) {
                return Err(self.failure(&call, &head));
            }
            // No digest header, or an error whose reason only a body
            // carries (HEAD has none): the manifest itself, whose exact
            // bytes are what the digest is computed over.
            let get = self.request(Method::GET, url, &call, Some(&accept)).await?;
            if !get.status.is_success() {
                return Err(self.failure(&call, &get));
            }
            self.check_media_type(&get, &call)?;
            let digest = Digest::sha256_of(&get.body);
            if let Some(stated) =
                get.header(header::HeaderName::from_static("docker-content-digest"))
                && stated.starts_with("sha256:")
                && stated.trim() != digest.as_str()
            {
                return Err(RegistryError::Protocol(format!(
                    "The registry sent a manifest for {} whose sha256 is not the digest it states.",
                    call.what()
                )));
            }
            Ok(digest)
        })
        .await
    }

    async fn deadline<T>(
        &self,
        call: impl Future<Output = Result<T, RegistryError>>,
    ) -> Result<T, RegistryError> {
        tokio::time::timeout(TIMEOUT, call)
            .await
            .unwrap_or(Err(RegistryError::Timeout))
    }

    /// The base URL with `segments` appended to its path. Every segment is
    /// a fixed word or a checked name, so nothing needs escaping.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        let path = format!(
            "{}/{}",
            url.path().trim_end_matches('/'),
            segments.join("/")
        );
        url.set_path(&path);
        url
    }

    fn list_url(&self, segments: &[&str], page_size: u32, last: Option<&str>) -> Url {
        let mut url = self.url(segments);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("n", &page_size.clamp(1, MAX_PAGE_SIZE).to_string());
            if let Some(last) = last {
                query.append_pair("last", last);
            }
        }
        url
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        call: &Call<'_>,
    ) -> Result<T, RegistryError> {
        serde_json::from_slice(&reply.body).map_err(|_| {
            RegistryError::Protocol(format!(
                "{} answered with something other than {} in JSON.",
                self.server,
                call.what()
            ))
        })
    }

    /// Accepts a reply whose type is one of the manifest types asked for
    /// (or unstated); an old schema 1 manifest cannot be deployed.
    fn check_media_type(&self, reply: &Reply, call: &Call<'_>) -> Result<(), RegistryError> {
        let Some(content_type) = reply.header(header::CONTENT_TYPE) else {
            return Ok(());
        };
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if MANIFEST_TYPES
            .iter()
            .any(|wanted| wanted.eq_ignore_ascii_case(essence))
        {
            return Ok(());
        }
        Err(RegistryError::Protocol(format!(
            "{} answered {} with a manifest of type {essence:?}, which Caveman cannot deploy.",
            self.server,
            call.what()
        )))
    }
}
