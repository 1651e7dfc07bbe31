//! The sources context: where the images that services deploy come from.
//! Container registries of a workspace, their sealed passwords or tokens,
//! sign-in tests, and browsing their repositories and tags with digests
//! through the [`registry`] client.
//!
//! A password is sealed by the vault as a JSON map bound to
//! (`sources`, `credentials`, id) and only ever opened here, to call the
//! registry; no method returns it.
//!
//! Known gaps: git repositories are not built yet. Docker Hub, GHCR and
//! GitLab have no catalogue; listing their repositories through the
//! vendors' own APIs is not built yet, so their repositories are browsed
//! by name.

pub mod registry;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use app::AppError;
use app::auth::Client;
use app::scope::Scope;
use app::sources::{
    NewRegistry, PAGE_SIZE, RegistryAccount, RegistryProvider, Repositories, SourceChanges,
    SourceDetail, SourceStatus, SourceSummary, SourcesService, TagDigest, TagPage,
};
use app::workspaces::roles::Action;
use serde_json::json;

use self::registry::{Credentials, Registry, RegistryError, RepositoryName, Tag};
use self::store::{Insert, SourceRow, Updated};
use crate::audit;
use crate::db::Database;
use crate::vault::{Location, Secret, Vault, VaultError};

/// Sources one workspace may hold, to bound what a single admin can store.
const MAX_SOURCES: i64 = 200;
/// Tags resolved to digests at once for one page: enough to fill a page
/// quickly, few enough not to look like a flood to the registry.
const RESOLVE_CONCURRENCY: usize = 4;
/// The name of the secret in the sealed map.
const PASSWORD: &str = "password";

#[derive(Debug, Clone)]
pub struct Sources {
    db: Database,
    vault: Arc<Vault>,
}

fn internal(error: sqlx::Error) -> AppError {
    AppError::internal(&error)
}

fn not_found() -> AppError {
    AppError::NotFound {
        what: "The source".into(),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid(
        "name",
        format!("This workspace already has a source named {name:?}."),
    )
}

fn location(row: &str) -> Location<'_> {
    Location {
        table: "sources",
        column: "credentials",
        row,
    }
}

/// A failed test for the page: what went wrong, prefixed by its kind.
fn describe(error: &RegistryError) -> String {
    let kind = match error {
        RegistryError::Unreachable(_) => "Unreachable",
        RegistryError::Timeout => "Timed out",
        RegistryError::Tls(_) => "TLS failure",
        RegistryError::BadCredentials(_) => "Bad credentials",
        RegistryError::Denied(_) => "Denied",
        RegistryError::NotFound(_) => "Not found",
        RegistryError::RateLimited { .. } => "Rate limited",
        RegistryError::NoCatalog(_) => "No catalogue",
        RegistryError::Invalid(_) => "Invalid",
        RegistryError::Protocol(_) => "Unexpected reply",
    };
    format!("{kind}: {error}")
}

/// A registry failure while browsing, for the page: a name the operator
/// typed that the registry does not know is a mistake on that field.
fn browse_failed(error: RegistryError, field: &str) -> AppError {
    match error {
        RegistryError::NotFound(message) | RegistryError::Invalid(message) => {
            AppError::invalid(field, message)
        }
        RegistryError::RateLimited { retry_after, .. } => AppError::RateLimited {
            retry_after_secs: retry_after.map_or(60, |after| after.as_secs().max(1)),
        },
        other => AppError::Upstream {
            message: describe(&other),
        },
    }
}

/// Docker Hub's official images live under `library/`, which `docker pull
/// nginx` adds silently; so does this.
fn registry_name(provider: RegistryProvider, typed: &str) -> String {
    if provider == RegistryProvider::DockerHub && !typed.contains('/') {
        format!("library/{typed}")
    } else {
        typed.to_string()
    }
}

impl Sources {
    pub fn new(db: Database, vault: Arc<Vault>) -> Self {
        Sources { db, vault }
    }

    async fn row(&self, scope: &Scope, id: i64) -> Result<SourceRow, AppError> {
        store::get(&self.db, scope.workspace_id, id)
            .await
            .map_err(internal)?
            .ok_or_else(not_found)
    }

    fn seal(&self, id: i64, password: &str) -> Vec<u8> {
        let map = BTreeMap::from([(PASSWORD, password)]);
        self.vault.encrypt_json(&map, location(&id.to_string()))
    }

