//! Accounts as the UI sees them: who is signed in, their sessions, and the
//! server functions behind the sign-up, sign-in and account pages.
//!
//! The rules live in the server's accounts context, reached through
//! [`AccountsService`]; the server functions here only read the session,
//! call that service and shape the reply.

mod server_fns;
pub mod validate;

use serde::{Deserialize, Serialize};

use crate::workspaces::WorkspaceSummary;
#[cfg(feature = "ssr")]
use crate::{AppError, auth::Client, scope::Scope};

pub use server_fns::*;

/// The signed-in person, as shown in the interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
}

/// Everything the frame of every page needs about the caller: who they
/// are, the workspace they are in and the others they may switch to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: UserSummary,
    pub workspace: WorkspaceSummary,
    pub workspaces: Vec<WorkspaceSummary>,
}

/// One signed-in browser of the caller, for the sessions list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// An opaque handle for revoking the session (not its cookie value).
    pub handle: String,
    pub current: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What a new account is made from.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

/// The server's accounts context, provided to server functions through
/// Leptos context as `Arc<dyn AccountsService>`.
///
/// Methods that answer "we sent you a mail" (`sign_up`,
/// `request_password_reset`, `request_magic_link`) succeed the same way
/// whether or not the address has an account, and take about the same
/// time, so that they cannot be used to find out who has one.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AccountsService: Send + Sync + 'static {
    /// Creates an unconfirmed account and mails a confirmation link; for
    /// an address that already has an account, mails a notice instead.
    async fn sign_up(&self, account: NewAccount, client: &Client) -> Result<(), AppError>;
    /// Confirms the address the token was sent to.
    async fn confirm_email(&self, token: &str, client: &Client) -> Result<(), AppError>;
    /// Mails a new confirmation link to an unconfirmed account.
    async fn resend_confirmation(&self, email: &str, client: &Client) -> Result<(), AppError>;
    /// Checks a password and returns the account's id. Gives the personal
    /// workspace to an account that has none.
    async fn sign_in(&self, email: &str, password: &str, client: &Client) -> Result<i64, AppError>;
    /// Mails a password-reset link.
    async fn request_password_reset(&self, email: &str, client: &Client) -> Result<(), AppError>;
    /// Sets a new password with a reset token and ends every session of
    /// the account; returns the account's id.
    async fn reset_password(
        &self,
        token: &str,
        password: &str,
        client: &Client,
    ) -> Result<i64, AppError>;
    /// Mails a one-time sign-in link.
    async fn request_magic_link(&self, email: &str, client: &Client) -> Result<(), AppError>;
    /// Redeems a sign-in link and returns the account's id.
    async fn redeem_magic_link(&self, token: &str, client: &Client) -> Result<i64, AppError>;
    /// Checks the current password (for sudo mode and sensitive changes).
    async fn verify_password(
        &self,
        user_id: i64,
        password: &str,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Changes the password after checking the current one, and ends every
    /// other session of the account.
    async fn change_password(
        &self,
        user_id: i64,
        current: &str,
        new: &str,
        current_session: &str,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Mails a link to `new_email` that moves the account there, after
    /// checking the password. An address that already has an account gets
    /// a notice instead, and the reply is the same.
    async fn request_email_change(
        &self,
        user_id: i64,
        new_email: &str,
        password: &str,
        client: &Client,
    ) -> Result<(), AppError>;
    /// Moves the account to the address the token was sent to, and tells
    /// the old address.
    async fn confirm_email_change(&self, token: &str, client: &Client) -> Result<(), AppError>;
    /// The caller's frame: account, current workspace and the others.
    /// `None` when the account no longer exists.
    async fn viewer(
        &self,
        user_id: i64,
        workspace_id: Option<i64>,
    ) -> Result<Option<Viewer>, AppError>;
    /// Resolves a session's account and chosen workspace into a scope.
    /// `None` when the account no longer exists.
    async fn scope(
        &self,
        user_id: i64,
        workspace_id: Option<i64>,
    ) -> Result<Option<Scope>, AppError>;
    /// The account's live sessions; `current_session` is the caller's own
    /// session id, to mark it.
    async fn sessions(
        &self,
        user_id: i64,
        current_session: Option<&str>,
    ) -> Result<Vec<SessionSummary>, AppError>;
    /// Ends one session of the account.
    async fn revoke_session(&self, user_id: i64, handle: &str) -> Result<(), AppError>;
    /// Ends every session of the account, or every one but `except`.
    async fn end_sessions(&self, user_id: i64, except: Option<&str>) -> Result<(), AppError>;
}
