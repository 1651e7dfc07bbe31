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

    /// What the kind's credential is called in forms, when it has one.
    pub fn secret_label(self) -> Option<&'static str> {
        match self {
            HostKind::Docker => None,
            HostKind::Fly => Some("API token"),
            HostKind::Runpod => Some("API key"),
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
    /// Where it is, in words: a socket path, an organisation slug.
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
    /// Whether credentials are stored; their value never leaves the server.
    pub has_credentials: bool,
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
    Docker { socket_path: String },
    Fly { org_slug: String, api_token: String },
    Runpod { api_key: String },
}

impl std::fmt::Debug for NewTarget {
    /// Never prints a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewTarget::Docker { socket_path } => write!(f, "Docker({socket_path})"),
            NewTarget::Fly { org_slug, .. } => write!(f, "Fly({org_slug}, [redacted])"),
            NewTarget::Runpod { .. } => write!(f, "Runpod([redacted])"),
        }
    }
}

impl NewTarget {
    pub fn kind(&self) -> HostKind {
        match self {
            NewTarget::Docker { .. } => HostKind::Docker,
            NewTarget::Fly { .. } => HostKind::Fly,
            NewTarget::Runpod { .. } => HostKind::Runpod,
        }
    }
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
        secret: String,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Runs a connection test now and stores its outcome.
    async fn test(&self, scope: &Scope, id: i64) -> Result<HostDetail, AppError>;
    async fn delete(&self, scope: &Scope, id: i64, client: &Client) -> Result<(), AppError>;
}
