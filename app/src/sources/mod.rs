//! Sources: where the images and code that services deploy come from. A
//! source belongs to one workspace; its password, token or private key is
//! sealed by the server's vault and never sent back. Admins and owners add
//! and change sources; members see them, test them and browse them.
//!
//! Container registries are browsed by repository, tag and digest; git
//! repositories (over HTTPS or SSH) by branch and commit.

pub mod server_fns;
pub mod validate;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{AppError, auth::Client, scope::Scope};

/// Sources are tested like hosts, with the same three outcomes.
pub use crate::hosts::HostStatus as SourceStatus;

/// What a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A container registry: repositories of images, by tag and digest.
    Registry,
    /// A git repository: branches and their commits.
    Git,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Registry => "registry",
            SourceKind::Git => "git",
        }
    }

    pub fn parse(value: &str) -> Option<SourceKind> {
        [SourceKind::Registry, SourceKind::Git]
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// Who runs a source, which decides its default address, how it signs in
/// and how its contents are found. Not every provider has both kinds:
/// see [`Provider::REGISTRIES`] and [`Provider::GIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    DockerHub,
    Ghcr,
    Github,
    Gitlab,
    /// Any registry speaking the OCI distribution API (v2), or any git
    /// server speaking git's smart HTTP or SSH protocol.
    Generic,
}

impl Provider {
    /// Who runs container registries, in the order the form offers them.
    pub const REGISTRIES: [Provider; 4] = [
        Provider::Generic,
        Provider::DockerHub,
        Provider::Ghcr,
        Provider::Gitlab,
    ];
    /// Who hosts git repositories, in the order the forms offer them.
    pub const GIT: [Provider; 3] = [Provider::Generic, Provider::Github, Provider::Gitlab];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::DockerHub => "docker_hub",
            Provider::Ghcr => "ghcr",
            Provider::Github => "github",
            Provider::Gitlab => "gitlab",
            Provider::Generic => "generic",
        }
    }

    /// The provider named `value`, if it runs sources of `kind`.
    pub fn parse(kind: SourceKind, value: &str) -> Option<Provider> {
        let offered: &[Provider] = match kind {
            SourceKind::Registry => &Provider::REGISTRIES,
            SourceKind::Git => &Provider::GIT,
        };
        offered
            .iter()
            .copied()
            .find(|provider| provider.as_str() == value)
    }

    pub fn label(self, kind: SourceKind) -> &'static str {
        match (kind, self) {
            (SourceKind::Registry, Provider::DockerHub) => "Docker Hub",
            (SourceKind::Registry, Provider::Ghcr | Provider::Github) => {
                "GitHub Container Registry"
            }
            (SourceKind::Registry, Provider::Gitlab) => "GitLab container registry",
            (SourceKind::Registry, Provider::Generic) => "OCI / v2 registry",
            (SourceKind::Git, Provider::Github | Provider::Ghcr) => "GitHub",
            (SourceKind::Git, Provider::Gitlab) => "GitLab",
            (SourceKind::Git, Provider::DockerHub | Provider::Generic) => "Git server",
        }
    }

    /// The registry's address when the operator gives none. A generic
    /// registry has no default; a self-managed GitLab has its own address.
    pub fn default_registry_url(self) -> Option<&'static str> {
        match self {
            Provider::DockerHub => Some("https://registry-1.docker.io"),
            Provider::Ghcr => Some("https://ghcr.io"),
            Provider::Gitlab => Some("https://registry.gitlab.com"),
            Provider::Github | Provider::Generic => None,
        }
    }

    /// The vendor API that lists the repositories of a registry at
    /// `registry_url` when the operator gives none: the public service's
    /// own, for the public registry only. Any other address (a mirror,
    /// GitHub Enterprise, a self-managed GitLab) has its API wherever its
    /// owner put it, and its account must not go to the public one.
    pub fn default_listing_api(self, registry_url: &str) -> Option<&'static str> {
        if Some(registry_url) != self.default_registry_url() {
            return None;
        }
        match self {
            Provider::DockerHub => Some("https://hub.docker.com"),
            Provider::Ghcr => Some("https://api.github.com"),
            Provider::Gitlab => Some("https://gitlab.com"),
            Provider::Github | Provider::Generic => None,
        }
    }
}

/// A source as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub kind: SourceKind,
    pub provider: Provider,
    /// The registry's address (`https://ghcr.io`), or the repository's
    /// (`https://host/path.git`, `ssh://user@host:port/path`).
    pub url: String,
    /// The account signed in as (over SSH, the user); `None` for
    /// anonymous access.
    pub username: Option<String>,
    pub status: SourceStatus,
    /// Unix seconds of the last test.
    pub checked_at: Option<i64>,
    pub latency_ms: Option<i64>,
}