    fn open(&self, row: &SourceRow) -> Result<Option<Credentials>, VaultError> {
        let (Some(username), Some(sealed)) = (&row.username, &row.credentials) else {
            return Ok(None);
        };
        let mut map: BTreeMap<String, String> = self
            .vault
            .decrypt_json(sealed, location(&row.id.to_string()))?;
        let password = map.remove(PASSWORD).ok_or(VaultError::Json)?;
        Ok(Some(Credentials {
            username: username.clone(),
            password: Secret::new(password),
        }))
    }

    /// A client for the row's registry, signed in with its account.
    fn client(&self, row: &SourceRow) -> Result<Registry, AppError> {
        let credentials = self.open(row).map_err(|error| {
            // Never an empty password: the operator learns which key is
            // missing.
            tracing::error!(source.id = row.id, %error, "cannot open a source's credential");
            AppError::Upstream {
                message: format!("Cannot decrypt the stored password: {error}"),
            }
        })?;
        let url = url::Url::parse(&row.url).map_err(|_| AppError::Upstream {
            message: format!("The stored address {:?} is not a URL.", row.url),
        })?;
        Registry::new(url, credentials).map_err(|error| AppError::Upstream {
            message: describe(&error),
        })
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
impl SourcesService for Sources {
    async fn list(&self, scope: &Scope) -> Result<Vec<SourceSummary>, AppError> {
        scope.require(Action::View)?;
        let rows = store::list(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        Ok(rows.iter().map(SourceRow::summary).collect())
    }

    async fn detail(&self, scope: &Scope, id: i64) -> Result<SourceDetail, AppError> {
        scope.require(Action::View)?;
        Ok(self.row(scope, id).await?.detail())
    }

    async fn create_registry(
        &self,
        scope: &Scope,
        registry: NewRegistry,
        client: &Client,
    ) -> Result<i64, AppError> {
        scope.require(Action::ManageResources)?;
        let count = store::count(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        if count >= MAX_SOURCES {
            return Err(AppError::Conflict {
                message: format!("A workspace holds at most {MAX_SOURCES} sources."),
            });
        }
        let insert = Insert {
            workspace_id: scope.workspace_id,
            name: &registry.name,
            provider: registry.provider,
            url: &registry.url,
            username: registry.account.as_ref().map(|a| a.username.as_str()),
            description: &registry.description,
            created_by: scope.user_id,
        };
        let password = registry.account.as_ref().map(|a| a.password.as_str());
        let id = store::insert(&self.db, insert, |id| {
            password.map(|password| self.seal(id, password))
        })
        .await
        .map_err(internal)?
        .ok_or_else(|| name_taken(&registry.name))?;
        self.audit(
            scope,
            audit::Action::SourceCreated,
            json!({ "source": id, "name": registry.name, "provider": registry.provider.as_str() }),
            client,
        )
        .await?;
        Ok(id)
    }

    async fn update(
        &self,
        scope: &Scope,
        id: i64,
        changes: SourceChanges,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::ManageResources)?;
        let updated = store::update(
            &self.db,
            scope.workspace_id,
            id,
            &changes.name,
            &changes.description,
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
            audit::Action::SourceChanged,
            json!({ "source": id, "name": changes.name }),
            client,
        )
        .await
    }

    async fn replace_account(
        &self,
        scope: &Scope,
        id: i64,
        account: Option<RegistryAccount>,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::ManageResources)?;
        let row = self.row(scope, id).await?;
        let sealed = account
            .as_ref()
            .map(|account| self.seal(id, &account.password));
        let username = account.as_ref().map(|account| account.username.as_str());
        if !store::set_account(
            &self.db,
            scope.workspace_id,
            id,
            username,
            sealed.as_deref(),
        )
        .await
        .map_err(internal)?
        {
            return Err(not_found());
        }
        self.audit(
            scope,
            audit::Action::SourceCredentialsReplaced,
            json!({ "source": id, "name": row.name, "username": username }),
            client,
        )
        .await
    }

    async fn test(&self, scope: &Scope, id: i64) -> Result<SourceDetail, AppError> {
        scope.require(Action::View)?;
        let row = self.row(scope, id).await?;
        let started = Instant::now();
        let result = match self.client(&row) {
            Ok(registry) => registry.ping().await.map_err(|error| describe(&error)),
            Err(error) => Err(error.to_string()),
        };
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status, error) = match &result {
            Ok(()) => (SourceStatus::Reachable, None),
            Err(message) => {
                tracing::info!(source.id = id, error = %message, "registry test failed");
                (SourceStatus::Unreachable, Some(message.as_str()))
            }
        };
        store::record_check(&self.db, scope.workspace_id, id, status, latency_ms, error)
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
            audit::Action::SourceDeleted,
            json!({ "source": id, "name": row.name }),
            client,
        )
        .await
    }

