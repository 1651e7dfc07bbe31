//! The sources context: where the images and code that services deploy
//! come from. Container registries of a workspace, their sealed passwords
//! or tokens, sign-in tests, and browsing their repositories and tags with
//! digests through the [`registry`] client (here); git repositories over
//! HTTPS or SSH (with a pinned host key), tested and listed by branch
//! through the [`git`] client (`repos`). Docker Hub, GHCR and GitLab have
//! no catalogue; their repositories are listed through their vendors'
//! APIs by [`listing`].
//!
//! A password, token or private key is sealed by the vault as a JSON map
//! bound to (`sources`, `credentials`, id) and only ever opened here, to
//! make the outside call; no method returns it.
//!
//! Known gap: Caveman connects to whatever address an admin gives;
//! keeping admins of a shared installation away from its internal network
//! (an egress policy) is not built yet.

pub mod git;
pub mod listing;
pub mod registry;
mod repos;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use app::AppError;
use app::auth::Client;
use app::scope::Scope;
use app::sources::{
    GitBranches, NewGit, NewRegistry, NewSourceCredentials, PAGE_SIZE, Provider, Repositories,
    SourceChanges, SourceDetail, SourceKind, SourceStatus, SourceSummary, SourcesService,
    TagDigest, TagPage,
};
use app::workspaces::roles::Action;
use serde_json::json;

use self::registry::{Credentials, Registry, RegistryError, RepositoryName, Tag};
use self::store::{CheckOutcome, Insert, SourceRow, Updated};
use crate::audit;
use crate::db::Database;
use crate::vault::{Location, Secret, Vault, VaultError};