impl SourceSummary {
    /// Who runs it, in words.
    pub fn provider_label(&self) -> &'static str {
        self.provider.label(self.kind)
    }
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
    /// The pinned SSH host key's fingerprint (`SHA256:…`), for a git
    /// repository reached over SSH.
    pub host_key_fingerprint: Option<String>,
    /// What the last test that reached a git repository found.
    pub git: Option<GitFacts>,
    /// The vendor API a registry without a catalogue is listed through.
    pub api_url: Option<String>,
}

/// A git repository as its last successful test saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitFacts {
    /// The branch HEAD points to, when the server says.
    pub default_branch: Option<String>,
    /// The commit the default branch points to; `None` when empty.
    pub head_commit: Option<String>,
    pub branch_count: i64,
}

/// A registry to add, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct NewRegistry {
    pub name: String,
    pub description: String,
    pub provider: Provider,
    /// Normalised: scheme and host, no trailing slash, no `/v2`.
    pub url: String,
    /// The vendor API that lists its repositories (Docker Hub, GHCR and
    /// GitLab have no catalogue); normalised like `url`.
    pub api_url: Option<String>,
    /// Both or neither: anonymous access has no account.
    pub account: Option<SourceAccount>,
}

/// A registry account as typed.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceAccount {
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
            .field("api_url", &self.api_url)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SourceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SourceAccount({}, [redacted])", self.username)
    }
}

/// A git repository to add, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGit {
    pub name: String,
    pub description: String,
    pub provider: Provider,
    pub remote: NewGitRemote,
}

/// Where a new git repository is and its credential.
#[derive(Clone, PartialEq, Eq)]
pub enum NewGitRemote {
    Https {
        /// Normalised, like `https://github.com/acme/app.git`.
        url: String,
        /// `None` for a public repository.
        account: Option<SourceAccount>,
    },
    Ssh {
        /// `host:port`.
        address: String,
        user: String,
        /// As `git clone user@host:path` takes it.
        path: String,
        private_key: String,
        /// The fingerprint the operator confirmed; the server pins the key
        /// only if the host still presents that one.
        host_key_fingerprint: String,
    },
}

impl std::fmt::Debug for NewGitRemote {
    /// Never prints a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewGitRemote::Https { url, account } => write!(f, "Https({url}, {account:?})"),
            NewGitRemote::Ssh {
                address,
                user,
                path,
                ..
            } => write!(f, "Ssh({user}@{address}:{path}, [redacted])"),
        }
    }
}

/// A replacement credential, as sent: which fields count depends on the
/// source, which only the server knows.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewSourceCredentials {
    /// For a registry or a git repository over HTTPS; `None` for
    /// anonymous access.
    pub account: Option<SourceAccount>,
    /// For a git repository over SSH.
    pub private_key: Option<String>,
}

impl std::fmt::Debug for NewSourceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSourceCredentials")
            .field("account", &self.account)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The key a git repository's SSH server presents, for the operator to
/// compare before it is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedGitHostKey {
    /// The repository's address as typed, normalised.
    pub url: String,
    /// `host:port`.
    pub address: String,
    /// `SHA256:…`.
    pub fingerprint: String,
    /// Like `ssh-ed25519`.
    pub algorithm: String,
}

/// One branch of a git repository and the commit it points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitBranch {
    pub name: String,
    pub commit: String,
}

/// A git repository's branches as it lists them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitBranches {
    pub default_branch: Option<String>,
    pub head_commit: Option<String>,
    /// By name; at most a thousand.
    pub branches: Vec<GitBranch>,
    /// Every branch, including those not listed.
    pub branch_count: i64,
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
        /// Where the next page starts when there are more: the last name
        /// of this page for a catalogue, a page number for a vendor's
        /// API. Only the server reads it.
        next: Option<String>,
    },
    /// Neither the registry nor its vendor's API lists repositories (no
    /// catalogue, no API address, or anonymous access to an API that
    /// lists an account's own); a repository is browsed by its name.
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
    async fn create_git(
        &self,
        scope: &Scope,
        git: NewGit,
        client: &Client,
    ) -> Result<i64, AppError>;
    /// Replaces the credential (an account, `None` for anonymous access,
    /// or an SSH private key); the caller checked sudo mode.
    async fn replace_credentials(
        &self,
        scope: &Scope,
        id: i64,
        credentials: NewSourceCredentials,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Pins the key a git repository's SSH server presents now, if it is
    /// the one with the fingerprint the operator confirmed; the caller
    /// checked sudo mode.
    async fn pin_host_key(
        &self,
        scope: &Scope,
        id: i64,
        fingerprint: &str,
        client: &Client,
    ) -> Result<SourceDetail, AppError>;
    /// A git repository's branches, read from it now.
    async fn branches(&self, scope: &Scope, id: i64) -> Result<GitBranches, AppError>;
    /// Signs in to the registry, or lists the repository's refs, now and
    /// stores the outcome.
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
