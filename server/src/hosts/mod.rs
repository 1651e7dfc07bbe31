//! The hosts context: Docker engines (on a local socket, over TCP with
//! mutual TLS, or over SSH), Fly.io organisations and RunPod accounts of a
//! workspace, their sealed credentials and connection tests.
//!
//! Credentials are sealed by the vault as a JSON map bound to
//! (`hosts`, `credentials`, id) and are only ever opened here, to make an
//! outside call; no method returns them. An SSH host's key is pinned when
//! the host is added and again only when an admin confirms a new one.

pub mod check;
pub mod credentials;
pub mod docker;
pub mod ssh;
pub mod store;
pub mod tls;

use std::sync::Arc;

use app::AppError;
use app::auth::Client;
use app::hosts::{
    HostChanges, HostDetail, HostStatus, HostSummary, HostsService, NewCredentials, NewHost,
    NewTarget, ScannedHostKey,
};
use app::scope::Scope;
use app::workspaces::roles::Action;
use serde_json::json;

use self::check::{CheckError, Checker};
use self::store::{CheckOutcome, HostRow, Insert, Updated};
use crate::audit;
use crate::db::Database;

/// Hosts one workspace may hold, to bound what a single admin can store.
const MAX_HOSTS: usize = 200;

#[derive(Debug, Clone)]
pub struct Hosts {
    db: Database,
    vault: Arc<crate::vault::Vault>,
    checker: Checker,
}

fn internal(error: sqlx::Error) -> AppError {
    AppError::internal(&error)
}

