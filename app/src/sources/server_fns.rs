//! Server functions for sources. Reads act in the session's current
//! workspace; changes and browsing name the workspace they act on, so that
//! an action never lands elsewhere because the current workspace changed in
//! another tab. Roles are checked by the sources context.

use leptos::prelude::*;

use super::{GitBranches, Repositories, ScannedGitHostKey, SourceDetail, SourceSummary, TagPage};
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{auth, services::service};

#[cfg(feature = "ssr")]
fn sources_service() -> Result<std::sync::Arc<dyn super::SourcesService>, AppError> {
    service::<dyn super::SourcesService>()
}

/// The sources of the current workspace.
#[server(name = SourcesFn, prefix = "/api", endpoint = "sources")]
pub async fn sources() -> Result<Vec<SourceSummary>, AppError> {
    let scope = auth::scope().await?;
    sources_service()?.list(&scope).await
}

/// One source of the current workspace.
#[server(name = SourceFn, prefix = "/api", endpoint = "source")]
pub async fn source(id: i64) -> Result<SourceDetail, AppError> {
    let scope = auth::scope().await?;
    sources_service()?.detail(&scope, id).await
}

/// Adds a container registry; `url` may be empty for a provider with a
/// known address, `api_url` for a provider's public listing API, and
/// `username` with `password` for anonymous access. Returns its id.
#[server(name = AddRegistryFn, prefix = "/api", endpoint = "add_registry")]
pub async fn add_registry(
    workspace_id: i64,
    provider: String,
    name: String,
    description: Option<String>,
    url: Option<String>,
    api_url: Option<String>,
    username: Option<String>,
    password: Option<String>,
) -> Result<i64, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let text = |value: &Option<String>| value.as_deref().unwrap_or_default().to_string();
    let form = super::validate::RegistryForm {
        provider: &provider,
        name: &name,
        description: &text(&description),
        url: &text(&url),
        api_url: &text(&api_url),
        username: &text(&username),
        password: &text(&password),
    };
    let registry = super::validate::new_registry(&form)?;
    sources_service()?
        .create_registry(&scope, registry, &auth::client())
        .await
}

/// Changes a source's name and description.
#[server(name = UpdateSourceFn, prefix = "/api", endpoint = "update_source")]
pub async fn update_source(
    workspace_id: i64,
    id: i64,
    name: String,
    description: Option<String>,
) -> Result<(), AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let changes = super::validate::changes(&name, description.as_deref().unwrap_or_default())?;
    sources_service()?
        .update(&scope, id, changes, &auth::client())
        .await
}

/// Replaces a source's credential: the account of a registry or of a git
/// repository over HTTPS (both fields empty make access anonymous), or the
/// private key of a git repository over SSH. Needs sudo mode.
#[server(name = ReplaceSourceCredentialsFn, prefix = "/api", endpoint = "replace_source_credentials")]
pub async fn replace_source_credentials(
    workspace_id: i64,
    id: i64,
    username: Option<String>,
    password: Option<String>,
    private_key: Option<String>,
) -> Result<(), AppError> {
    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    scope.require(crate::workspaces::roles::Action::ManageResources)?;
    auth::require_sudo(&state)?;
    let credentials = super::validate::credentials(
        username.as_deref().unwrap_or_default(),
        password.as_deref().unwrap_or_default(),
        private_key.as_deref().unwrap_or_default(),
    )?;
    sources_service()?
        .replace_credentials(&scope, id, credentials, &auth::client())
        .await
}

