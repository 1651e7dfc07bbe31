//! Workspaces as the UI sees them: the caller's workspaces, members,
//! invitations and roles, and the server functions behind the workspace
//! switcher and the workspace settings page.

pub mod roles;
mod server_fns;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{AppError, auth::Client, scope::Scope};
use roles::Role;

pub use server_fns::*;

/// A workspace the caller belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// A member of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Unix seconds.
    pub joined_at: i64,
}

/// An invitation that has been sent and not yet accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The workspace settings page: who is in, who is invited, and what the
/// caller may do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDetail {
    pub workspace: WorkspaceSummary,
    pub members: Vec<Member>,
    /// Empty for callers who may not invite.
    pub invitations: Vec<PendingInvitation>,
}

/// What an invitation link offers, shown before accepting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub workspace_name: String,
    pub email: String,
    pub role: Role,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub action: String,
    pub actor: Option<String>,
    /// The event's particulars as `key: value` lines.
    pub detail: String,
    pub ip: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// The server's workspaces context, provided to server functions through
/// Leptos context as `Arc<dyn WorkspacesService>`. Every method that acts
/// inside a workspace takes the caller's [`Scope`] and checks the role
/// table itself; the server functions do not have to.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait WorkspacesService: Send + Sync + 'static {
    /// A new workspace with the caller as its owner.
    async fn create(
        &self,
        user_id: i64,
        name: &str,
        client: &Client,
    ) -> Result<WorkspaceSummary, AppError>;
    async fn rename(&self, scope: &Scope, name: &str, client: &Client) -> Result<(), AppError>;
    /// Deletes the workspace and everything in it (owners only).
    async fn delete(&self, scope: &Scope, client: &Client) -> Result<(), AppError>;
    async fn detail(&self, scope: &Scope) -> Result<WorkspaceDetail, AppError>;
    /// Mails an invitation link for `role` to `email`.
    async fn invite(
        &self,
        scope: &Scope,
        email: &str,
        role: Role,
        client: &Client,
    ) -> Result<(), AppError>;
    async fn revoke_invitation(
        &self,
        scope: &Scope,
        invitation_id: i64,
        client: &Client,
    ) -> Result<(), AppError>;
    /// What a still-valid invitation token offers.
    async fn preview_invitation(&self, token: &str) -> Result<InvitationPreview, AppError>;
    /// Joins the invitation's workspace as `user_id` and returns it.
    async fn accept_invitation(
        &self,
        user_id: i64,
        token: &str,
        client: &Client,
    ) -> Result<WorkspaceSummary, AppError>;
    async fn change_role(
        &self,
        scope: &Scope,
        member_id: i64,
        role: Role,
        client: &Client,
    ) -> Result<(), AppError>;
    async fn remove_member(
        &self,
        scope: &Scope,
        member_id: i64,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Leaves the workspace; refused for its last owner.
    async fn leave(&self, scope: &Scope, client: &Client) -> Result<(), AppError>;
    /// Makes `member_id` an owner and the caller an admin.
    async fn transfer_ownership(
        &self,
        scope: &Scope,
        member_id: i64,
        client: &Client,
    ) -> Result<(), AppError>;
    /// The newest audit entries of the workspace, older than `before` when
    /// given.
    async fn audit_log(
        &self,
        scope: &Scope,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, AppError>;
}
