//! The rules for source forms, shared by the browser and the server (which
//! enforces them). Each message names what to change.

use super::{
    NewGit, NewGitRemote, NewRegistry, NewSourceCredentials, Provider, SourceAccount,
    SourceChanges, SourceKind,
};
use crate::AppError;
use crate::accounts::validate::name;
use crate::hosts::validate::{
    DEFAULT_SSH_PORT, SECRET_MAX_CHARS, address, description, fingerprint, pem, ssh_user,
};

/// Longest registry address accepted.
pub const URL_MAX_CHARS: usize = 300;
/// Longest registry username accepted (Docker Hub allows 30, GitLab 255).
pub const USERNAME_MAX_CHARS: usize = 255;
/// Longest repository name accepted (distribution's own limit).
pub const REPOSITORY_MAX_CHARS: usize = 255;
/// Longest tag (the distribution grammar's limit).
pub const TAG_MAX_CHARS: usize = 128;

/// A registry's address: `http(s)://host[:port][/path]`, without
/// credentials, query or fragment; a trailing `/` or `/v2` is dropped.
pub fn registry_url(field: &str, value: &str) -> Result<String, AppError> {
    // `/v2` is the API's own prefix, typed by people who copy it.
    web_address(field, value, "registry", "v2")
}

/// The address of the vendor API that lists a registry's repositories
/// (Docker Hub's, GitHub's or GitLab's), for providers that have one; a
/// blank field takes the public service's API only for the public
/// registry itself ([`Provider::default_listing_api`]), and none otherwise. A
/// trailing `/v2` (Docker Hub) or `/api/v4` (GitLab) is dropped, as the
/// client adds it; GitHub Enterprise's `/api/v3` is its base and stays.
pub fn listing_api_url(
    provider: Provider,
    registry_url: &str,
    value: &str,
) -> Result<Option<String>, AppError> {
    let value = value.trim();
    if provider == Provider::Generic {
        if !value.is_empty() {
            return Err(AppError::invalid(
                "api_url",
                "A generic registry lists its repositories itself; leave this empty.",
            ));
        }
        return Ok(None);
    }
    if value.is_empty() {
        return Ok(provider
            .default_listing_api(registry_url)
            .map(str::to_string));
    }
    let prefix = match provider {
        Provider::DockerHub => "v2",
        Provider::Gitlab => "api/v4",
        _ => "",
    };
    web_address("api_url", value, "API", prefix).map(Some)
}

/// An `http(s)://host[:port][/path]` address of a `noun` (for messages),
/// lower-cased host, without credentials, query, fragment or a trailing
/// `/`, nor the path segments `api_prefix` at its end.
fn web_address(field: &str, value: &str, noun: &str, api_prefix: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(
            field,
            format!("Enter the {noun}'s address."),
        ));
    }
    if value.chars().count() > URL_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("An address has at most {URL_MAX_CHARS} characters."),
        ));
    }
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(AppError::invalid(
            field,
            format!(
                "Start the address with https:// (or http:// for a {noun} on a trusted network)."
            ),
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(AppError::invalid(
            field,
            format!("A {noun} is reached over https:// or http://."),
        ));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(AppError::invalid(
            field,
            "Put the username and password in their own fields, not in the address.",
        ));
    }
    let authority_ok = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !authority_ok || authority.starts_with(['.', '-', ':']) {
        return Err(AppError::invalid(
            field,
            format!("{authority:?} is not a host name, or host:port."),
        ));
    }
    let path_ok = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~' | '/'));
    if !path_ok || path.split('/').any(|segment| segment == "..") {
        return Err(AppError::invalid(
            field,
            "The address cannot have a query, a fragment or unusual characters in its path.",
        ));
    }
    let path = path.trim_end_matches('/');
    // Only whole segments, so `…/toolsv2` stays itself.
    let path = match api_prefix {
        "" => path,
        prefix if path == prefix => "",
        prefix => path
            .strip_suffix(prefix)
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or(path),
    };
    let mut url = format!("{scheme}://{}", authority.to_ascii_lowercase());
    if !path.is_empty() {
        url.push('/');
        url.push_str(path);
    }
    Ok(url)
}

