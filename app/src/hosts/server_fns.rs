//! Server functions for hosts. Reads act in the session's current
//! workspace; changes name the workspace they act on, so that an action
//! never lands elsewhere because the current workspace changed in another
//! tab. Roles are checked by the hosts context.

use leptos::prelude::*;

use super::{HostDetail, HostSummary, ScannedHostKey};
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

/// Adds a host; which fields are needed depends on `kind` and, for
/// Docker, `transport`. Returns its id.
#[server(name = AddHostFn, prefix = "/api", endpoint = "add_host")]
pub async fn add_host(
    workspace_id: i64,
    kind: String,
    transport: Option<String>,
    name: String,
    description: Option<String>,
    labels: Option<String>,
    socket_path: Option<String>,
    address: Option<String>,
    user: Option<String>,
    private_key: Option<String>,
    host_key_fingerprint: Option<String>,
    tls_ca: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    org_slug: Option<String>,
    secret: Option<String>,
) -> Result<i64, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let text = |value: &Option<String>| value.as_deref().unwrap_or_default().to_string();
    let form = super::validate::HostForm {
        kind: &kind,
        transport: &text(&transport),
        name: &name,
        description: &text(&description),
        labels: &text(&labels),
        socket_path: &text(&socket_path),
        address: &text(&address),
        user: &text(&user),
        private_key: &text(&private_key),
        host_key_fingerprint: &text(&host_key_fingerprint),
        tls_ca: &text(&tls_ca),
        tls_cert: &text(&tls_cert),
        tls_key: &text(&tls_key),
        org_slug: &text(&org_slug),
        secret: &text(&secret),
    };
    let host = super::validate::new_host(&form)?;
    hosts_service()?.create(&scope, host, &auth::client()).await
}

/// Reads the key an SSH server presents, so the operator can compare its
/// fingerprint before the host is added or its key pinned again.
#[server(name = ScanHostKeyFn, prefix = "/api", endpoint = "scan_host_key")]
pub async fn scan_host_key(workspace_id: i64, address: String) -> Result<ScannedHostKey, AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    let address = super::validate::address("address", &address, super::validate::DEFAULT_SSH_PORT)?;
    hosts_service()?.scan_host_key(&scope, &address).await
}

/// Pins the key an SSH host presents now, after its fingerprint was
/// confirmed; used when a host's key changed. Needs sudo mode.
#[server(name = PinHostKeyFn, prefix = "/api", endpoint = "pin_host_key")]
pub async fn pin_host_key(
    workspace_id: i64,
    id: i64,
    host_key_fingerprint: String,
) -> Result<HostDetail, AppError> {
    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    scope.require(crate::workspaces::roles::Action::ManageResources)?;
    auth::require_sudo(&state)?;
    let fingerprint = super::validate::fingerprint("host_key_fingerprint", &host_key_fingerprint)?;
    hosts_service()?
        .pin_host_key(&scope, id, &fingerprint, &auth::client())
        .await
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

/// Replaces a host's credential: `secret` for an API token or key,
/// `private_key` for SSH, the three `tls_*` texts for mutual TLS. Needs
/// sudo mode.
#[server(name = ReplaceHostCredentialsFn, prefix = "/api", endpoint = "replace_host_credentials")]
pub async fn replace_host_credentials(
    workspace_id: i64,
    id: i64,
    secret: Option<String>,
    private_key: Option<String>,
    tls_ca: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
) -> Result<(), AppError> {
    use super::validate;

    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    scope.require(crate::workspaces::roles::Action::ManageResources)?;
    auth::require_sudo(&state)?;
    let credentials = super::NewCredentials {
        secret: secret
            .map(|secret| validate::secret("secret", "credential", &secret))
            .transpose()?,
        private_key: private_key
            .map(|key| validate::pem("private_key", "private key", &key))
            .transpose()?,
        tls: match (tls_ca, tls_cert, tls_key) {
            (None, None, None) => None,
            (ca, cert, key) => Some(validate::tls_files(
                ca.as_deref().unwrap_or_default(),
                cert.as_deref().unwrap_or_default(),
                key.as_deref().unwrap_or_default(),
            )?),
        },
    };
    hosts_service()?
        .replace_credentials(&scope, id, credentials, &auth::client())
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
