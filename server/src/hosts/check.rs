//! Connection tests: reach a host with its stored credential, learn what
//! it is, and describe any failure in words the operator can act on.
//! Every test runs under one deadline ([`CHECK_TIMEOUT`]) on the async
//! runtime, so a silent host never holds a request thread.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use app::hosts::{DockerTransport, GpuType, HostFacts, HostKind};
use serde::Deserialize;
use url::Url;

use super::store::Endpoint;
use super::{docker, ssh, tls};
use crate::outbound::{self, Failure};
use crate::vault::Secret;

/// A host's opened credentials: named secrets, by kind `token` (Fly.io,
/// RunPod), `private_key` (SSH), or `ca`, `cert` and `key` (TLS).
#[derive(Debug, Default)]
pub struct Credentials(pub BTreeMap<String, Secret<String>>);

impl Credentials {
    pub const TOKEN: &str = "token";
    pub const PRIVATE_KEY: &str = "private_key";
    pub const TLS_CA: &str = "ca";
    pub const TLS_CERT: &str = "cert";
    pub const TLS_KEY: &str = "key";

    /// The named secret, or the error a test reports when it is missing.
    fn get(&self, name: &str) -> Result<&Secret<String>, CheckError> {
        self.0.get(name).ok_or_else(|| {
            CheckError::BadCredentials("No credential is stored for this host.".into())
        })
    }
}

/// How long a connection test may take, end to end.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest reply read from a provider API.
const MAX_REPLY_BYTES: usize = 2 << 20;

/// Why a test failed, by what the operator should do about it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CheckError {
    /// Nothing answered: wrong address, host down, refused connection.
    #[error("{0}")]
    Unreachable(String),
    #[error("The host did not answer within {} seconds.", CHECK_TIMEOUT.as_secs())]
    Timeout,
    #[error("{0}")]
    Tls(String),
    /// The host answered and refused the credential.
    #[error("{0}")]
    BadCredentials(String),
    #[error("{0}")]
    NotFound(String),
    /// An SSH host presented another key than the pinned one.
    #[error("{0}")]
    HostKeyMismatch(String),
    #[error("{0}")]
    TooOld(String),
    /// The host answered something unexpected.
    #[error("{0}")]
    Protocol(String),
    /// The installation's settings do not allow this host.
    #[error("{0}")]
    NotAllowed(String),
}

/// Where the provider APIs are; real ones in production, fakes in tests.
#[derive(Debug, Clone)]
pub struct ProviderUrls {
    pub fly_api: Url,
    pub runpod_api: Url,
}

/// Runs connection tests.
#[derive(Debug, Clone)]
pub struct Checker {
    http: reqwest::Client,
    urls: ProviderUrls,
    /// Unix sockets a workspace may register as a Docker host.
    docker_sockets: Vec<PathBuf>,
}

impl Checker {
    pub fn new(
        urls: ProviderUrls,
        docker_sockets: Vec<PathBuf>,
    ) -> Result<Checker, reqwest::Error> {
        let http = outbound::http_client(CHECK_TIMEOUT)?;
        Ok(Checker {
            http,
            urls,
            docker_sockets,
        })
    }

    /// Whether a workspace may register the local socket at `path`.
    pub fn allows_socket(&self, path: &str) -> bool {
        self.docker_sockets
            .iter()
            .any(|allowed| allowed.as_os_str() == path)
    }

    /// Tests one host; returns the facts and the time it took.
    pub async fn check(
        &self,
        kind: HostKind,
        endpoint: &Endpoint,
        credentials: &Credentials,
    ) -> (Result<HostFacts, CheckError>, Duration) {
        let started = Instant::now();
        let outcome =
            tokio::time::timeout(CHECK_TIMEOUT, self.check_inner(kind, endpoint, credentials))
                .await
                .unwrap_or(Err(CheckError::Timeout));
        (outcome, started.elapsed())
    }

