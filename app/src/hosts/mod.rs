//! Hosts: where workloads run. A host is a Docker engine, a Fly.io
//! organisation or a RunPod account, belongs to one workspace, and may
//! hold credentials that the server keeps sealed by the vault and never
//! sends back. Admins and owners manage hosts; members see them and may
//! run a connection test.

pub mod server_fns;
pub mod validate;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{AppError, auth::Client, scope::Scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKind {
    Docker,
    Fly,
    Runpod,
}

impl HostKind {
    pub const ALL: [HostKind; 3] = [HostKind::Docker, HostKind::Fly, HostKind::Runpod];

    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Docker => "docker",
            HostKind::Fly => "fly",
            HostKind::Runpod => "runpod",
        }
    }

    pub fn parse(value: &str) -> Option<HostKind> {
        HostKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            HostKind::Docker => "Docker engine",
            HostKind::Fly => "Fly.io organisation",
            HostKind::Runpod => "RunPod account",
        }
    }
}

/// How Caveman reaches a Docker engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DockerTransport {
    /// A unix socket on the machine Caveman runs on.
    Unix,
    /// TCP with mutual TLS (`dockerd --tlsverify`).
    Tls,
    /// SSH, forwarded to the engine's socket on the remote machine.
    Ssh,
}

impl DockerTransport {
    pub const ALL: [DockerTransport; 3] = [
        DockerTransport::Unix,
        DockerTransport::Tls,
        DockerTransport::Ssh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DockerTransport::Unix => "unix",
            DockerTransport::Tls => "tls",
            DockerTransport::Ssh => "ssh",
        }
    }

    pub fn parse(value: &str) -> Option<DockerTransport> {
        DockerTransport::ALL
            .into_iter()
            .find(|transport| transport.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            DockerTransport::Unix => "Docker engine on this machine",
            DockerTransport::Tls => "Docker engine over TLS",
            DockerTransport::Ssh => "Docker engine over SSH",
        }
    }
}

/// What a host's stored credential is, which decides the form that
/// replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A local socket needs none.
    None,
    /// Fly.io's API token.
    ApiToken,
    /// RunPod's API key.
    ApiKey,
    /// An SSH private key.
    SshKey,
    /// A CA certificate, client certificate and client key.
    TlsFiles,
}

impl CredentialKind {
    pub fn label(self) -> &'static str {
        match self {
            CredentialKind::None => "no credential",
            CredentialKind::ApiToken => "API token",
            CredentialKind::ApiKey => "API key",
            CredentialKind::SshKey => "SSH private key",
            CredentialKind::TlsFiles => "TLS CA, certificate and key",
        }
    }
}

/// The outcome of the last connection test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostStatus {
    /// Never tested.
    Unknown,
    Reachable,
    Unreachable,
}

impl HostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Unknown => "unknown",
            HostStatus::Reachable => "reachable",
            HostStatus::Unreachable => "unreachable",
        }
    }

    pub fn parse(value: &str) -> Option<HostStatus> {
        [
            HostStatus::Unknown,
            HostStatus::Reachable,
            HostStatus::Unreachable,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// A host as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSummary {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub kind: HostKind,
    /// How a Docker engine is reached; `None` for the other kinds.
    pub transport: Option<DockerTransport>,
    /// Where it is, in words: a socket path, an address, an organisation.
    pub target: String,
    pub labels: Vec<String>,
    pub status: HostStatus,
    /// Unix seconds of the last connection test.
    pub checked_at: Option<i64>,
    pub latency_ms: Option<i64>,
}

/// A host with everything known about it except its secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostDetail {
    pub summary: HostSummary,
    pub description: String,
    /// What the credential is and whether one is stored; its value never
    /// leaves the server.
    pub credential_kind: CredentialKind,
    pub has_credentials: bool,
    /// `host:port`, for Docker engines over TLS or SSH.
    pub address: Option<String>,
    /// The pinned SSH host key's fingerprint (`SHA256:…`), for SSH hosts.
    pub host_key_fingerprint: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// What the last successful test found.
    pub facts: Option<HostFacts>,
    /// Why the last test failed, when it did.
    pub check_error: Option<String>,
}

/// What a connection test learns, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HostFacts {
    Docker {
        engine_version: String,
        api_version: String,
        min_api_version: String,
        os: String,
        os_type: String,
        architecture: String,
        kernel_version: String,
        cpus: i64,
        memory_bytes: i64,
        containers_running: i64,
        containers: i64,
        images: i64,
    },
    Fly {
        org_slug: String,
        app_count: i64,
    },
    Runpod {
        gpu_types: Vec<GpuType>,
    },
}

