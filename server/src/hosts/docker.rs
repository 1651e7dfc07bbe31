//! A minimal Docker Engine API client: HTTP/1.1 over a stream that the
//! caller opened (a local unix socket now; a TLS or SSH stream later), so
//! one client serves every transport. Only what the connection test needs
//! is here: ping, version and info.

use std::path::Path;

use app::hosts::HostFacts;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::UnixStream;

use super::check::CheckError;

/// The oldest Engine API Caveman speaks: Debian's Docker 20.10 and podman 4
/// stop here, and everything Caveman calls exists in it.
pub const MIN_API_VERSION: (u32, u32) = (1, 41);
/// The largest reply read from the engine; `/info` is a few KiB.
const MAX_REPLY_BYTES: usize = 1 << 20;

/// Opens the local unix socket at `path`, naming the usual causes of
/// failure in words an operator can act on.
pub async fn connect_unix(path: &Path) -> Result<UnixStream, CheckError> {
    UnixStream::connect(path).await.map_err(|error| {
        let shown = path.display();
        CheckError::Unreachable(match error.kind() {
            std::io::ErrorKind::NotFound => format!("There is no socket at {shown}."),
            std::io::ErrorKind::PermissionDenied => format!(
                "Permission denied on {shown}: the user running Caveman needs access to it \
                 (usually membership of the docker group)."
            ),
            std::io::ErrorKind::ConnectionRefused => {
                format!("Connection refused at {shown}: is the Docker engine running?")
            }
            _ => format!("Cannot connect to {shown}: {error}."),
        })
    })
}

/// An HTTP/1.1 connection to an engine.
pub struct Engine {
    sender: SendRequest<Empty<Bytes>>,
    /// The task driving the connection; its error says why a request
    /// failed (a request only learns that the connection ended).
    connection: Option<tokio::task::JoinHandle<Result<(), hyper::Error>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Speaks HTTP over `stream`; the connection is driven by a task that
    /// ends when the engine (or this client) hangs up.
    pub async fn handshake<S>(stream: S) -> Result<Engine, CheckError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| CheckError::Protocol(format!("HTTP handshake failed: {error}")))?;
        let connection = tokio::spawn(connection);
        Ok(Engine {
            sender,
            connection: Some(connection),
        })
    }

    /// Why the connection ended under a request, from the connection's
    /// own error when it has one.
    async fn hung_up(&mut self, error: &hyper::Error) -> CheckError {
        if let Some(connection) = self.connection.take()
            && let Ok(Ok(Err(cause))) =
                tokio::time::timeout(std::time::Duration::from_secs(1), connection).await
        {
            return hung_up(&cause);
        }
        hung_up(error)
    }

    /// GET `path`, returning the status and the (bounded) body.
    async fn get(&mut self, path: &str) -> Result<(u16, Bytes), CheckError> {
        let request = http::Request::get(path)
            .header(http::header::HOST, "docker")
            .body(Empty::new())
            .map_err(|error| CheckError::Protocol(error.to_string()))?;
        if let Err(error) = self.sender.ready().await {
            return Err(self.hung_up(&error).await);
        }
        let response = match self.sender.send_request(request).await {
            Ok(response) => response,
            Err(error) => return Err(self.hung_up(&error).await),
        };
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_REPLY_BYTES)
            .collect()
            .await
            .map_err(|_| {
                CheckError::Protocol("the engine's reply is too large or cut short".into())
            })?
            .to_bytes();
        Ok((status, body))
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(
        &mut self,
        path: &str,
    ) -> Result<T, CheckError> {
        let (status, body) = self.get(path).await?;
        if status != 200 {
            return Err(CheckError::Protocol(format!(
                "{path} answered {status}: {}",
                error_message(&body)
            )));
        }
        serde_json::from_slice(&body)
            .map_err(|_| CheckError::Protocol(format!("{path} did not answer with Docker's JSON")))
    }

    /// Ping, version and info: the facts of a connection test.
    pub async fn facts(&mut self) -> Result<HostFacts, CheckError> {
        let (status, body) = self.get("/_ping").await?;
        if status != 200 || body.as_ref() != b"OK" {
            return Err(CheckError::Protocol(format!(
                "this is not a Docker engine: /_ping answered {status}"
            )));
        }
        let version: Version = self.get_json("/version").await?;
        let api = parse_api_version(&version.api_version).ok_or_else(|| {
            CheckError::Protocol(format!("unreadable API version {:?}", version.api_version))
        })?;
        if api < MIN_API_VERSION {
            return Err(CheckError::TooOld(format!(
                "The engine speaks Docker API {}; Caveman needs {}.{} or newer (Docker 20.10+).",
                version.api_version, MIN_API_VERSION.0, MIN_API_VERSION.1
            )));
        }
        let info: Info = self
            .get_json(&format!(
                "/v{}.{}/info",
                MIN_API_VERSION.0, MIN_API_VERSION.1
            ))
            .await?;
        Ok(HostFacts::Docker {
            engine_version: version.version,
            api_version: version.api_version,
            min_api_version: version.min_api_version,
            os: info.operating_system,
            os_type: version.os,
            architecture: version.arch,
            kernel_version: info.kernel_version,
            cpus: info.ncpu,
            memory_bytes: info.mem_total,
            containers_running: info.containers_running,
            containers: info.containers,
            images: info.images,
        })
    }
}

/// The connection ended under a request. Over TLS 1.3 a refused client
/// certificate only shows here, as an alert read after the handshake.
fn hung_up(error: &hyper::Error) -> CheckError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        // An I/O error hides the error it wraps from `source()`.
        let wrapped = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if let Some(tls) = [Some(cause), wrapped]
            .into_iter()
            .flatten()
            .find_map(|error| error.downcast_ref::<rustls::Error>())
        {
            return super::tls::describe(tls);
        }
        source = cause.source();
    }
    CheckError::Protocol(format!("the engine hung up: {error}"))
}

/// `1.41` -> (1, 41).
fn parse_api_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The `message` of a Docker error reply, or a placeholder.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorReply {
        message: String,
    }
    serde_json::from_slice::<ErrorReply>(body)
        .map(|reply| reply.message.chars().take(300).collect())
        .unwrap_or_else(|_| "no error message".into())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Version {
    version: String,
    api_version: String,
    #[serde(default, rename = "MinAPIVersion")]
    min_api_version: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    arch: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Info {
    #[serde(default, rename = "NCPU")]
    ncpu: i64,
    #[serde(default)]
    mem_total: i64,
    #[serde(default)]
    containers_running: i64,
    #[serde(default)]
    containers: i64,
    #[serde(default)]
    images: i64,
    #[serde(default)]
    operating_system: String,
    #[serde(default)]
    kernel_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_compare_numerically() {
        assert_eq!(parse_api_version("1.41"), Some((1, 41)));
        assert!(parse_api_version("1.9").unwrap() < MIN_API_VERSION);
        assert!(parse_api_version("1.100").unwrap() > MIN_API_VERSION);
        assert_eq!(parse_api_version("latest"), None);
    }

    #[test]
    fn error_replies_show_their_message() {
        assert_eq!(
            error_message(br#"{"message":"page not found"}"#),
            "page not found"
        );
        assert_eq!(error_message(b"<html>"), "no error message");
    }
}
