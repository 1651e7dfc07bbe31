//! The hosts context: Docker engines, Fly.io organisations and RunPod
//! accounts of a workspace, their sealed credentials and connection tests.
//!
//! Credentials are sealed by the vault as a JSON map bound to
//! (`hosts`, `credentials`, id) and are only ever opened here, to make an
//! outside call; no method returns them.
//!
//! Known gap: Docker hosts are reached through local unix sockets only;
//! TCP with mutual TLS and SSH are not built yet, so the add form does
//! not offer them.

pub mod check;
pub mod docker;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use app::AppError;
use app::auth::Client;
use app::hosts::{
    HostChanges, HostDetail, HostStatus, HostSummary, HostsService, NewHost, NewTarget,
};
use app::scope::Scope;
use app::workspaces::roles::Action;
use serde_json::json;

use self::check::{CheckError, Checker};
use self::store::{CheckOutcome, Endpoint, HostRow, Insert, Updated};
use crate::audit::{self, Event};
use crate::db::Database;
use crate::vault::{Location, Secret, Vault, VaultError};

/// Hosts one workspace may hold, to bound what a single admin can store.
const MAX_HOSTS: usize = 200;

#[derive(Debug, Clone)]
pub struct Hosts {
    db: Database,
    vault: Arc<Vault>,
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

/// The key of the one secret each kind stores in its credentials map.
const SECRET_KEY: &str = "token";

fn location(row: &str) -> Location<'_> {
    Location {
        table: "hosts",
        column: "credentials",
        row,
    }
}

impl Hosts {
    pub fn new(db: Database, vault: Arc<Vault>, checker: Checker) -> Self {
        Hosts { db, vault, checker }
    }

    fn seal(&self, id: i64, secret: &str) -> Vec<u8> {
        let map = BTreeMap::from([(SECRET_KEY, secret)]);
        self.vault.encrypt_json(&map, location(&id.to_string()))
    }

    /// The host's credential, opened; `None` when it has none.
    fn open(&self, row: &HostRow) -> Result<Option<Secret<String>>, VaultError> {
        let Some(sealed) = &row.credentials else {
            return Ok(None);
        };
        let id = row.id.to_string();
        let json = self.vault.decrypt(sealed, location(&id))?;
        let mut map: BTreeMap<String, String> =
            serde_json::from_slice(json.expose()).map_err(|_| VaultError::Json)?;
        Ok(map.remove(SECRET_KEY).map(Secret::new))
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
        audit::record(
            &self.db,
            Event {
                action,
                workspace_id: Some(scope.workspace_id),
                actor_id: Some(scope.user_id),
                actor_email: None,
                detail,
                client,
            },
        )
        .await
        .map_err(internal)
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
        let (endpoint, secret) = match &host.target {
            NewTarget::Docker { socket_path } => {
                if !self.checker.allows_socket(socket_path) {
                    return Err(AppError::invalid(
                        "socket_path",
                        "This installation does not allow that socket. The operator lists the \
                         sockets workspaces may use in CAVEMAN_DOCKER_SOCKETS.",
                    ));
                }
                let endpoint = Endpoint {
                    socket_path: Some(socket_path.clone()),
                    ..Endpoint::default()
                };
                (endpoint, None)
            }
            NewTarget::Fly {
                org_slug,
                api_token,
            } => {
                let endpoint = Endpoint {
                    org_slug: Some(org_slug.clone()),
                    ..Endpoint::default()
                };
                (endpoint, Some(Secret::new(api_token.clone())))
            }
            NewTarget::Runpod { api_key } => {
                (Endpoint::default(), Some(Secret::new(api_key.clone())))
            }
        };
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
            secret.as_ref().map(|secret| self.seal(id, secret.expose()))
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
        secret: String,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::ManageResources)?;
        let secret = Secret::new(secret);
        let row = self.row(scope, id).await?;
        if row.kind().secret_label().is_none() {
            return Err(AppError::invalid(
                "secret",
                "A Docker engine on a local socket has no credential to replace.",
            ));
        }
        let sealed = self.seal(id, secret.expose());
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

    async fn test(&self, scope: &Scope, id: i64) -> Result<HostDetail, AppError> {
        scope.require(Action::View)?;
        let row = self.row(scope, id).await?;
        let outcome = match self.open(&row) {
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
            Ok(secret) => {
                let (result, elapsed) = self
                    .checker
                    .check(row.kind(), &row.endpoint(), secret.as_ref())
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
        CheckError::TooOld(_) => "API version too old",
        CheckError::Protocol(_) => "Unexpected reply",
        CheckError::NotAllowed(_) => "Not allowed",
    };
    format!("{kind}: {error}")
}
