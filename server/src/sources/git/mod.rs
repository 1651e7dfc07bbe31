//! A client for git repositories that only reads their refs: the branches,
//! the commit each points to, and the default branch with its head commit.
//! It speaks git's own "smart" protocol and stops after the server's ref
//! advertisement, so nothing is cloned and no git program is needed here:
//!
//! - over HTTPS, `GET <repo>/info/refs?service=git-upload-pack`, with
//!   Basic credentials (a username and a token) when the repository has
//!   them;
//! - over SSH, `git-upload-pack '<path>'` run on the remote, after the
//!   server presented the pinned host key and accepted the private key
//!   (the session is the hosts context's [`ssh`](crate::hosts::ssh)).
//!
//! Every listing runs under one deadline ([`TIMEOUT`]) and reads at most
//! [`MAX_ADVERTISEMENT_BYTES`].

pub mod refs;

use std::time::Duration;

use reqwest::StatusCode;
use russh::ChannelMsg;
use url::Url;

pub use self::refs::{Branch, Refs};

use self::refs::RefsError;
use crate::hosts::check::CheckError;
use crate::hosts::ssh;
use crate::outbound::{self, Failure};
use crate::vault::Secret;

/// How long one listing may take, sign-in included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest ref advertisement read: tens of thousands of refs.
pub const MAX_ADVERTISEMENT_BYTES: usize = 8 << 20;

/// Where a repository is and how to sign in to it.
#[derive(Debug, Clone, Copy)]
pub enum Remote<'a> {
    Https {
        /// The repository's address, like `https://github.com/acme/app.git`.
        url: &'a Url,
        /// A username and its password or token; `None` for a public
        /// repository.
        account: Option<(&'a str, &'a Secret<String>)>,
    },
    Ssh {
        /// `host:port`.
        address: &'a str,
        user: &'a str,
        /// The repository's path on that machine, as `git clone` takes it.
        path: &'a str,
        /// The pinned host key, in OpenSSH's one-line form.
        host_key: &'a str,
        private_key: &'a Secret<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("{0}")]
    Unreachable(String),
    #[error("The repository did not answer within {} seconds.", TIMEOUT.as_secs())]
    Timeout,
    #[error("{0}")]
    Tls(String),
    #[error("{0}")]
    BadCredentials(String),
    /// The server's SSH key is not the pinned one.
    #[error("{0}")]
    HostKeyMismatch(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Protocol(String),
}

impl GitError {
    /// The kind of failure, for the page.
    pub fn kind(&self) -> &'static str {
        match self {
            GitError::Unreachable(_) => "Unreachable",
            GitError::Timeout => "Timed out",
            GitError::Tls(_) => "TLS failure",
            GitError::BadCredentials(_) => "Bad credentials",
            GitError::HostKeyMismatch(_) => "Host key mismatch",
            GitError::NotFound(_) => "Not found",
            GitError::Protocol(_) => "Unexpected reply",
        }
    }
}

impl From<CheckError> for GitError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Unreachable(message) => GitError::Unreachable(message),
            CheckError::Timeout => GitError::Timeout,
            CheckError::Tls(message) => GitError::Tls(message),
            CheckError::BadCredentials(message) => GitError::BadCredentials(message),
            CheckError::HostKeyMismatch(message) => GitError::HostKeyMismatch(message),
            CheckError::NotFound(message) => GitError::NotFound(message),
            CheckError::TooOld(message)
            | CheckError::Protocol(message)
            | CheckError::NotAllowed(message) => GitError::Protocol(message),
        }
    }
}

fn advertisement_error(error: RefsError, server: &str) -> GitError {
    match error {
        RefsError::Refused(message) => GitError::NotFound(format!("{server} refused: {message}")),
        RefsError::Malformed(message) => GitError::Protocol(format!("{server}: {message}")),
        RefsError::Incomplete => {
            GitError::Protocol(format!("{server} stopped before listing every ref."))
        }
    }
}

/// Lists the repository's refs.
pub async fn list_refs(remote: Remote<'_>) -> Result<Refs, GitError> {
    let listing = async {
        match remote {
            Remote::Https { url, account } => over_https(url, account).await,
            Remote::Ssh {
                address,
                user,
                path,
                host_key,
                private_key,
            } => over_ssh(address, user, path, host_key, private_key).await,
        }
    };
    tokio::time::timeout(TIMEOUT, listing)
        .await
        .unwrap_or(Err(GitError::Timeout))
}