/// One GPU model of RunPod's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuType {
    pub id: String,
    pub display_name: String,
    pub memory_gb: Option<i64>,
}

/// A host to add, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHost {
    pub name: String,
    pub description: String,
    pub labels: Vec<String>,
    pub target: NewTarget,
}

/// Where a new host is and its credential, by kind.
#[derive(Clone, PartialEq, Eq)]
pub enum NewTarget {
    Docker {
        socket_path: String,
    },
    DockerTls {
        /// `host:port`.
        address: String,
        tls: TlsFiles,
    },
    DockerSsh {
        /// `host:port`.
        address: String,
        user: String,
        remote_socket: String,
        private_key: String,
        /// The fingerprint the operator confirmed; the server pins the key
        /// only if the host still presents that one.
        host_key_fingerprint: String,
    },
    Fly {
        org_slug: String,
        api_token: String,
    },
    Runpod {
        api_key: String,
    },
}

/// The PEM texts of a mutual-TLS Docker host, as pasted.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsFiles([redacted])")
    }
}

impl std::fmt::Debug for NewTarget {
    /// Never prints a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewTarget::Docker { socket_path } => write!(f, "Docker({socket_path})"),
            NewTarget::DockerTls { address, .. } => write!(f, "DockerTls({address}, [redacted])"),
            NewTarget::DockerSsh {
                address,
                user,
                remote_socket,
                ..
            } => write!(f, "DockerSsh({user}@{address}{remote_socket}, [redacted])"),
            NewTarget::Fly { org_slug, .. } => write!(f, "Fly({org_slug}, [redacted])"),
            NewTarget::Runpod { .. } => write!(f, "Runpod([redacted])"),
        }
    }
}

impl NewTarget {
    pub fn kind(&self) -> HostKind {
        match self {
            NewTarget::Docker { .. }
            | NewTarget::DockerTls { .. }
            | NewTarget::DockerSsh { .. } => HostKind::Docker,
            NewTarget::Fly { .. } => HostKind::Fly,
            NewTarget::Runpod { .. } => HostKind::Runpod,
        }
    }
}

/// A replacement credential, as sent; which fields count depends on the
/// host, which only the server knows.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewCredentials {
    /// An API token or key.
    pub secret: Option<String>,
    pub private_key: Option<String>,
    pub tls: Option<TlsFiles>,
}

impl std::fmt::Debug for NewCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewCredentials([redacted])")
    }
}

/// The key an SSH server presents, for the operator to compare with
/// `ssh-keygen -lf` on that machine before it is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedHostKey {
    /// The address scanned, as `host:port`.
    pub address: String,
    /// `SHA256:…`.
    pub fingerprint: String,
    /// Like `ssh-ed25519`.
    pub algorithm: String,
}

/// Changes to a host's non-secret settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostChanges {
    pub name: String,
    pub description: String,
    pub labels: Vec<String>,
}

/// The server's hosts context, provided through Leptos context as
/// `Arc<dyn HostsService>`. Every method takes the caller's scope and
/// checks the role itself.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait HostsService: Send + Sync + 'static {
    async fn list(&self, scope: &Scope) -> Result<Vec<HostSummary>, AppError>;
    async fn detail(&self, scope: &Scope, id: i64) -> Result<HostDetail, AppError>;
    async fn create(&self, scope: &Scope, host: NewHost, client: &Client) -> Result<i64, AppError>;
    async fn update(
        &self,
        scope: &Scope,
        id: i64,
        changes: HostChanges,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Replaces the host's credential; the caller checked sudo mode.
    async fn replace_credentials(
        &self,
        scope: &Scope,
        id: i64,
        credentials: NewCredentials,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Connects to an SSH server only to read its host key.
    async fn scan_host_key(&self, scope: &Scope, address: &str)
    -> Result<ScannedHostKey, AppError>;
    /// Pins the key an SSH host presents now, if it is the one with the
    /// fingerprint the operator confirmed; the caller checked sudo mode.
    async fn pin_host_key(
        &self,
        scope: &Scope,
        id: i64,
        fingerprint: &str,
        client: &Client,
    ) -> Result<HostDetail, AppError>;
    /// Runs a connection test now and stores its outcome.
    async fn test(&self, scope: &Scope, id: i64) -> Result<HostDetail, AppError>;
    async fn delete(&self, scope: &Scope, id: i64, client: &Client) -> Result<(), AppError>;
}
