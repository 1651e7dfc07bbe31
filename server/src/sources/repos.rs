//! Git repositories as sources: adding one (pinning an SSH server's host
//! key only if it is the one the operator confirmed), and listing its
//! refs with the stored credential through the [`git`](super::git) client.
//!
//! The stored address is the one `git clone` takes: the HTTPS URL, or
//! `ssh://user@host:port/path`, or `user@host:path` for a path relative to
//! the user's home. It is read back with the same rules that checked it.

use app::AppError;
use app::scope::Scope;
use app::sources::validate::{GitUrl, git_url};
use app::sources::{GitBranch, GitBranches, GitFacts, NewGit, NewGitRemote, SourceKind};

use super::git::{self, GitError, Refs, Remote};
use super::store::{self, Insert, SourceRow};
use super::{PASSWORD, PRIVATE_KEY, Sources, internal, name_taken};
use crate::hosts::check::CheckError;
use crate::hosts::ssh;
use crate::vault::Secret;

/// The address as stored, from its validated parts.
fn stored_url(user: &str, address: &str, path: &str) -> String {
    match (path.strip_prefix('/'), address.strip_suffix(":22")) {
        (None, Some(host)) => format!("{user}@{host}:{path}"),
        (Some(absolute), _) => format!("ssh://{user}@{address}/{absolute}"),
        // A relative path on another port has no scp-like form; git reads
        // `~/` after the host as the home folder.
        (None, None) => match path.strip_prefix("~/") {
            Some(home) => format!("ssh://{user}@{address}/~/{home}"),
            None => format!("ssh://{user}@{address}/~/{path}"),
        },
    }
}

/// `host:port` of a repository reached over SSH.
pub(super) fn ssh_address(row: &SourceRow) -> Option<String> {
    match git_url("url", &row.url) {
        Ok(GitUrl::Ssh { address, .. }) if row.kind() == SourceKind::Git => Some(address),
        _ => None,
    }
}

/// What a test keeps of a listing.
pub(super) fn facts(refs: &Refs) -> GitFacts {
    GitFacts {
        default_branch: refs.default_branch.clone(),
        head_commit: refs.head_commit.clone(),
        branch_count: i64::try_from(refs.branch_count).unwrap_or(i64::MAX),
    }
}

pub(super) fn branches(refs: Refs) -> GitBranches {
    GitBranches {
        default_branch: refs.default_branch,
        head_commit: refs.head_commit,
        branch_count: i64::try_from(refs.branch_count).unwrap_or(i64::MAX),
        branches: refs
            .branches
            .into_iter()
            .map(|branch| GitBranch {
                name: branch.name,
                commit: branch.commit,
            })
            .collect(),
    }
}

/// A failed host-key scan, on the address field of the git forms.
pub(super) fn scan_failed(error: CheckError) -> AppError {
    AppError::invalid("url", error.to_string())
}

/// A failed listing for the page: what went wrong, prefixed by its kind.
fn describe(error: &GitError) -> String {
    format!("{}: {error}", error.kind())
}

impl Sources {
    pub(super) async fn insert_git(&self, scope: &Scope, git: &NewGit) -> Result<i64, AppError> {
        let (url, username, secret, host_key) = match &git.remote {
            NewGitRemote::Https { url, account } => (
                url.clone(),
                account.as_ref().map(|account| account.username.clone()),
                account
                    .as_ref()
                    .map(|account| (PASSWORD, account.password.clone())),
                None,
            ),
            NewGitRemote::Ssh {
                address,
                user,
                path,
                private_key,
                host_key_fingerprint,
            } => {
                ssh::parse_private_key(&Secret::new(private_key.clone()))
                    .map_err(|message| AppError::invalid("private_key", message))?;
                let host_key =
                    ssh::key_matching(address, host_key_fingerprint, scan_failed).await?;
                (
                    stored_url(user, address, path),
                    Some(user.clone()),
                    Some((PRIVATE_KEY, private_key.clone())),
                    Some(host_key),
                )
            }
        };
        let insert = Insert {
            workspace_id: scope.workspace_id,
            name: &git.name,
            kind: SourceKind::Git,
            provider: git.provider,
            url: &url,
            username: username.as_deref(),
            description: &git.description,
            host_key: host_key.as_deref(),
            api_url: None,
            created_by: scope.user_id,
        };
        store::insert(&self.db, insert, |id| {
            secret
                .as_ref()
                .map(|(name, value)| self.seal(id, name, value))
        })
        .await
        .map_err(internal)?
        .ok_or_else(|| name_taken(&git.name))
    }

    /// Lists the row's refs; a failure in words for the page.
    pub(super) async fn list_refs(&self, row: &SourceRow) -> Result<Refs, String> {
        let unreadable = || format!("The stored address {:?} cannot be read.", row.url);
        match git_url("url", &row.url).map_err(|_| unreadable())? {
            GitUrl::Https(url) => {
                let url = url::Url::parse(&url).map_err(|_| unreadable())?;
                let password = self
                    .secret(row, PASSWORD)
                    .map_err(|error| error.to_string())?;
                let account = match (&row.username, &password) {
                    (Some(username), Some(password)) => Some((username.as_str(), password)),
                    _ => None,
                };
                git::list_refs(Remote::Https { url: &url, account }).await
            }
            GitUrl::Ssh {
                user,
                address,
                path,
            } => {
                let Some(private_key) = self
                    .secret(row, PRIVATE_KEY)
                    .map_err(|error| error.to_string())?
                else {
                    return Err("No private key is stored for this repository.".into());
                };
                let host_key = row.host_key.as_deref().unwrap_or_default();
                git::list_refs(Remote::Ssh {
                    address: &address,
                    user: &user,
                    path: &path,
                    host_key,
                    private_key: &private_key,
                })
                .await
            }
        }
        .map_err(|error| describe(&error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_addresses_read_back_to_the_same_parts() {
        for (user, address, path) in [
            ("git", "github.com:22", "acme/app.git"),
            ("git", "example.com:2222", "/srv/git/app.git"),
            ("deploy", "example.com:22", "/srv/app.git"),
        ] {
            let stored = stored_url(user, address, path);
            assert_eq!(
                git_url("url", &stored).unwrap(),
                GitUrl::Ssh {
                    user: user.into(),
                    address: address.into(),
                    path: path.into()
                },
                "{stored}"
            );
        }
        let stored = stored_url("git", "example.com:2222", "app.git");
        assert_eq!(stored, "ssh://git@example.com:2222/~/app.git");
        let GitUrl::Ssh { path, .. } = git_url("url", &stored).unwrap() else {
            panic!("{stored} is an SSH address");
        };
        assert_eq!(path, "~/app.git");
    }
}