/// A registry account: both fields or neither (anonymous access).
pub fn account(username: &str, password: &str) -> Result<Option<SourceAccount>, AppError> {
    let username = username.trim();
    let password = password.trim();
    match (username.is_empty(), password.is_empty()) {
        (true, true) => return Ok(None),
        (true, false) => {
            return Err(AppError::invalid(
                "username",
                "Enter the username this password or token belongs to.",
            ));
        }
        (false, true) => {
            return Err(AppError::invalid(
                "password",
                "Enter the password or token, or clear the username for anonymous access.",
            ));
        }
        (false, false) => {}
    }
    if username.chars().count() > USERNAME_MAX_CHARS {
        return Err(AppError::invalid(
            "username",
            format!("A username has at most {USERNAME_MAX_CHARS} characters."),
        ));
    }
    // Basic sign-in joins the two with a colon, so one in the name would
    // move the rest into the password.
    if username
        .chars()
        .any(|c| c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(AppError::invalid(
            "username",
            "A username cannot contain colons, spaces or line breaks.",
        ));
    }
    if password.chars().count() > SECRET_MAX_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("A password or token has at most {SECRET_MAX_CHARS} characters."),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "password",
            "The password cannot contain line breaks; paste it again.",
        ));
    }
    Ok(Some(SourceAccount {
        username: username.to_string(),
        password: password.to_string(),
    }))
}

/// A registry form as sent. `Debug` shows no password.
#[derive(Clone, Copy)]
pub struct RegistryForm<'a> {
    pub provider: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    /// Empty for the provider's default address.
    pub url: &'a str,
    /// Empty for the provider's public listing API.
    pub api_url: &'a str,
    pub username: &'a str,
    pub password: &'a str,
}

pub fn new_registry(form: &RegistryForm<'_>) -> Result<NewRegistry, AppError> {
    let Some(provider) = Provider::parse(SourceKind::Registry, form.provider) else {
        return Err(AppError::invalid(
            "provider",
            "Choose who runs this registry.",
        ));
    };
    let url = match (form.url.trim(), provider.default_registry_url()) {
        ("", Some(default)) => default.to_string(),
        (typed, _) => registry_url("url", typed)?,
    };
    let api_url = listing_api_url(provider, &url, form.api_url)?;
    Ok(NewRegistry {
        name: name("name", form.name)?,
        description: description("description", form.description)?,
        provider,
        url,
        api_url,
        account: account(form.username, form.password)?,
    })
}

/// Where a git repository is, as `git clone` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitUrl {
    /// Normalised, like `https://github.com/acme/app.git`.
    Https(String),
    Ssh {
        user: String,
        /// `host:port`.
        address: String,
        path: String,
    },
}

/// The characters a repository path may hold: enough for every hosting
/// service, nothing a remote shell or URL would read specially.
fn path_ok(path: &str) -> bool {
    // A leading `-` would reach git-upload-pack as an option.
    !path.is_empty()
        && !path.starts_with('-')
        && path.len() <= REPOSITORY_MAX_CHARS
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b'/'))
        && !path.split('/').any(|segment| segment == "..")
}

/// A git repository's address: `https://host/path` (or `http://` on a
/// trusted network), `ssh://user@host[:port]/path`, or `user@host:path`.
pub fn git_url(field: &str, value: &str) -> Result<GitUrl, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "Enter the repository's address."));
    }
    if value.chars().count() > URL_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("An address has at most {URL_MAX_CHARS} characters."),
        ));
    }
    let bad_path = || {
        AppError::invalid(
            field,
            "The repository's path may hold letters, digits and . - _ ~ / only.",
        )
    };
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let url = registry_url(field, value)?;
        let path = url.splitn(4, '/').nth(3).unwrap_or_default();
        if path.is_empty() {
            return Err(AppError::invalid(
                field,
                "Add the repository's path, like https://github.com/acme/app.git.",
            ));
        }
        if !path_ok(path) {
            return Err(bad_path());
        }
        return Ok(GitUrl::Https(url));
    }
    let (user_host, path) = if let Some(rest) = value.strip_prefix("ssh://") {
        let (authority, path) = rest
            .split_once('/')
            .ok_or_else(|| AppError::invalid(field, "Add the repository's path after the host."))?;
        // `ssh://host/~/path` is relative to the user's home, as in git.
        let path = if path.starts_with('~') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        (authority, path)
    } else if let Some((user_host, path)) =
        value.split_once(':').filter(|(head, _)| head.contains('@'))
    {
        // scp-like `user@host:path`, relative to the user's home.
        (user_host, path.to_string())
    } else {
        return Err(AppError::invalid(
            field,
            "Use https://host/path, ssh://user@host/path or user@host:path.",
        ));
    };
    let Some((user, host)) = user_host.split_once('@') else {
        return Err(AppError::invalid(
            field,
            "Name the SSH user, like ssh://git@host/path.",
        ));
    };
    if !path_ok(path.trim_start_matches('/')) {
        return Err(bad_path());
    }
    Ok(GitUrl::Ssh {
        user: ssh_user(field, user)?,
        address: address(field, host, DEFAULT_SSH_PORT)?,
        path,
    })
}

/// The address of an SSH repository, for fetching its host key.
pub fn git_ssh_address(field: &str, value: &str) -> Result<String, AppError> {
    match git_url(field, value)? {
        GitUrl::Ssh { address, .. } => Ok(address),
        GitUrl::Https(_) => Err(AppError::invalid(
            field,
            "This is an HTTPS address; only repositories over SSH have a host key.",
        )),
    }
}

