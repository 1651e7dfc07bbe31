//! Docker engines reached over SSH: the SSH connection forwards one
//! channel straight to the engine's unix socket on the remote machine
//! (`direct-streamlocal`), so the remote needs sshd and Docker but no
//! docker CLI.
//!
//! The host's key is pinned: adding the host stores the key the operator
//! confirmed by its fingerprint, and every later connection must present
//! exactly that key or is refused before authenticating. A changed key
//! stays refused until an operator looks at it and pins the new one.
//!
//! Git repositories over SSH use the same signed-in [`Session`] to run
//! `git-upload-pack` (see `sources::git`).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use russh::client::{self, Handle, Msg};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelStream, Disconnect};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use app::AppError;

use super::check::{CHECK_TIMEOUT, CheckError};
use crate::vault::Secret;

/// Where an SSH-reached engine is.
#[derive(Debug, Clone)]
pub struct SshTarget<'a> {
    /// `host:port`.
    pub address: &'a str,
    pub user: &'a str,
    /// The engine's socket on the remote machine.
    pub remote_socket: &'a str,
    /// The pinned host key, in OpenSSH's one-line form.
    pub host_key: &'a str,
}

/// A host key as the operator compares it: `SHA256:…`, as
/// `ssh-keygen -lf` prints it, and the key's algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedKey {
    pub fingerprint: String,
    pub algorithm: String,
    /// The key in OpenSSH's one-line form, for pinning.
    pub openssh: String,
}

fn scanned(key: &PublicKey) -> ScannedKey {
    ScannedKey {
        fingerprint: fingerprint(key),
        algorithm: key.algorithm().to_string(),
        openssh: key.to_openssh().unwrap_or_default(),
    }
}

pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The fingerprint of a pinned key in OpenSSH form, when it parses.
pub fn fingerprint_of(openssh: &str) -> Option<String> {
    PublicKey::from_openssh(openssh)
        .ok()
        .map(|key| fingerprint(&key))
}

/// Checks the server's key against the pinned one, remembering what was
/// presented so a mismatch (or a scan) can report it.
#[derive(Debug)]
struct KeyCheck {
    pinned: Option<PublicKey>,
    presented: Arc<Mutex<Option<PublicKey>>>,
}

impl client::Handler for KeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        // Host certificates are not supported: only plain keys are pinned.
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            return Ok(false);
        };
        if let Ok(mut presented) = self.presented.lock() {
            *presented = Some(key.clone());
        }
        Ok(self
            .pinned
            .as_ref()
            .is_some_and(|pinned| pinned.key_data() == key.key_data()))
    }
}

fn config() -> Arc<client::Config> {
    Arc::new(client::Config {
        inactivity_timeout: Some(CHECK_TIMEOUT),
        nodelay: true,
        ..client::Config::default()
    })
}

async fn tcp(address: &str) -> Result<tokio::net::TcpStream, CheckError> {
    // An address that drops packets would otherwise wait for the system's
    // connect timeout (minutes).
    tokio::time::timeout(CHECK_TIMEOUT, tokio::net::TcpStream::connect(address))
        .await
        .map_err(|_| CheckError::Timeout)?
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::ConnectionRefused => CheckError::Unreachable(format!(
                "{address} refused the connection: is sshd running on that port?"
            )),
            _ => CheckError::Unreachable(format!("Cannot reach {address}: {error}.")),
        })
}

/// Connects to `address` only to learn its host key; nothing is
/// authenticated or pinned.
pub async fn scan(address: &str) -> Result<ScannedKey, CheckError> {
    let presented = Arc::new(Mutex::new(None));
    let handler = KeyCheck {
        pinned: None,
        presented: presented.clone(),
    };
    let stream = tcp(address).await?;
    // The handler refuses every key, so the handshake always ends here.
    let outcome = client::connect_stream(config(), stream, handler).await;
    let key = presented.lock().ok().and_then(|mut key| key.take());
    match (key, outcome) {
        (Some(key), _) => Ok(scanned(&key)),
        (None, Err(error)) => Err(handshake_error(address, &error)),
        (None, Ok(_)) => Err(CheckError::Protocol(
            "The SSH server presented no host key Caveman can pin (host certificates are not supported).".into(),
        )),
    }
}

/// [`scan`] under the check deadline.
pub async fn scan_within_deadline(address: &str) -> Result<ScannedKey, CheckError> {
    tokio::time::timeout(CHECK_TIMEOUT, scan(address))
        .await
        .unwrap_or(Err(CheckError::Timeout))
}

/// The key `address` presents now, in OpenSSH form for pinning, if its
/// fingerprint is the `confirmed` one; a failed scan is turned into an
/// error on the caller's own field by `scan_failed`. Docker hosts and git
/// repositories over SSH both pin this way.
pub async fn key_matching(
    address: &str,
    confirmed: &str,
    scan_failed: impl FnOnce(CheckError) -> AppError,
) -> Result<String, AppError> {
    let scanned = scan_within_deadline(address).await.map_err(scan_failed)?;
    if scanned.fingerprint != confirmed {
        return Err(AppError::invalid(
            "host_key_fingerprint",
            format!(
                "{address} now presents {} rather than the {confirmed} you confirmed. Fetch the \
                 key again and compare it with the server before trusting it.",
                scanned.fingerprint
            ),
        ));
    }
    Ok(scanned.openssh)
}

/// An SSH session with one channel forwarded to the remote engine's
/// socket. The session lives as long as the stream.
pub struct SshStream {
    channel: ChannelStream<Msg>,
    _session: Handle<KeyCheck>,
}