/// Sources one workspace may hold, to bound what a single admin can store.
const MAX_SOURCES: i64 = 200;
/// Tags resolved to digests at once for one page: enough to fill a page
/// quickly, few enough not to look like a flood to the registry.
const RESOLVE_CONCURRENCY: usize = 4;
/// How long resolving one page of tags may take in all (each lookup has
/// the client's own 10 s deadline).
const TAGS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);
/// The names of the secrets in the sealed map: a registry's or an HTTPS
/// repository's password or token, an SSH repository's private key.
const PASSWORD: &str = "password";
const PRIVATE_KEY: &str = "private_key";

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
fn registry_name(provider: Provider, typed: &str) -> String {
    if provider == Provider::DockerHub && !typed.contains('/') {
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

    /// Seals one secret, named `name`, for row `id`.
    fn seal(&self, id: i64, name: &str, secret: &str) -> Vec<u8> {
        let map = BTreeMap::from([(name, secret)]);
        self.vault.encrypt_json(&map, location(&id.to_string()))
    }

    /// Opens the row's secret named `name`; `None` when it stores none.
    fn secret(&self, row: &SourceRow, name: &str) -> Result<Option<Secret<String>>, AppError> {
        let Some(sealed) = &row.credentials else {
            return Ok(None);
        };
        let opened: Result<BTreeMap<String, String>, VaultError> = self
            .vault
            .decrypt_json(sealed, location(&row.id.to_string()));
        let mut map = opened.map_err(|error| {
            // Never an empty credential: the operator learns which key is
            // missing.
            tracing::error!(source.id = row.id, %error, "cannot open a source's credential");
            AppError::Upstream {
                message: format!("Cannot decrypt the stored credential: {error}"),
            }
        })?;
        Ok(map.remove(name).map(Secret::new))
    }

    /// The row's registry account; `None` for anonymous access.
    fn account(&self, row: &SourceRow) -> Result<Option<Credentials>, AppError> {
        Ok(match (&row.username, self.secret(row, PASSWORD)?) {
            (Some(username), Some(password)) => Some(Credentials {
                username: username.clone(),
                password,
            }),
            _ => None,
        })
    }

    /// A client for the row's registry, signed in with its account.
    fn client(&self, row: &SourceRow) -> Result<Registry, AppError> {
        if row.kind() != SourceKind::Registry {
            return Err(AppError::invalid(
                "id",
                "This source is a git repository, not a container registry.",
            ));
        }
        let url = url::Url::parse(&row.url).map_err(|_| AppError::Upstream {
            message: format!("The stored address {:?} is not a URL.", row.url),
        })?;
        Registry::new(url, self.account(row)?).map_err(|error| AppError::Upstream {
            message: describe(&error),
        })
    }

    /// A page of a catalogue-less registry's repositories through its
    /// vendor's API; `last` is the page number. Without an API address or
    /// an account there is nothing to list with, and the page says so.
    async fn listed_by_vendor(
        &self,
        row: &SourceRow,
        last: Option<String>,
    ) -> Result<Repositories, AppError> {
        let provider = row.provider();
        let label = provider.label(SourceKind::Registry);
        let Some(api) = &row.api_url else {
            return Ok(Repositories::NoCatalogue {
                why: format!(
                    "{label} has no catalogue, and this registry was added without the address \
                     of the API that lists its repositories: enter a repository name."
                ),
            });
        };
        let Some(account) = self.account(row)? else {
            return Ok(Repositories::NoCatalogue {
                why: format!(
                    "{label} lists the repositories of an account, and this registry is used \
                     anonymously: enter a repository name."
                ),
            });
        };
        let page = match last.as_deref() {
            None => 1,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|page| (2..=listing::MAX_PAGE).contains(page))
                .ok_or_else(|| AppError::invalid("last", "That is not a page of this list."))?,
        };
        let api = url::Url::parse(api).map_err(|_| AppError::Upstream {
            message: format!("The stored API address {api:?} is not a URL."),
        })?;
        match listing::page(provider, &api, &account, page, PAGE_SIZE).await {
            Ok(listed) => Ok(Repositories::Listed {
                names: listed
                    .names
                    .iter()
                    .map(|name| name.as_str().to_string())
                    .collect(),
                next: listed.next.map(|page| page.to_string()),
            }),
            Err(RegistryError::NoCatalog(why)) => Ok(Repositories::NoCatalogue { why }),
            // Not a name the operator typed: the saved API address is wrong
            // (GitHub Enterprise's lacks `/api/v3`), or the list changed.
            Err(error @ RegistryError::NotFound(_)) => Err(AppError::Upstream {
                message: format!("{} (listing API {api})", describe(&error)),
            }),
            Err(error) => Err(browse_failed(error, "repository")),
        }
    }

    async fn require_room(&self, scope: &Scope) -> Result<(), AppError> {
        let count = store::count(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        if count >= MAX_SOURCES {
            return Err(AppError::Conflict {
                message: format!("A workspace holds at most {MAX_SOURCES} sources."),
            });
        }
        Ok(())
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
        self.require_room(scope).await?;
        let insert = Insert {
            workspace_id: scope.workspace_id,
            name: &registry.name,
            kind: SourceKind::Registry,
            provider: registry.provider,
            url: &registry.url,
            username: registry.account.as_ref().map(|a| a.username.as_str()),
            description: &registry.description,
            host_key: None,
            api_url: registry.api_url.as_deref(),
            created_by: scope.user_id,
        };
        let password = registry.account.as_ref().map(|a| a.password.as_str());
        let id = store::insert(&self.db, insert, |id| {
            password.map(|password| self.seal(id, PASSWORD, password))
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

    async fn replace_credentials(
        &self,
        scope: &Scope,
        id: i64,
        sent: NewSourceCredentials,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::ManageResources)?;
        let row = self.row(scope, id).await?;
        let (username, sealed) = if row.host_key.is_some() {
            // A git repository over SSH: a new key for the same user.
            let Some(private_key) = &sent.private_key else {
                return Err(AppError::invalid(
                    "private_key",
                    "Paste the new private key for this repository.",
                ));
            };
            crate::hosts::ssh::parse_private_key(&Secret::new(private_key.clone()))
                .map_err(|message| AppError::invalid("private_key", message))?;
            (
                row.username.clone(),
                Some(self.seal(id, PRIVATE_KEY, private_key)),
            )
        } else {
            if sent.private_key.is_some() {
                return Err(AppError::invalid(
                    "private_key",
                    "This source signs in with a username and password, not a key.",
                ));
            }
            let account = sent.account.as_ref();
            (
                account.map(|account| account.username.clone()),
                account.map(|account| self.seal(id, PASSWORD, &account.password)),
            )
        };
        if !store::set_account(
            &self.db,
            scope.workspace_id,
            id,
            username.as_deref(),
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
        let (result, facts) = match row.kind() {
            SourceKind::Registry => {
                let result = match self.client(&row) {
                    Ok(registry) => registry.ping().await.map_err(|error| describe(&error)),
                    Err(error) => Err(error.to_string()),
                };
                (result, None)
            }
            SourceKind::Git => match self.list_refs(&row).await {
                Ok(refs) => (Ok(()), Some(repos::facts(&refs))),
                Err(message) => (Err(message), None),
            },
        };
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status, error) = match &result {
            Ok(()) => (SourceStatus::Reachable, None),
            Err(message) => {
                tracing::info!(source.id = id, error = %message, "source test failed");
                (SourceStatus::Unreachable, Some(message.as_str()))
            }
        };
        let outcome = CheckOutcome {
            status,
            latency_ms,
            error,
            facts: facts.as_ref(),
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
            audit::Action::SourceDeleted,
            json!({ "source": id, "name": row.name }),
            client,
        )
        .await
    }

    async fn create_git(
        &self,
        scope: &Scope,
        git: NewGit,
        client: &Client,
    ) -> Result<i64, AppError> {
        scope.require(Action::ManageResources)?;
        self.require_room(scope).await?;
        let id = self.insert_git(scope, &git).await?;
        self.audit(
            scope,
            audit::Action::SourceCreated,
            json!({ "source": id, "name": git.name, "kind": "git", "provider": git.provider.as_str() }),
            client,
        )
        .await?;
        Ok(id)
    }

    async fn pin_host_key(
        &self,
        scope: &Scope,
        id: i64,
        fingerprint: &str,
        client: &Client,
    ) -> Result<SourceDetail, AppError> {
        scope.require(Action::ManageResources)?;
        let row = self.row(scope, id).await?;
        let previous = row.detail().host_key_fingerprint;
        let Some(address) = repos::ssh_address(&row).filter(|_| previous.is_some()) else {
            return Err(AppError::invalid(
                "host_key_fingerprint",
                "Only a git repository reached over SSH has a host key.",
            ));
        };
        let key =
            crate::hosts::ssh::key_matching(&address, fingerprint, repos::scan_failed).await?;
        if !store::set_host_key(&self.db, scope.workspace_id, id, &key)
            .await
            .map_err(internal)?
        {
            return Err(not_found());
        }
        self.audit(
            scope,
            audit::Action::SourceHostKeyPinned,
            json!({ "source": id, "name": row.name, "fingerprint": fingerprint, "previous": previous }),
            client,
        )
        .await?;
        Ok(self.row(scope, id).await?.detail())
    }

    async fn branches(&self, scope: &Scope, id: i64) -> Result<GitBranches, AppError> {
        scope.require(Action::View)?;
        let row = self.row(scope, id).await?;
        if row.kind() != SourceKind::Git {
            return Err(AppError::invalid(
                "id",
                "This source is a container registry, not a git repository.",
            ));
        }
        let refs = self
            .list_refs(&row)
            .await
            .map_err(|message| AppError::Upstream { message })?;
        Ok(repos::branches(refs))
    }

    async fn repositories(
        &self,
        scope: &Scope,
        id: i64,
        last: Option<String>,
    ) -> Result<Repositories, AppError> {
        scope.require(Action::View)?;
        let row = self.row(scope, id).await?;
        let registry = self.client(&row)?;
        if row.provider() != Provider::Generic {
            // Their `_catalog` is refused or absent (specs/registries.md).
            return self.listed_by_vendor(&row, last).await;
        }
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
        let tags = tokio::time::timeout(TAGS_DEADLINE, resolve_all(&registry, &name, &page.items))
            .await
            .map_err(|_| AppError::Upstream {
                message: format!(
                    "Timed out: the registry did not resolve this page's tags within {} seconds.",
                    TAGS_DEADLINE.as_secs()
                ),
            })?;
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
        assert_eq!(registry_name(Provider::DockerHub, "nginx"), "library/nginx");
        assert_eq!(
            registry_name(Provider::DockerHub, "bitnami/redis"),
            "bitnami/redis"
        );
        assert_eq!(registry_name(Provider::Generic, "app"), "app");
        assert_eq!(registry_name(Provider::Ghcr, "octo/app"), "octo/app");
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