/// Adds a git repository: over HTTPS with an optional username and token,
/// or over SSH with a private key and the host key fingerprint the
/// operator confirmed. Returns its id.
#[server(name = AddGitFn, prefix = "/api", endpoint = "add_git")]
pub async fn add_git(
    workspace_id: i64,
    provider: String,
    name: String,
    url: String,
    description: Option<String>,
    username: Option<String>,
    password: Option<String>,
    private_key: Option<String>,
    host_key_fingerprint: Option<String>,
) -> Result<i64, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let text = |value: &Option<String>| value.as_deref().unwrap_or_default().to_string();
    let form = super::validate::GitForm {
        provider: &provider,
        name: &name,
        description: &text(&description),
        url: &url,
        username: &text(&username),
        password: &text(&password),
        private_key: &text(&private_key),
        host_key_fingerprint: &text(&host_key_fingerprint),
    };
    let git = super::validate::new_git(&form)?;
    sources_service()?
        .create_git(&scope, git, &auth::client())
        .await
}

/// Reads the key the SSH server of a git repository presents, so the
/// operator can compare its fingerprint before it is pinned.
#[server(name = ScanGitHostKeyFn, prefix = "/api", endpoint = "scan_git_host_key")]
pub async fn scan_git_host_key(
    workspace_id: i64,
    url: String,
) -> Result<ScannedGitHostKey, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let address = super::validate::git_ssh_address("url", &url)?;
    // The same scan as for Docker hosts over SSH, with the same role rule.
    let key = service::<dyn crate::hosts::HostsService>()?
        .scan_host_key(&scope, &address)
        .await
        .map_err(|error| match error {
            AppError::Invalid { message, .. } => AppError::invalid("url", message),
            other => other,
        })?;
    Ok(ScannedGitHostKey {
        url: url.trim().to_string(),
        address: key.address,
        fingerprint: key.fingerprint,
        algorithm: key.algorithm,
    })
}

/// Pins the key a git repository's SSH server presents now, after its
/// fingerprint was confirmed; used when the key changed. Needs sudo mode.
#[server(name = PinSourceHostKeyFn, prefix = "/api", endpoint = "pin_source_host_key")]
pub async fn pin_source_host_key(
    workspace_id: i64,
    id: i64,
    host_key_fingerprint: String,
) -> Result<SourceDetail, AppError> {
    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    scope.require(crate::workspaces::roles::Action::ManageResources)?;
    auth::require_sudo(&state)?;
    let fingerprint =
        crate::hosts::validate::fingerprint("host_key_fingerprint", &host_key_fingerprint)?;
    sources_service()?
        .pin_host_key(&scope, id, &fingerprint, &auth::client())
        .await
}

/// A git repository's branches and the commit each points to, read now.
#[server(name = GitBranchesFn, prefix = "/api", endpoint = "git_branches")]
pub async fn git_branches(workspace_id: i64, id: i64) -> Result<GitBranches, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    sources_service()?.branches(&scope, id).await
}

/// Signs in to a registry, or lists a git repository's refs, now and
/// returns what it found.
#[server(name = TestSourceFn, prefix = "/api", endpoint = "test_source")]
pub async fn test_source(workspace_id: i64, id: i64) -> Result<SourceDetail, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    sources_service()?.test(&scope, id).await
}

#[server(name = DeleteSourceFn, prefix = "/api", endpoint = "delete_source")]
pub async fn delete_source(workspace_id: i64, id: i64) -> Result<(), AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    sources_service()?.delete(&scope, id, &auth::client()).await
}

/// A page of a registry's repositories, after `last`.
#[server(name = RegistryRepositoriesFn, prefix = "/api", endpoint = "registry_repositories")]
pub async fn registry_repositories(
    workspace_id: i64,
    id: i64,
    last: Option<String>,
) -> Result<Repositories, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let last = super::validate::cursor("last", last)?;
    sources_service()?.repositories(&scope, id, last).await
}

/// A page of a repository's tags with their digests, after `last`.
#[server(name = RegistryTagsFn, prefix = "/api", endpoint = "registry_tags")]
pub async fn registry_tags(
    workspace_id: i64,
    id: i64,
    repository: String,
    last: Option<String>,
) -> Result<TagPage, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let repository = super::validate::repository("repository", &repository)?;
    let last = super::validate::cursor("last", last)?;
    sources_service()?.tags(&scope, id, &repository, last).await
}
