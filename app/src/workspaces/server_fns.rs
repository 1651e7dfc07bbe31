//! The workspace server functions: resolve the caller's scope, call the
//! workspaces context (which checks the role table), shape the reply.

use leptos::prelude::*;

use super::{AuditEntry, InvitationPreview, WorkspaceDetail, WorkspaceSummary};
use crate::AppError;
#[cfg(feature = "ssr")]
use {
    super::{WorkspacesService, roles::Role},
    crate::accounts::validate,
    crate::auth,
    crate::services::service,
};

#[cfg(feature = "ssr")]
fn workspaces() -> Result<std::sync::Arc<dyn WorkspacesService>, AppError> {
    service::<dyn WorkspacesService>()
}

/// Makes workspace `id` the current one of this session.
#[server(name = SwitchWorkspaceFn, prefix = "/api", endpoint = "switch_workspace")]
pub async fn switch_workspace(id: i64) -> Result<(), AppError> {
    let (session, mut state) = auth::signed_in().await?;
    auth::scope_in(id).await?;
    state.workspace_id = Some(id);
    auth::update_session(&session, &state).await
}

/// Creates a workspace owned by the caller and switches to it.
#[server(name = CreateWorkspaceFn, prefix = "/api", endpoint = "create_workspace")]
pub async fn create_workspace(name: String) -> Result<WorkspaceSummary, AppError> {
    let name = validate::name("name", &name)?;
    let (session, mut state) = auth::signed_in().await?;
    let workspace = workspaces()?
        .create(state.user_id, &name, &auth::client())
        .await?;
    state.workspace_id = Some(workspace.id);
    auth::update_session(&session, &state).await?;
    Ok(workspace)
}

#[server(name = RenameWorkspaceFn, prefix = "/api", endpoint = "rename_workspace")]
pub async fn rename_workspace(workspace_id: i64, name: String) -> Result<(), AppError> {
    let name = validate::name("name", &name)?;
    let scope = auth::scope_in(workspace_id).await?;
    workspaces()?.rename(&scope, &name, &auth::client()).await
}

/// Deletes the current workspace. Owners only, in sudo mode.
#[server(name = DeleteWorkspaceFn, prefix = "/api", endpoint = "delete_workspace")]
pub async fn delete_workspace(workspace_id: i64) -> Result<(), AppError> {
    let (session, mut state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    auth::require_sudo(&state)?;
    workspaces()?.delete(&scope, &auth::client()).await?;
    if state.workspace_id == Some(workspace_id) {
        state.workspace_id = None;
    }
    auth::update_session(&session, &state).await
}

/// The current workspace's members and pending invitations.
#[server(name = WorkspaceDetailFn, prefix = "/api", endpoint = "workspace_detail")]
pub async fn workspace_detail() -> Result<WorkspaceDetail, AppError> {
    let scope = auth::scope().await?;
    workspaces()?.detail(&scope).await
}

#[server(name = InviteMemberFn, prefix = "/api", endpoint = "invite_member")]
pub async fn invite_member(workspace_id: i64, email: String, role: String) -> Result<(), AppError> {
    let email = validate::email("email", &email)?;
    let role = Role::parse(&role)?;
    let scope = auth::scope_in(workspace_id).await?;
    workspaces()?
        .invite(&scope, &email, role, &auth::client())
        .await
}

#[server(name = RevokeInvitationFn, prefix = "/api", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(workspace_id: i64, id: i64) -> Result<(), AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    workspaces()?
        .revoke_invitation(&scope, id, &auth::client())
        .await
}

/// What an invitation link offers. Open to anyone holding the token.
#[server(name = InvitationPreviewFn, prefix = "/api", endpoint = "invitation_preview")]
pub async fn invitation_preview(token: String) -> Result<InvitationPreview, AppError> {
    let token = validate::token(&token)?;
    workspaces()?.preview_invitation(token).await
}

/// Accepts an invitation as the signed-in caller and switches to its
/// workspace.
#[server(name = AcceptInvitationFn, prefix = "/api", endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let token = validate::token(&token)?;
    let (session, mut state) = auth::signed_in().await?;
    let workspace = workspaces()?
        .accept_invitation(state.user_id, token, &auth::client())
        .await?;
    state.workspace_id = Some(workspace.id);
    auth::update_session(&session, &state).await?;
    leptos_axum::redirect("/settings/workspace");
    Ok(())
}

/// Changes a member's role. Needs sudo mode.
#[server(name = ChangeRoleFn, prefix = "/api", endpoint = "change_role")]
pub async fn change_role(workspace_id: i64, user_id: i64, role: String) -> Result<(), AppError> {
    let role = Role::parse(&role)?;
    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    auth::require_sudo(&state)?;
    workspaces()?
        .change_role(&scope, user_id, role, &auth::client())
        .await
}

#[server(name = RemoveMemberFn, prefix = "/api", endpoint = "remove_member")]
pub async fn remove_member(workspace_id: i64, user_id: i64) -> Result<(), AppError> {
    let scope = auth::scope_in(workspace_id).await?;
    workspaces()?
        .remove_member(&scope, user_id, &auth::client())
        .await
}

/// Leaves the current workspace.
#[server(name = LeaveWorkspaceFn, prefix = "/api", endpoint = "leave_workspace")]
pub async fn leave_workspace(workspace_id: i64) -> Result<(), AppError> {
    let (session, mut state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    workspaces()?.leave(&scope, &auth::client()).await?;
    if state.workspace_id == Some(workspace_id) {
        state.workspace_id = None;
    }
    auth::update_session(&session, &state).await
}

/// Hands the current workspace to another member. Owners only, in sudo
/// mode.
#[server(name = TransferOwnershipFn, prefix = "/api", endpoint = "transfer_ownership")]
pub async fn transfer_ownership(workspace_id: i64, user_id: i64) -> Result<(), AppError> {
    let (_, state) = auth::signed_in().await?;
    let scope = auth::scope_in(workspace_id).await?;
    auth::require_sudo(&state)?;
    workspaces()?
        .transfer_ownership(&scope, user_id, &auth::client())
        .await
}

/// The current workspace's audit log, newest first, 50 at a time.
#[server(name = AuditLogFn, prefix = "/api", endpoint = "audit_log")]
pub async fn audit_log(before: Option<i64>) -> Result<Vec<AuditEntry>, AppError> {
    let scope = auth::scope().await?;
    workspaces()?.audit_log(&scope, before).await
}