    async fn repositories(
        &self,
        scope: &Scope,
        id: i64,
        last: Option<String>,
    ) -> Result<Repositories, AppError> {
        scope.require(Action::View)?;
        let row = self.row(scope, id).await?;
        let provider = row.provider();
        if provider != RegistryProvider::Generic {
            // Their `_catalog` is refused or absent (specs/registries.md).
            return Ok(Repositories::NoCatalogue {
                why: format!(
                    "{} has no catalogue, and listing its repositories through its own API \
                     is not built yet: enter a repository name.",
                    provider.label()
                ),
            });
        }
        let registry = self.client(&row)?;
        let last = last
            .map(|name| RepositoryName::parse(&name))
            .transpose()
            .map_err(|error| AppError::invalid("last", error.to_string()))?;
        match registry.repositories(PAGE_SIZE, last.as_ref()).await {
            Ok(page) => Ok(Repositories::Listed {
                names: page
                    .items
                    .iter()
                    .map(|name| name.as_str().to_string())
                    .collect(),
                next: page.next.map(|name| name.as_str().to_string()),
            }),
            Err(RegistryError::NoCatalog(why)) => Ok(Repositories::NoCatalogue { why }),
            Err(error) => Err(browse_failed(error, "repository")),
        }
    }

    async fn tags(
        &self,
        scope: &Scope,
        id: i64,
        repository: &str,
        last: Option<String>,
    ) -> Result<TagPage, AppError> {
        scope.require(Action::View)?;
        let row = self.row(scope, id).await?;
        let registry = self.client(&row)?;
        let name = RepositoryName::parse(&registry_name(row.provider(), repository))
            .map_err(|error| AppError::invalid("repository", error.to_string()))?;
        let last = last
            .map(|tag| Tag::parse(&tag))
            .transpose()
            .map_err(|error| AppError::invalid("last", error.to_string()))?;
        let page = registry
            .tags(&name, PAGE_SIZE, last.as_ref())
            .await
            .map_err(|error| browse_failed(error, "repository"))?;
        let tags = resolve_all(&registry, &name, &page.items).await;
        Ok(TagPage {
            repository: name.as_str().to_string(),
            tags,
            next: page.next.map(|tag| tag.as_str().to_string()),
        })
    }
}

/// Resolves each tag to its digest, a few at a time, keeping the page's
/// order; a tag that fails says why on its own row.
async fn resolve_all(registry: &Registry, name: &RepositoryName, tags: &[Tag]) -> Vec<TagDigest> {
    let mut rows = Vec::with_capacity(tags.len());
    for chunk in tags.chunks(RESOLVE_CONCURRENCY) {
        let mut resolving = tokio::task::JoinSet::new();
        for (index, tag) in chunk.iter().enumerate() {
            let (registry, name, tag) = (registry.clone(), name.clone(), tag.clone());
            resolving.spawn(async move { (index, registry.resolve(&name, &tag).await) });
        }
        let mut resolved: Vec<Option<Result<String, String>>> = vec![None; chunk.len()];
        while let Some(joined) = resolving.join_next().await {
            if let Ok((index, result)) = joined {
                resolved[index] = Some(
                    result
                        .map(|digest| digest.as_str().to_string())
                        .map_err(|error| describe(&error)),
                );
            }
        }
        for (tag, result) in chunk.iter().zip(resolved) {
            let result = result.unwrap_or_else(|| Err("The lookup stopped unexpectedly.".into()));
            rows.push(TagDigest {
                tag: tag.as_str().to_string(),
                digest: result.as_ref().ok().cloned(),
                error: result.err(),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_official_images_gain_their_library_prefix_and_nothing_else_does() {
        assert_eq!(
            registry_name(RegistryProvider::DockerHub, "nginx"),
            "library/nginx"
        );
        assert_eq!(
            registry_name(RegistryProvider::DockerHub, "bitnami/redis"),
            "bitnami/redis"
        );
        assert_eq!(registry_name(RegistryProvider::Generic, "app"), "app");
        assert_eq!(
            registry_name(RegistryProvider::Ghcr, "octo/app"),
            "octo/app"
        );
    }

    #[test]
    fn a_failed_lookup_of_a_typed_name_lands_on_its_field() {
        let error = browse_failed(RegistryError::NotFound("no tag v9".into()), "repository");
        assert_eq!(error, AppError::invalid("repository", "no tag v9"));
        let error = browse_failed(
            RegistryError::BadCredentials("refused".into()),
            "repository",
        );
        assert_eq!(
            error,
            AppError::Upstream {
                message: "Bad credentials: refused".into()
            }
        );
    }
}