impl std::fmt::Debug for SshStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshStream").finish_non_exhaustive()
    }
}

impl AsyncRead for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.channel).poll_read(cx, buf)
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.channel).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.channel).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.channel).poll_shutdown(cx)
    }
}

/// Reads a private key as pasted (OpenSSH or PEM), naming what is wrong
/// with it in words for the form.
pub fn parse_private_key(text: &Secret<String>) -> Result<PrivateKey, String> {
    russh::keys::decode_secret_key(text.expose(), None).map_err(|error| match error {
        russh::keys::Error::KeyIsEncrypted => "This key is protected by a passphrase. Caveman \
             needs a key without one: make a dedicated key (ssh-keygen -t ed25519 -N '')."
            .to_string(),
        _ => "This is not a private key Caveman can read: paste an OpenSSH or PEM private key \
              (ed25519, ECDSA or RSA), including its BEGIN and END lines."
            .to_string(),
    })
}

/// A signed-in SSH session with a server that presented the pinned key.
pub struct Session {
    handle: Handle<KeyCheck>,
    address: String,
    user: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("address", &self.address)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Connects to `address`, checks that it presents `host_key` (OpenSSH's
/// one-line form) and signs in as `user` with `private_key`.
pub async fn sign_in(
    address: &str,
    user: &str,
    host_key: &str,
    private_key: &Secret<String>,
) -> Result<Session, CheckError> {
    let pinned = PublicKey::from_openssh(host_key).map_err(|_| {
        CheckError::HostKeyMismatch(
            "The pinned host key is unreadable; pin the host's key again.".into(),
        )
    })?;
    let key = parse_private_key(private_key).map_err(CheckError::BadCredentials)?;
    let presented = Arc::new(Mutex::new(None));
    let handler = KeyCheck {
        pinned: Some(pinned.clone()),
        presented: presented.clone(),
    };
    let stream = tcp(address).await?;
    let mut session = match client::connect_stream(config(), stream, handler).await {
        Ok(session) => session,
        Err(error) => {
            let presented = presented.lock().ok().and_then(|mut key| key.take());
            return Err(match presented {
                Some(key) if key.key_data() != pinned.key_data() => {
                    CheckError::HostKeyMismatch(format!(
                        "{address} presented host key {} but {} is pinned. Connections stay \
                         refused until an admin checks the new key and pins it (the host may \
                         have been reinstalled, or someone is intercepting the connection).",
                        fingerprint(&key),
                        fingerprint(&pinned)
                    ))
                }
                _ => handshake_error(address, &error),
            });
        }
    };

    // RSA keys sign with the strongest hash the server accepts.
    let hash = if matches!(key.algorithm(), russh::keys::Algorithm::Rsa { .. }) {
        session
            .best_supported_rsa_hash()
            .await
            .map_err(|error| handshake_error(address, &error))?
            .flatten()
    } else {
        None
    };
    let auth = session
        .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
        .await
        .map_err(|error| handshake_error(address, &error))?;
    if !auth.success() {
        return Err(CheckError::BadCredentials(format!(
            "{address} refused the private key for user {user:?}: is its public key in that \
             user's authorized_keys?"
        )));
    }
    Ok(Session {
        handle: session,
        address: address.to_string(),
        user: user.to_string(),
    })
}

impl Session {
    /// Forwards a channel to a unix socket on the remote machine; the
    /// session lives as long as the stream.
    pub async fn forward(self, remote_socket: &str) -> Result<SshStream, CheckError> {
        match self
            .handle
            .channel_open_direct_streamlocal(remote_socket)
            .await
        {
            Ok(channel) => Ok(SshStream {
                channel: channel.into_stream(),
                _session: self.handle,
            }),
            Err(error) => {
                let user = self.user.clone();
                self.close().await;
                Err(CheckError::Unreachable(format!(
                    "Signed in over SSH, but the server would not forward to {remote_socket} \
                     ({error}): check that the socket exists, that user {user:?} may open it \
                     (the docker group), and that sshd allows it (AllowStreamLocalForwarding \
                     yes; OpenSSH also refuses it under AllowTcpForwarding no)."
                )))
            }
        }
    }

    /// Runs `command` on the remote machine; its output arrives on the
    /// returned channel.
    pub async fn exec(&self, command: &str) -> Result<russh::Channel<Msg>, CheckError> {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|error| handshake_error(&self.address, &error))?;
        channel
            .exec(true, command)
            .await
            .map_err(|error| handshake_error(&self.address, &error))?;
        Ok(channel)
    }

    /// Says goodbye to the server.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// Connects, checks the pinned host key, authenticates with `private_key`
/// and forwards a channel to the remote engine's socket.
pub async fn connect(
    target: &SshTarget<'_>,
    private_key: &Secret<String>,
) -> Result<SshStream, CheckError> {
    sign_in(target.address, target.user, target.host_key, private_key)
        .await?
        .forward(target.remote_socket)
        .await
}

fn handshake_error(address: &str, error: &russh::Error) -> CheckError {
    match error {
        russh::Error::IO(io) => CheckError::Unreachable(format!("SSH to {address} failed: {io}.")),
        russh::Error::ConnectionTimeout | russh::Error::InactivityTimeout => CheckError::Timeout,
        russh::Error::Disconnect | russh::Error::HUP => CheckError::Unreachable(format!(
            "{address} closed the SSH connection during the handshake."
        )),
        russh::Error::Version => CheckError::Protocol(format!(
            "{address} does not speak SSH (no SSH version line)."
        )),
        other => CheckError::Protocol(format!("SSH handshake with {address} failed: {other}.")),
    }
}
