//! Server functions for hosts. Reads act in the session's current
//! workspace; changes name the workspace they act on, so that an action
//! never lands elsewhere because the current workspace changed in another
//! tab. Roles are checked by the hosts context.

use leptos::prelude::*;

use super::{HostDetail, HostSummary};
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{auth, services::service};

#[cfg(feature = "ssr")]
fn hosts_service() -> Result<std::sync::Arc<dyn super::HostsService>, AppError> {
    service::<dyn super::HostsService>()
}

/// The hosts of the current workspace.
#[server(name = HostsFn, prefix = "/api", endpoint = "hosts")]
pub async fn hosts() -> Result<Vec<HostSummary>, AppError> {
    let scope = auth::scope().await?;
    hosts_service()?.list(&scope).await
}

/// One host of the current workspace.
#[server(name = HostFn, prefix = "/api", endpoint = "host")]
pub async fn host(id: i64) -> Result<HostDetail, AppError> {
    let scope = auth::scope().await?;
    hosts_service()?.detail(&scope, id).await
}

/// Adds a host; which fields are needed depends on `kind`. Returns its id.
#[allow(clippy::too_many_arguments)]
#[server(name = AddHostFn, prefix = "/api", endpoint = "add_host")]
pub async fn add_host(
    workspace_id: i64,
    kind: String,
    name: String,
    description: Option<String>,
    labels: Option<String>,
    socket_path: Option<String>,
    org_slug: Option<String>,
    secret: Option<String>,
) -> Result<i64, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let host = super::validate::new_host(&super::validate::HostForm {
        kind: &kind,
        name: &name,
        description: description.as_deref().unwrap_or_default(),
        labels: labels.as_deref().unwrap_or_default(),
        socket_path: socket_path.as_deref().unwrap_or_default(),
        org_slug: org_slug.as_deref().unwrap_or_default(),
        secret: secret.as_deref().unwrap_or_default(),
    })?;
    hosts_service()?.create(&scope, host, &auth::client()).await
}

/// Changes a host's name, description and labels.
#[server(name = UpdateHostFn, prefix = "/api", endpoint = "update_host")]
pub async fn update_host(
    workspace_id: i64,
    id: i64,
    name: String,
    description: Option<String>,
    labels: Option<String>,
) -> Result<(), AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let changes = super::validate::changes(
        &name,
        description.as_deref().unwrap_or_default(),
        labels.as_deref().unwrap_or_default(),
    )?;
    hosts_service()?
        .update(&scope, id, changes, &auth::client())
        .await
}

/// Replaces a host's credential. Needs sudo mode.
#[server(name = ReplaceHostCredentialsFn, prefix = "/api", endpoint = "replace_host_credentials")]
pub async fn replace_host_credentials(
    workspace_id: i64,
    id: i64,
    secret: String,
) -> Result<(), AppError> {
    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    scope.require(crate::workspaces::roles::Action::ManageResources)?;
    auth::require_sudo(&state)?;
    let secret = super::validate::secret("secret", "credential", &secret)?;
    hosts_service()?
        .replace_credentials(&scope, id, secret, &auth::client())
        .await
}

/// Tests the connection to a host now and returns what it found.
#[server(name = TestHostFn, prefix = "/api", endpoint = "test_host")]
pub async fn test_host(workspace_id: i64, id: i64) -> Result<HostDetail, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    hosts_service()?.test(&scope, id).await
}

#[server(name = DeleteHostFn, prefix = "/api", endpoint = "delete_host")]
pub async fn delete_host(workspace_id: i64, id: i64) -> Result<(), AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    hosts_service()?.delete(&scope, id, &auth::client()).await
}