/// A git form as sent; which fields count depends on the address.
/// `Debug` shows neither the password nor the key.
#[derive(Clone, Copy)]
pub struct GitForm<'a> {
    pub provider: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub url: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    pub private_key: &'a str,
    pub host_key_fingerprint: &'a str,
}

impl std::fmt::Debug for RegistryForm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryForm")
            .field("provider", &self.provider)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("api_url", &self.api_url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for GitForm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitForm")
            .field("provider", &self.provider)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

pub fn new_git(form: &GitForm<'_>) -> Result<NewGit, AppError> {
    let Some(provider) = Provider::parse(SourceKind::Git, form.provider) else {
        return Err(AppError::invalid(
            "provider",
            "Choose who hosts this repository.",
        ));
    };
    let remote = match git_url("url", form.url)? {
        GitUrl::Https(url) => NewGitRemote::Https {
            url,
            account: account(form.username, form.password)?,
        },
        GitUrl::Ssh {
            user,
            address,
            path,
        } => NewGitRemote::Ssh {
            address,
            user,
            path,
            private_key: pem("private_key", "private key", form.private_key)?,
            host_key_fingerprint: fingerprint("host_key_fingerprint", form.host_key_fingerprint)?,
        },
    };
    Ok(NewGit {
        name: name("name", form.name)?,
        description: description("description", form.description)?,
        provider,
        remote,
    })
}

/// A replacement credential: a private key when one is sent, otherwise an
/// account (both fields empty for anonymous access).
pub fn credentials(
    username: &str,
    password: &str,
    private_key: &str,
) -> Result<NewSourceCredentials, AppError> {
    if !private_key.trim().is_empty() {
        return Ok(NewSourceCredentials {
            account: None,
            private_key: Some(pem("private_key", "private key", private_key)?),
        });
    }
    Ok(NewSourceCredentials {
        account: account(username, password)?,
        private_key: None,
    })
}

pub fn changes(name_text: &str, description_text: &str) -> Result<SourceChanges, AppError> {
    Ok(SourceChanges {
        name: name("name", name_text)?,
        description: description("description", description_text)?,
    })
}

/// A repository name as typed, bounded; the server checks its grammar.
pub fn repository(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim().trim_matches('/');
    if value.is_empty() {
        return Err(AppError::invalid(field, "Enter a repository name."));
    }
    if value.chars().count() > REPOSITORY_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("A repository name has at most {REPOSITORY_MAX_CHARS} characters."),
        ));
    }
    Ok(value.to_string())
}