    async fn check_inner(
        &self,
        kind: HostKind,
        endpoint: &Endpoint,
        credentials: &Credentials,
    ) -> Result<HostFacts, CheckError> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        match kind {
            HostKind::Docker => match endpoint.transport.unwrap_or(DockerTransport::Unix) {
                DockerTransport::Unix => {
                    let path = text(&endpoint.socket_path);
                    // Checked again here: the allow-list may have shrunk
                    // since the host was added.
                    if !self.allows_socket(&path) {
                        return Err(CheckError::NotAllowed(format!(
                            "This installation does not allow the Docker socket {path}; \
                             the operator lists allowed sockets in CAVEMAN_DOCKER_SOCKETS."
                        )));
                    }
                    let stream = docker::connect_unix(path.as_ref()).await?;
                    docker::Engine::handshake(stream).await?.facts().await
                }
                DockerTransport::Tls => {
                    let material = tls::TlsMaterial {
                        ca: credentials.get(Credentials::TLS_CA)?.expose(),
                        cert: credentials.get(Credentials::TLS_CERT)?.expose(),
                        key: credentials.get(Credentials::TLS_KEY)?.expose(),
                    };
                    let stream = tls::connect(&text(&endpoint.address), material).await?;
                    docker::Engine::handshake(stream).await?.facts().await
                }
                DockerTransport::Ssh => {
                    let (address, user, socket, host_key) = (
                        text(&endpoint.address),
                        text(&endpoint.user),
                        text(&endpoint.socket_path),
                        text(&endpoint.host_key),
                    );
                    let target = ssh::SshTarget {
                        address: &address,
                        user: &user,
                        remote_socket: &socket,
                        host_key: &host_key,
                    };
                    let key = credentials.get(Credentials::PRIVATE_KEY)?;
                    let stream = ssh::connect(&target, key).await?;
                    docker::Engine::handshake(stream).await?.facts().await
                }
            },
            HostKind::Fly => {
                let org = text(&endpoint.org_slug);
                self.fly(&org, credentials.get(Credentials::TOKEN)?).await
            }
            HostKind::Runpod => self.runpod(credentials.get(Credentials::TOKEN)?).await,
        }
    }

    /// Reads the key the SSH server at `address` presents, under the same
    /// deadline as a test.
    pub async fn scan_host_key(&self, address: &str) -> Result<ssh::ScannedKey, CheckError> {
        ssh::scan_within_deadline(address).await
    }

    /// Fly.io: the organisation's apps, which needs a token of that org.
    async fn fly(&self, org: &str, token: &Secret<String>) -> Result<HostFacts, CheckError> {
        let mut url = join(&self.urls.fly_api, "apps");
        url.query_pairs_mut().append_pair("org_slug", org);
        // Macaroon tokens use their own scheme; older tokens are bearer.
        let token = token.expose();
        let scheme = if ["fm1r_", "fm1a_", "fm2_"]
            .iter()
            .any(|prefix| token.starts_with(prefix))
        {
            "FlyV1"
        } else {
            "Bearer"
        };
        let request = self
            .http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, format!("{scheme} {token}"));
        let (status, body) = self.send(request, "Fly.io").await?;
        match status {
            200 => {}
            401 | 403 => {
                return Err(CheckError::BadCredentials(format!(
                    "Fly.io refused the API token for organisation {org}: {}",
                    fly_error(&body)
                )));
            }
            404 => {
                return Err(CheckError::NotFound(format!(
                    "Fly.io knows no organisation {org} for this token."
                )));
            }
            _ => {
                return Err(CheckError::Protocol(format!(
                    "Fly.io answered {status}: {}",
                    fly_error(&body)
                )));
            }
        }
        #[derive(Deserialize)]
        struct Apps {
            total_apps: i64,
        }
        let apps: Apps = serde_json::from_slice(&body).map_err(|_| {
            CheckError::Protocol("Fly.io's app list was not the expected JSON".into())
        })?;
        Ok(HostFacts::Fly {
            org_slug: org.to_string(),
            app_count: apps.total_apps,
        })
    }

    /// RunPod: the account's pods (which proves the key) and the GPU
    /// catalogue.
    async fn runpod(&self, key: &Secret<String>) -> Result<HostFacts, CheckError> {
        let bearer = format!("Bearer {}", key.expose());
        let pods = self
            .http
            .get(join(&self.urls.runpod_api, "pods"))
            .header(reqwest::header::AUTHORIZATION, &bearer);
        let (status, body) = self.send(pods, "RunPod").await?;
        match status {
            200 => {}
            401 | 403 => {
                return Err(CheckError::BadCredentials(format!(
                    "RunPod refused the API key: {}",
                    problem(&body)
                )));
            }
            _ => {
                return Err(CheckError::Protocol(format!(
                    "RunPod answered {status}: {}",
                    problem(&body)
                )));
            }
        }
        let gpus = self
            .http
            .get(join(&self.urls.runpod_api, "catalog/gpus"))
            .header(reqwest::header::AUTHORIZATION, &bearer);
        let (status, body) = self.send(gpus, "RunPod").await?;
        if status != 200 {
            return Err(CheckError::Protocol(format!(
                "RunPod's GPU catalogue answered {status}: {}",
                problem(&body)
            )));
        }
        Ok(HostFacts::Runpod {
            gpu_types: parse_gpus(&body)?,
        })
    }

    /// Sends `request`, reading at most [`MAX_REPLY_BYTES`] of the reply.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        service: &str,
    ) -> Result<(u16, Vec<u8>), CheckError> {
        let mut response = request
            .send()
            .await
            .map_err(|error| describe(&error, service))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| describe(&error, service))?
        {
            if body.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(CheckError::Protocol(format!(
                    "{service}'s reply is too large"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

/// `base` with `path` appended, keeping the base's own path (`/v1`).
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

/// A transport failure in words: refused, unreachable, TLS or timeout.
fn describe(error: &reqwest::Error, service: &str) -> CheckError {
    match outbound::classify(error) {
        Failure::Timeout => CheckError::Timeout,
        Failure::Tls(chain) => CheckError::Tls(format!("{service}: {chain}")),
        Failure::Refused => CheckError::Unreachable(format!("{service} refused the connection.")),
        Failure::Unreachable(chain) => {
            CheckError::Unreachable(format!("Cannot reach {service}: {chain}"))
        }
        Failure::Other(chain) => CheckError::Protocol(format!("{service}: {chain}")),
    }
}

/// Fly.io's error reply `{"error": "...", "message"?: "..."}`.
fn fly_error(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct FlyError {
        error: String,
        #[serde(default)]
        message: Option<String>,
    }
    match serde_json::from_slice::<FlyError>(body) {
        Ok(reply) => short(&reply.message.unwrap_or(reply.error)),
        Err(_) => "no error message".into(),
    }
}

/// RunPod's `application/problem+json` reply `{title, status, detail}`.
fn problem(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Problem {
        #[serde(default)]
        title: String,
        #[serde(default)]
        detail: Option<String>,
    }
    match serde_json::from_slice::<Problem>(body) {
        Ok(reply) => short(&reply.detail.unwrap_or(reply.title)),
        Err(_) => "no error message".into(),
    }
}

fn short(text: &str) -> String {
    text.chars().take(300).collect()
}

/// The GPU catalogue: a bare array or `{"gpus": [...]}` (the shape is not
/// documented), entries with `id`, `displayName` and `memoryInGb`.
fn parse_gpus(body: &[u8]) -> Result<Vec<GpuType>, CheckError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Gpu {
        id: String,
        #[serde(default)]
        display_name: Option<String>,
        #[serde(default)]
        memory_in_gb: Option<i64>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Catalogue {
        Bare(Vec<Gpu>),
        Wrapped { gpus: Vec<Gpu> },
    }
    let catalogue: Catalogue = serde_json::from_slice(body).map_err(|_| {
        CheckError::Protocol("RunPod's GPU catalogue was not the expected JSON".into())
    })?;
    let gpus = match catalogue {
        Catalogue::Bare(gpus) | Catalogue::Wrapped { gpus } => gpus,
    };
    Ok(gpus
        .into_iter()
        .map(|gpu| GpuType {
            display_name: gpu.display_name.unwrap_or_else(|| gpu.id.clone()),
            id: gpu.id,
            memory_gb: gpu.memory_in_gb,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_the_base_path() {
        let base = Url::parse("https://api.machines.dev/v1").unwrap();
        assert_eq!(
            join(&base, "apps").as_str(),
            "https://api.machines.dev/v1/apps"
        );
        let base = Url::parse("http://127.0.0.1:9/v2/").unwrap();
        assert_eq!(
            join(&base, "catalog/gpus").as_str(),
            "http://127.0.0.1:9/v2/catalog/gpus"
        );
    }

    #[test]
    fn the_gpu_catalogue_is_read_in_either_shape() {
        let bare = br#"[{"id":"NVIDIA A40","displayName":"A40","memoryInGb":48}]"#;
        let wrapped = br#"{"gpus":[{"id":"NVIDIA A40"}]}"#;
        assert_eq!(parse_gpus(bare).unwrap()[0].memory_gb, Some(48));
        assert_eq!(parse_gpus(wrapped).unwrap()[0].display_name, "NVIDIA A40");
        assert!(parse_gpus(b"{}").is_err());
    }

    #[test]
    fn provider_errors_show_their_message() {
        assert_eq!(fly_error(br#"{"error":"unauthorized"}"#), "unauthorized");
        assert_eq!(
            problem(br#"{"title":"Unauthorized","status":401,"detail":"bad key"}"#),
            "bad key"
        );
    }
}