async fn over_https(url: &Url, account: Option<(&str, &Secret<String>)>) -> Result<Refs, GitError> {
    let server = url.host_str().unwrap_or("the server").to_string();
    let mut info = url.clone();
    info.set_path(&format!("{}/info/refs", url.path().trim_end_matches('/')));
    info.set_query(Some("service=git-upload-pack"));

    // rustls needs one process-wide crypto provider; ring is the one the
    // rest of the server uses. Installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        // Credentials must not follow a redirect to another origin.
        .redirect(reqwest::redirect::Policy::none())
        // GitHub serves the smart protocol only to agents named git/….
        .user_agent(concat!("git/2 (caveman/", env!("CARGO_PKG_VERSION"), ")"))
        .build()
        .map_err(|error| GitError::Protocol(format!("Cannot start an HTTP client: {error}")))?;
    let mut request = http.get(info);
    if let Some((username, password)) = account {
        request = request.basic_auth(username, Some(password.expose()));
    }
    let mut response = request
        .send()
        .await
        .map_err(|error| transport(&error, &server))?;
    let status = response.status();
    if status.is_redirection() {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("elsewhere");
        return Err(GitError::Protocol(format!(
            "{server} redirects the repository to {}: use that address.",
            to.split('?').next().unwrap_or(to)
        )));
    }
    match status {
        StatusCode::OK => {}
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Err(GitError::BadCredentials(match account {
                Some((username, _)) => format!(
                    "{server} refused the username {username:?} or its token for this repository."
                ),
                None => format!("{server} needs a username and token for this repository."),
            }));
        }
        StatusCode::NOT_FOUND => {
            return Err(GitError::NotFound(format!(
                "{server} has no repository at {} (or hides a private one from this account).",
                url.path()
            )));
        }
        other => {
            return Err(GitError::Protocol(format!(
                "{server} answered {other} for the repository's refs."
            )));
        }
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type != "application/x-git-upload-pack-advertisement" {
        return Err(GitError::Protocol(format!(
            "{server} does not serve git's smart HTTP protocol at this address (only the \
             smart protocol is read, not \"dumb\" HTTP)."
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| transport(&error, &server))?
    {
        if body.len() + chunk.len() > MAX_ADVERTISEMENT_BYTES {
            return Err(GitError::Protocol(format!(
                "{server} lists more refs than Caveman reads ({} MiB).",
                MAX_ADVERTISEMENT_BYTES >> 20
            )));
        }
        body.extend_from_slice(&chunk);
    }
    refs::parse(&body, true).map_err(|error| advertisement_error(error, &server))
}

fn transport(error: &reqwest::Error, server: &str) -> GitError {
    match outbound::classify(error) {
        Failure::Timeout => GitError::Timeout,
        Failure::Tls(chain) => GitError::Tls(format!("TLS with {server} failed: {chain}")),
        Failure::Refused => GitError::Unreachable(format!("{server} refused the connection.")),
        Failure::Unreachable(chain) => {
            GitError::Unreachable(format!("Cannot reach {server}: {chain}"))
        }
        Failure::Other(chain) => GitError::Protocol(format!("{server}: {chain}")),
    }
}

async fn over_ssh(
    address: &str,
    user: &str,
    path: &str,
    host_key: &str,
    private_key: &Secret<String>,
) -> Result<Refs, GitError> {
    // The path is quoted for the remote shell; validation refused quotes.
    if path.contains('\'') {
        return Err(GitError::Protocol(
            "A repository path cannot contain a single quote.".into(),
        ));
    }
    let session = ssh::sign_in(address, user, host_key, private_key).await?;
    let mut channel = session.exec(&format!("git-upload-pack '{path}'")).await?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let result = loop {
        // The advertisement ends with a flush, so only then is it worth
        // reading the whole buffer again.
        if stdout.ends_with(b"0000") && refs::is_complete(&stdout, false) {
            break refs::parse(&stdout, false).map_err(|error| advertisement_error(error, address));
        }
        match channel.wait().await {
            Some(ChannelMsg::Data { data }) => {
                if stdout.len() + data.len() > MAX_ADVERTISEMENT_BYTES {
                    break Err(GitError::Protocol(format!(
                        "{address} lists more refs than Caveman reads ({} MiB).",
                        MAX_ADVERTISEMENT_BYTES >> 20
                    )));
                }
                stdout.extend_from_slice(&data);
            }
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                if stderr.len() < 4096 {
                    stderr.extend_from_slice(&data);
                }
            }
            Some(ChannelMsg::Eof | ChannelMsg::Close | ChannelMsg::ExitStatus { .. }) | None => {
                break Err(upload_pack_failed(address, path, &stderr));
            }
            Some(_) => {}
        }
    };
    // Tell upload-pack that nothing is wanted, then hang up.
    let _ = channel.data_bytes(&b"0000"[..]).await;
    let _ = channel.eof().await;
    let _ = channel.close().await;
    session.close().await;
    result
}

/// Why `git-upload-pack` ended before listing refs, from what it printed.
fn upload_pack_failed(address: &str, path: &str, stderr: &[u8]) -> GitError {
    let said = String::from_utf8_lossy(stderr);
    let said = said.trim();
    if said.contains("not appear to be a git repository") || said.contains("No such file") {
        return GitError::NotFound(format!("{address} has no git repository at {path:?}."));
    }
    if said.contains("command not found") || said.contains("git-upload-pack: not found") {
        return GitError::Protocol(format!(
            "{address} has no git-upload-pack: git must be installed on that machine."
        ));
    }
    GitError::Protocol(if said.is_empty() {
        format!("git-upload-pack on {address} ended without listing refs.")
    } else {
        format!(
            "git-upload-pack on {address} failed: {}",
            said.chars().take(300).collect::<String>()
        )
    })
}