fn not_found() -> AppError {
    AppError::NotFound {
        what: "The host".into(),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid(
        "name",
        format!("This workspace already has a host named {name:?}."),
    )
}

/// A failed scan or pin, on the field the operator typed the address in.
fn scan_failed(error: &CheckError) -> AppError {
    AppError::invalid("address", describe(error))
}

impl Hosts {
    pub fn new(db: Database, vault: Arc<crate::vault::Vault>, checker: Checker) -> Self {
        Hosts { db, vault, checker }
    }

    async fn row(&self, scope: &Scope, id: i64) -> Result<HostRow, AppError> {
        store::get(&self.db, scope.workspace_id, id)
            .await
            .map_err(internal)?
            .ok_or_else(not_found)
    }

    async fn audit(
        &self,
        scope: &Scope,
        action: audit::Action,
        detail: serde_json::Value,
        client: &Client,
    ) -> Result<(), AppError> {
        audit::record_in_scope(&self.db, scope, action, detail, client).await
    }
}

#[async_trait::async_trait]
impl HostsService for Hosts {
    async fn list(&self, scope: &Scope) -> Result<Vec<HostSummary>, AppError> {
        scope.require(Action::View)?;
        let rows = store::list(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        Ok(rows.iter().map(HostRow::summary).collect())
    }

    async fn detail(&self, scope: &Scope, id: i64) -> Result<HostDetail, AppError> {
        scope.require(Action::View)?;
        Ok(self.row(scope, id).await?.detail())
    }

    async fn create(&self, scope: &Scope, host: NewHost, client: &Client) -> Result<i64, AppError> {
        scope.require(Action::ManageResources)?;
        let count = store::list(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?
            .len();
        if count >= MAX_HOSTS {
            return Err(AppError::Conflict {
                message: format!("A workspace holds at most {MAX_HOSTS} hosts."),
            });
        }
        let kind = host.target.kind();
        let (mut endpoint, secrets) = credentials::from_target(&host.target)?;
        match &host.target {
            NewTarget::Docker { socket_path } if !self.checker.allows_socket(socket_path) => {
                return Err(AppError::invalid(
                    "socket_path",
                    "This installation does not allow that socket. The operator lists the \
                     sockets workspaces may use in CAVEMAN_DOCKER_SOCKETS.",
                ));
            }
            NewTarget::DockerSsh {
                address,
                host_key_fingerprint,
                ..
            } => {
                endpoint.host_key = Some(
                    ssh::key_matching(address, host_key_fingerprint, |error| scan_failed(&error))
                        .await?,
                );
            }
            _ => {}
        }
        let insert = Insert {
            workspace_id: scope.workspace_id,
            name: &host.name,
            kind,
            endpoint: &endpoint,
            description: &host.description,
            labels: &host.labels,
            created_by: scope.user_id,
        };
        let id = store::insert(&self.db, insert, |id| {
            (!secrets.is_empty()).then(|| secrets.seal(&self.vault, id))
        })
        .await
        .map_err(internal)?
        .ok_or_else(|| name_taken(&host.name))?;
        self.audit(
            scope,
            audit::Action::HostCreated,
            json!({ "host": id, "name": host.name, "kind": kind.as_str() }),
            client,
        )
        .await?;
        Ok(id)
    }

    async fn update(
        &self,
        scope: &Scope,
        id: i64,
        changes: HostChanges,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::ManageResources)?;
        let updated = store::update(
            &self.db,
            scope.workspace_id,
            id,
            &changes.name,
            &changes.description,
            &changes.labels,
        )
        .await
        .map_err(internal)?;
        match updated {
            Updated::Done => {}
            Updated::NotFound => return Err(not_found()),
            Updated::NameTaken => return Err(name_taken(&changes.name)),
        }
        self.audit(
            scope,
            audit::Action::HostChanged,
            json!({ "host": id, "name": changes.name }),
            client,
        )
        .await
    }

    async fn replace_credentials(
        &self,
        scope: &Scope,
        id: i64,
        sent: NewCredentials,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::ManageResources)?;
        let row = self.row(scope, id).await?;
        let secrets = credentials::replacement(row.credential_kind(), &sent)?;
        let sealed = secrets.seal(&self.vault, id);
        if !store::set_credentials(&self.db, scope.workspace_id, id, &sealed)
            .await
            .map_err(internal)?
        {
            return Err(not_found());
        }
        self.audit(
            scope,
            audit::Action::HostCredentialsReplaced,
            json!({ "host": id, "name": row.name }),
            client,
        )
        .await
    }

    async fn scan_host_key(
        &self,
        scope: &Scope,
        address: &str,
    ) -> Result<ScannedHostKey, AppError> {
        scope.require(Action::ManageResources)?;
        let scanned = self
            .checker
            .scan_host_key(address)
            .await
            .map_err(|error| scan_failed(&error))?;
        Ok(ScannedHostKey {
            address: address.to_string(),
            fingerprint: scanned.fingerprint,
            algorithm: scanned.algorithm,
        })
    }

    async fn pin_host_key(
        &self,
        scope: &Scope,
        id: i64,
        fingerprint: &str,
        client: &Client,
    ) -> Result<HostDetail, AppError> {
        scope.require(Action::ManageResources)?;
        let row = self.row(scope, id).await?;
        let mut endpoint = row.endpoint();
        let Some(address) = endpoint
            .address
            .clone()
            .filter(|_| row.credential_kind() == app::hosts::CredentialKind::SshKey)
        else {
            return Err(AppError::invalid(
                "host_key_fingerprint",
                "Only a Docker engine reached over SSH has a host key.",
            ));
        };
        let previous = row.detail().host_key_fingerprint;
        endpoint.host_key =
            Some(ssh::key_matching(&address, fingerprint, |error| scan_failed(&error)).await?);
        if !store::set_endpoint(&self.db, scope.workspace_id, id, &endpoint)
            .await
            .map_err(internal)?
        {
            return Err(not_found());
        }
        self.audit(
            scope,
            audit::Action::HostKeyPinned,
            json!({ "host": id, "name": row.name, "fingerprint": fingerprint, "previous": previous }),
            client,
        )
        .await?;
        Ok(self.row(scope, id).await?.detail())
    }

    async fn test(&self, scope: &Scope, id: i64) -> Result<HostDetail, AppError> {
        scope.require(Action::View)?;
        let row = self.row(scope, id).await?;
        let outcome = match credentials::open(&self.vault, id, row.credentials.as_deref()) {
            Err(error) => {
                // Never an empty credential: the operator learns which key
                // is missing.
                tracing::error!(host.id = id, %error, "cannot open a host's credential");
                CheckOutcome {
                    status: HostStatus::Unreachable,
                    latency_ms: 0,
                    facts: None,
                    error: Some(format!("Cannot decrypt the stored credential: {error}")),
                }
            }
            Ok(opened) => {
                let (result, elapsed) = self
                    .checker
                    .check(row.kind(), &row.endpoint(), &opened)
                    .await;
                let latency_ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
                match result {
                    Ok(facts) => CheckOutcome {
                        status: HostStatus::Reachable,
                        latency_ms,
                        facts: Some(facts),
                        error: None,
                    },
                    Err(error) => {
                        tracing::info!(host.id = id, error = %error, "host connection test failed");
                        CheckOutcome {
                            status: HostStatus::Unreachable,
                            latency_ms,
                            facts: None,
                            error: Some(describe(&error)),
                        }
                    }
                }
            }
        };
        store::record_check(&self.db, scope.workspace_id, id, &outcome)
            .await
            .map_err(internal)?;
        Ok(self.row(scope, id).await?.detail())
    }

    async fn delete(&self, scope: &Scope, id: i64, client: &Client) -> Result<(), AppError> {
        scope.require(Action::ManageResources)?;
        let row = self.row(scope, id).await?;
        if !store::delete(&self.db, scope.workspace_id, id)
            .await
            .map_err(internal)?
        {
            return Err(not_found());
        }
        self.audit(
            scope,
            audit::Action::HostDeleted,
            json!({ "host": id, "name": row.name }),
            client,
        )
        .await
    }
}

/// A failed test for the page: what went wrong, prefixed by its kind.
fn describe(error: &CheckError) -> String {
    let kind = match error {
        CheckError::Unreachable(_) => "Unreachable",
        CheckError::Timeout => "Timed out",
        CheckError::Tls(_) => "TLS failure",
        CheckError::BadCredentials(_) => "Bad credentials",
        CheckError::NotFound(_) => "Not found",
        CheckError::HostKeyMismatch(_) => "Host key mismatch",
        CheckError::TooOld(_) => "API version too old",
        CheckError::Protocol(_) => "Unexpected reply",
        CheckError::NotAllowed(_) => "Not allowed",
    };
    format!("{kind}: {error}")
}
