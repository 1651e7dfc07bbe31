//! Sources: where the images (and later the code) that services deploy
//! come from. A source belongs to one workspace; its password or token is
//! sealed by the server's vault and never sent back. Admins and owners add
//! and change sources; members see them, test them and browse them.
//!
//! Container registries are built; git repositories are not built yet.

pub mod server_fns;
pub mod validate;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{AppError, auth::Client, scope::Scope};

/// Sources are tested like hosts, with the same three outcomes.
pub use crate::hosts::HostStatus as SourceStatus;

/// Who runs a container registry, which decides its address, how it signs
/// in and how its repositories are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryProvider {
    DockerHub,
    Ghcr,
    Gitlab,
    /// Any registry speaking the OCI distribution API (v2).
    Generic,
}

impl RegistryProvider {
    pub const ALL: [RegistryProvider; 4] = [
        RegistryProvider::Generic,
        RegistryProvider::DockerHub,
        RegistryProvider::Ghcr,
        RegistryProvider::Gitlab,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistryProvider::DockerHub => "docker_hub",
            RegistryProvider::Ghcr => "ghcr",
            RegistryProvider::Gitlab => "gitlab",
            RegistryProvider::Generic => "generic",
        }
    }

    pub fn parse(value: &str) -> Option<RegistryProvider> {
        RegistryProvider::ALL
            .into_iter()
            .find(|provider| provider.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            RegistryProvider::DockerHub => "Docker Hub",
            RegistryProvider::Ghcr => "GitHub Container Registry",
            RegistryProvider::Gitlab => "GitLab container registry",
            RegistryProvider::Generic => "OCI / v2 registry",
        }
    }

    /// The registry's address when the operator gives none. A generic
    /// registry has no default; a self-managed GitLab has its own address.
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            RegistryProvider::DockerHub => Some("https://registry-1.docker.io"),
            RegistryProvider::Ghcr => Some("https://ghcr.io"),
            RegistryProvider::Gitlab => Some("https://registry.gitlab.com"),
            RegistryProvider::Generic => None,
        }
    }
}

/// A source as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub provider: RegistryProvider,
    /// The registry's address, like `https://ghcr.io`.
    pub url: String,
    /// The account signed in as; `None` for anonymous access.
    pub username: Option<String>,
    pub status: SourceStatus,
    /// Unix seconds of the last test.
    pub checked_at: Option<i64>,
    pub latency_ms: Option<i64>,
}

/// A source with everything known about it except its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDetail {
    pub summary: SourceSummary,
    pub description: String,
    /// Whether a password or token is stored; its value never leaves the
    /// server.
    pub has_credentials: bool,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Why the last test failed, when it did.
    pub check_error: Option<String>,
}

/// A registry to add, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct NewRegistry {
    pub name: String,
    pub description: String,
    pub provider: RegistryProvider,
    /// Normalised: scheme and host, no trailing slash, no `/v2`.
    pub url: String,
    /// Both or neither: anonymous access has no account.
    pub account: Option<RegistryAccount>,
}

/// A registry account as typed.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAccount {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for NewRegistry {
    /// Never prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRegistry")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("url", &self.url)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RegistryAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegistryAccount({}, [redacted])", self.username)
    }
}

/// Changes to a source's non-secret settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceChanges {
    pub name: String,
    pub description: String,
}

/// One page of a registry's repositories, or why there is no list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Repositories {
    Listed {
        names: Vec<String>,
        /// The last name of this page when there are more.
        next: Option<String>,
    },
    /// The registry offers no catalogue (Docker Hub, GHCR and GitLab keep
    /// theirs in their own APIs); a repository is browsed by its name.
    NoCatalogue { why: String },
}

/// A tag and the digest it points to now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagDigest {
    pub tag: String,
    /// `sha256:…`, when it resolved.
    pub digest: Option<String>,
    /// Why it did not resolve.
    pub error: Option<String>,
}

/// One page of a repository's tags with their digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPage {
    /// The repository as the registry names it (Docker Hub's official
    /// images gain their `library/`).
    pub repository: String,
    pub tags: Vec<TagDigest>,
    /// The last tag of this page when there are more.
    pub next: Option<String>,
}

/// Repositories and tags shown per page.
pub const PAGE_SIZE: u32 = 25;

/// The server's sources context, provided through Leptos context as
/// `Arc<dyn SourcesService>`. Every method takes the caller's scope and
/// checks the role itself.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait SourcesService: Send + Sync + 'static {
    async fn list(&self, scope: &Scope) -> Result<Vec<SourceSummary>, AppError>;
    async fn detail(&self, scope: &Scope, id: i64) -> Result<SourceDetail, AppError>;
    async fn create_registry(
        &self,
        scope: &Scope,
        registry: NewRegistry,
        client: &Client,
    ) -> Result<i64, AppError>;
    async fn update(
        &self,
        scope: &Scope,
        id: i64,
        changes: SourceChanges,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Replaces the account (or makes access anonymous with `None`); the
    /// caller checked sudo mode.
    async fn replace_account(
        &self,
        scope: &Scope,
        id: i64,
        account: Option<RegistryAccount>,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Signs in to the registry now and stores the outcome.
    async fn test(&self, scope: &Scope, id: i64) -> Result<SourceDetail, AppError>;
    async fn delete(&self, scope: &Scope, id: i64, client: &Client) -> Result<(), AppError>;
    /// A page of the registry's catalogue after `last`.
    async fn repositories(
        &self,
        scope: &Scope,
        id: i64,
        last: Option<String>,
    ) -> Result<Repositories, AppError>;
    /// A page of `repository`'s tags after `last`, each resolved to its
    /// digest.
    async fn tags(
        &self,
        scope: &Scope,
        id: i64,
        repository: &str,
        last: Option<String>,
    ) -> Result<TagPage, AppError>;
}
