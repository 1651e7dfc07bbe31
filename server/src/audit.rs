//! The audit log: security events with who, where, when and from which
//! address. Rows are only ever inserted; the database refuses updates and
//! deletes with triggers (see the accounts migration).

use app::AppError;
use app::auth::{Client, now_secs};
use app::scope::Scope;
use serde_json::Value;

use crate::db::Database;

/// The events recorded. The stored name is [`Action::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignedUp,
    EmailConfirmed,
    SignInSucceeded,
    SignInFailed,
    MagicLinkSignIn,
    PasswordReset,
    PasswordChanged,
    EmailChanged,
    SessionsEnded,
    WorkspaceCreated,
    WorkspaceRenamed,
    WorkspaceDeleted,
    MemberInvited,
    InvitationRevoked,
    InvitationAccepted,
    RoleChanged,
    MemberRemoved,
    MemberLeft,
    OwnershipTransferred,
    ApiTokenCreated,
    ApiTokenRevoked,
    HostCreated,
    HostChanged,
    HostCredentialsReplaced,
    HostKeyPinned,
    HostDeleted,
    SourceCreated,
    SourceChanged,
    SourceCredentialsReplaced,
    SourceHostKeyPinned,
    SourceDeleted,
    VaultRotated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignedUp => "signed_up",
            Action::EmailConfirmed => "email_confirmed",
            Action::SignInSucceeded => "sign_in_succeeded",
            Action::SignInFailed => "sign_in_failed",
            Action::MagicLinkSignIn => "magic_link_sign_in",
            Action::PasswordReset => "password_reset",
            Action::PasswordChanged => "password_changed",
            Action::EmailChanged => "email_changed",
            Action::SessionsEnded => "sessions_ended",
            Action::WorkspaceCreated => "workspace_created",
            Action::WorkspaceRenamed => "workspace_renamed",
            Action::WorkspaceDeleted => "workspace_deleted",
            Action::MemberInvited => "member_invited",
            Action::InvitationRevoked => "invitation_revoked",
            Action::InvitationAccepted => "invitation_accepted",
            Action::RoleChanged => "role_changed",
            Action::MemberRemoved => "member_removed",
            Action::MemberLeft => "member_left",
            Action::OwnershipTransferred => "ownership_transferred",
            Action::ApiTokenCreated => "api_token_created",
            Action::ApiTokenRevoked => "api_token_revoked",
            Action::HostCreated => "host_created",
            Action::HostChanged => "host_changed",
            Action::HostCredentialsReplaced => "host_credentials_replaced",
            Action::HostKeyPinned => "host_key_pinned",
            Action::HostDeleted => "host_deleted",
            Action::SourceCreated => "source_created",
            Action::SourceChanged => "source_changed",
            Action::SourceCredentialsReplaced => "source_credentials_replaced",
            Action::SourceHostKeyPinned => "source_host_key_pinned",
            Action::SourceDeleted => "source_deleted",
            Action::VaultRotated => "vault_rotated",
        }
    }
}

/// One event to record. `detail` is a JSON object of particulars; it
/// must never hold a secret.
#[derive(Debug)]
pub struct Event<'a> {
    pub action: Action,
    pub workspace_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_email: Option<&'a str>,
    pub detail: Value,
    pub client: &'a Client,
}

/// Appends `event` to the log.
pub async fn record(db: &Database, event: Event<'_>) -> Result<(), sqlx::Error> {
    let ip = event.client.ip.map(|ip| ip.to_string());
    let detail = event.detail.to_string();
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO audit_events \
             (workspace_id, actor_id, actor_email, action, detail, ip, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(event.workspace_id)
        .bind(event.actor_id)
        .bind(event.actor_email)
        .bind(event.action.as_str())
        .bind(&detail)
        .bind(&ip)
        .bind(now_secs())
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Appends an event done by the caller of `scope` in its workspace: what
/// every domain context records after a change.
pub async fn record_in_scope(
    db: &Database,
    scope: &Scope,
    action: Action,
    detail: Value,
    client: &Client,
) -> Result<(), AppError> {
    let event = Event {
        action,
        workspace_id: Some(scope.workspace_id),
        actor_id: Some(scope.user_id),
        actor_email: None,
        detail,
        client,
    };
    record(db, event)
        .await
        .map_err(|error| AppError::internal(&error))
}