/// A page cursor (the last repository or tag of the previous page),
/// bounded; `None` for the first page.
pub fn cursor(field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) if value.chars().count() > REPOSITORY_MAX_CHARS => Err(AppError::invalid(
            field,
            "That page position is too long to be a repository or tag.",
        )),
        Some(value) => Ok(Some(value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_addresses_are_normalised_or_refused_with_a_reason() {
        assert_eq!(
            registry_url("url", " HTTPS://Registry.Example.com:5000/v2/ ").unwrap(),
            "https://registry.example.com:5000"
        );
        assert_eq!(
            registry_url("url", "http://127.0.0.1:5000").unwrap(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            registry_url("url", "https://example.com/mirror/").unwrap(),
            "https://example.com/mirror"
        );
        assert_eq!(
            registry_url("url", "https://example.com/mirrorv2").unwrap(),
            "https://example.com/mirrorv2"
        );
        assert_eq!(
            registry_url("url", "https://example.com/mirror/v2").unwrap(),
            "https://example.com/mirror"
        );
        for (bad, words) in [
            ("", "Enter"),
            ("registry.example.com", "Start the address"),
            ("ftp://example.com", "https://"),
            ("https://alice:pw@example.com", "own fields"),
            ("https://exa mple.com", "not a host"),
            ("https://example.com/a?x=1", "query"),
            ("https://example.com/../x", "query"),
        ] {
            let error = registry_url("url", bad).unwrap_err().to_string();
            assert!(error.contains(words), "{bad:?}: {error}");
        }
    }

    #[test]
    fn an_account_is_both_fields_or_neither() {
        assert_eq!(account("", " ").unwrap(), None);
        let both = account(" alice ", " s3cret ").unwrap().unwrap();
        assert_eq!(
            (both.username.as_str(), both.password.as_str()),
            ("alice", "s3cret")
        );
        assert!(
            account("alice", "")
                .unwrap_err()
                .to_string()
                .contains("password")
        );
        assert!(
            account("", "pw")
                .unwrap_err()
                .to_string()
                .contains("username")
        );
        assert!(
            account("al:ice", "pw")
                .unwrap_err()
                .to_string()
                .contains("colons")
        );
        assert!(account("alice", &"x".repeat(SECRET_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn known_providers_have_a_default_address_and_generic_needs_one() {
        let form = RegistryForm {
            provider: "ghcr",
            name: "GitHub",
            description: "",
            url: "",
            api_url: "",
            username: "",
            password: "",
        };
        let ghcr = new_registry(&form).unwrap();
        assert_eq!(ghcr.url, "https://ghcr.io");
        assert_eq!(ghcr.api_url.as_deref(), Some("https://api.github.com"));
        let generic = RegistryForm {
            provider: "generic",
            ..form
        };
        let error = new_registry(&generic).unwrap_err().to_string();
        assert!(error.contains("address"), "{error}");
        let unknown = RegistryForm {
            provider: "quay",
            ..form
        };
        assert!(new_registry(&unknown).is_err());
    }

    #[test]
    fn a_listing_api_is_the_vendors_own_or_one_typed_and_never_for_generic_registries() {
        let gitlab_com = "https://registry.gitlab.com";
        assert_eq!(
            listing_api_url(Provider::Gitlab, gitlab_com, "").unwrap(),
            Some("https://gitlab.com".into())
        );
        // Another registry's account never goes to the public API unasked:
        // a self-managed GitLab, GitHub Enterprise, a Docker Hub mirror.
        for (provider, elsewhere) in [
            (Provider::Gitlab, "https://registry.corp.example"),
            (Provider::Ghcr, "https://containers.ghe.example"),
            (Provider::DockerHub, "http://127.0.0.1:5000"),
        ] {
            assert_eq!(listing_api_url(provider, elsewhere, "").unwrap(), None);
        }
        assert_eq!(
            listing_api_url(Provider::DockerHub, "https://registry-1.docker.io", "").unwrap(),
            Some("https://hub.docker.com".into())
        );
        assert_eq!(
            listing_api_url(
                Provider::Gitlab,
                gitlab_com,
                "https://Git.Corp.example/gitlab/api/v4/"
            )
            .unwrap(),
            Some("https://git.corp.example/gitlab".into())
        );
        assert_eq!(
            listing_api_url(
                Provider::DockerHub,
                "https://registry-1.docker.io",
                "https://hub.docker.com/v2"
            )
            .unwrap(),
            Some("https://hub.docker.com".into())
        );
        assert_eq!(
            listing_api_url(
                Provider::Ghcr,
                "https://ghcr.io",
                "https://ghe.example/api/v3"
            )
            .unwrap(),
            Some("https://ghe.example/api/v3".into())
        );
        for (provider, typed, words) in [
            (Provider::Generic, "https://api.example", "leave this empty"),
            (Provider::Ghcr, "api.github.com", "https://"),
            (
                Provider::Ghcr,
                "https://user:token@api.github.com",
                "own fields",
            ),
            (Provider::Gitlab, "https://gitlab.com/?x=1", "query"),
        ] {
            let error = listing_api_url(provider, "https://r.example", typed).unwrap_err();
            assert!(error.to_string().contains(words), "{typed:?}: {error}");
            assert_eq!(error, AppError::invalid("api_url", error.to_string()));
        }
    }

    #[test]
    fn git_addresses_are_read_in_the_three_forms_git_takes() {
        assert_eq!(
            git_url("url", "https://GitHub.com/acme/app.git").unwrap(),
            GitUrl::Https("https://github.com/acme/app.git".into())
        );
        assert_eq!(
            git_url("url", "ssh://git@example.com:2222/srv/git/app.git").unwrap(),
            GitUrl::Ssh {
                user: "git".into(),
                address: "example.com:2222".into(),
                path: "/srv/git/app.git".into()
            }
        );
        assert_eq!(
            git_url("url", "git@github.com:acme/app.git").unwrap(),
            GitUrl::Ssh {
                user: "git".into(),
                address: "github.com:22".into(),
                path: "acme/app.git".into()
            }
        );
        for (bad, words) in [
            ("", "Enter"),
            ("https://github.com", "path"),
            ("github.com/acme/app", "Use https://"),
            ("ssh://example.com/app.git", "user"),
            ("git@host:app'; rm -rf ~'", "letters"),
            ("ssh://git@host/../etc", "letters"),
            ("git@host:--strict", "letters"),
        ] {
            let error = git_url("url", bad).unwrap_err().to_string();
            assert!(error.contains(words), "{bad:?}: {error}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let form = RegistryForm {
            provider: "generic",
            name: "Mine",
            description: "",
            url: "https://r.example.com",
            api_url: "",
            username: "alice",
            password: "planted-password-123",
        };
        let shown = format!("{:?}", new_registry(&form).unwrap());
        assert!(shown.contains("alice"), "{shown}");
        assert!(!shown.contains("planted-password-123"), "{shown}");
    }
}
