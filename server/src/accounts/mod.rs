//! The accounts context: sign-up with email confirmation, sign-in by
//! password or mailed link, password reset and change, sessions.
//!
//! Replies that could tell whether an address has an account are the same
//! either way, and take about the same time: the password is hashed or
//! checked against a decoy even when there is no account, and mail is
//! sent in the background. Attempts are rate-limited per client address
//! and per email address.

mod email_change;
mod password;
mod recovery;
pub mod sessions;
mod sign_up;
pub mod store;

use std::sync::Arc;

use app::AppError;
use app::accounts::{AccountsService, NewAccount, SessionSummary, UserSummary, Viewer, validate};
use app::auth::Client;
use app::scope::Scope;
use app::workspaces::WorkspaceSummary;
use serde_json::json;
use url::Url;

pub use password::{ITERATIONS, MEMORY_KIB, PARALLELISM, PasswordError, Passwords};
use store::{Purpose, User};

use crate::audit::{self, Event};
use crate::db::Database;
use crate::mailer::{Mail, Mailer};
use crate::rate_limit::{Limit, RateLimiter};
use crate::tokens;
use crate::workspaces::store as workspace_store;

const SIGN_IN_PER_ADDRESS: Limit = Limit::per_minutes(30, 5);
const SIGN_IN_PER_EMAIL: Limit = Limit::per_minutes(10, 15);
const MAIL_PER_ADDRESS: Limit = Limit::per_minutes(20, 60);
const MAIL_PER_EMAIL: Limit = Limit::per_minutes(5, 60);
const SUDO_PER_ACCOUNT: Limit = Limit::per_minutes(10, 15);

#[derive(Debug, Clone)]
pub struct Accounts {
    db: Database,
    passwords: Passwords,
    mailer: Mailer,
    limits: Arc<RateLimiter>,
    public_url: Url,
}

fn internal(error: impl std::error::Error + 'static) -> AppError {
    AppError::internal(&error)
}

fn link_gone(what: &str) -> AppError {
    AppError::NotFound {
        what: format!("This {what} link (it may have expired or been used already)"),
    }
}

impl Accounts {
    pub fn new(
        db: Database,
        passwords: Passwords,
        mailer: Mailer,
        limits: Arc<RateLimiter>,
        public_url: Url,
    ) -> Self {
        Accounts {
            db,
            passwords,
            mailer,
            limits,
            public_url,
        }
    }

    fn address_key(client: &Client) -> String {
        client
            .ip
            .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
    }

    /// Counts a mail-sending request against the client and the address.
    fn limit_mail(
        &self,
        bucket: &'static str,
        email: &str,
        client: &Client,
    ) -> Result<(), AppError> {
        self.limits
            .hit(bucket, &Self::address_key(client), MAIL_PER_ADDRESS)?;
        self.limits.hit(bucket, email, MAIL_PER_EMAIL)
    }

    fn link(&self, path: &str, token: &str) -> String {
        let mut url = self.public_url.clone();
        url.set_path(path);
        url.set_query(Some(&format!("token={token}")));
        url.to_string()
    }

    /// Creates a token for `user` and mails its link to their address.
    async fn mail_token(&self, user: &User, purpose: Purpose) -> Result<(), AppError> {
        self.mail_token_to(user, purpose, &user.email, None).await
    }

    /// Mails a confirmation link carrying the password hash of the sign-up
    /// that asked for it.
    async fn mail_confirmation(
        &self,
        user: &User,
        password_hash: Option<&str>,
    ) -> Result<(), AppError> {
        self.mail_token_to(user, Purpose::ConfirmEmail, &user.email, password_hash)
            .await
    }

    /// Creates a token for `user` and mails its link to `to`.
    async fn mail_token_to(
        &self,
        user: &User,
        purpose: Purpose,
        to: &str,
        password_hash: Option<&str>,
    ) -> Result<(), AppError> {
        let token = tokens::generate();
        store::insert_token(&self.db, user.id, purpose, &token.hash, to, password_hash)
            .await
            .map_err(internal)?;
        let plain = token.plain.expose();
        let (subject, body) = match purpose {
            Purpose::ConfirmEmail => (
                "Confirm your email address for Caveman",
                format!(
                    "Hello {name},\n\nConfirm your email address to finish creating your Caveman account:\n{link}\n\n\
                     The link works once, for 48 hours. If you did not sign up, ignore this mail.\n",
                    name = user.display_name,
                    link = self.link("/confirm-email", plain),
                ),
            ),
            Purpose::ResetPassword => (
                "Reset your Caveman password",
                format!(
                    "Hello {name},\n\nChoose a new password here:\n{link}\n\n\
                     The link works once, for one hour. If you did not ask for this, ignore this mail; \
                     your password stays as it is.\n",
                    name = user.display_name,
                    link = self.link("/reset-password", plain),
                ),
            ),
            Purpose::MagicLink => (
                "Your Caveman sign-in link",
                format!(
                    "Hello {name},\n\nSign in to Caveman with this link:\n{link}\n\n\
                     The link works once, for 15 minutes. If you did not ask for it, ignore this mail.\n",
                    name = user.display_name,
                    link = self.link("/magic-link", plain),
                ),
            ),
            Purpose::ChangeEmail => (
                "Confirm your new email address for Caveman",
                format!(
                    "Hello {name},\n\nOpen this link to use this address for your Caveman account \
                     instead of {old}:\n{link}\n\n\
                     The link works once, for 24 hours. If you did not ask for this, ignore this mail.\n",
                    name = user.display_name,
                    old = user.email,
                    link = self.link("/confirm-email-change", plain),
                ),
            ),
        };
        self.mailer.send(Mail {
            to: to.to_string(),
            subject: subject.to_string(),
            body,
        });
        Ok(())
    }

    async fn record(
        &self,
        action: audit::Action,
        user: Option<&User>,
        email: Option<&str>,
        detail: serde_json::Value,
        client: &Client,
    ) -> Result<(), AppError> {
        audit::record(
            &self.db,
            Event {
                action,
                workspace_id: None,
                actor_id: user.map(|user| user.id),
                actor_email: email.or(user.map(|user| user.email.as_str())),
                detail,
                client,
            },
        )
        .await
        .map_err(internal)
    }

    /// The user's workspaces; a personal one is created for a user who
    /// has none (first sign-in, or after leaving the last one).
    async fn workspaces_of(&self, user: &User) -> Result<Vec<WorkspaceSummary>, AppError> {
        let workspaces = workspace_store::list_for_user(&self.db, user.id)
            .await
            .map_err(internal)?;
        if !workspaces.is_empty() {
            return Ok(workspaces);
        }
        let name = format!("{}'s workspace", user.display_name);
        let personal = workspace_store::create(&self.db, user.id, &name)
            .await
            .map_err(internal)?;
        Ok(vec![personal])
    }

    /// Looks the address up and mails it a link, in a background task: the
    /// reply must not take longer when the address has an account.
    fn mail_in_background(&self, email: &str, purpose: Purpose) {
        let this = self.clone();
        let email = email.to_string();
        tokio::spawn(async move {
            // Errors are logged where they are converted.
            let _ = async {
                if let Some(user) = store::user_by_email(&this.db, &email)
                    .await
                    .map_err(internal)?
                {
                    this.mail_token(&user, purpose).await?;
                }
                Ok::<_, AppError>(())
            }
            .await;
        });
    }

    async fn user(&self, user_id: i64) -> Result<Option<User>, AppError> {
        store::user_by_id(&self.db, user_id).await.map_err(internal)
    }
}

/// The workspace chosen in the session when the user still belongs to it,
/// else their first.
fn pick(workspaces: &[WorkspaceSummary], chosen: Option<i64>) -> Option<&WorkspaceSummary> {
    chosen
        .and_then(|id| workspaces.iter().find(|workspace| workspace.id == id))
        .or_else(|| workspaces.first())
}

#[async_trait::async_trait]
impl AccountsService for Accounts {
    async fn sign_up(&self, account: NewAccount, client: &Client) -> Result<(), AppError> {
        sign_up::sign_up(self, account, client).await
    }

    async fn confirm_email(&self, token: &str, client: &Client) -> Result<(), AppError> {
        sign_up::confirm_email(self, token, client).await
    }

    async fn resend_confirmation(&self, email: &str, client: &Client) -> Result<(), AppError> {
        sign_up::resend_confirmation(self, email, client).await
    }

    async fn sign_in(&self, email: &str, password: &str, client: &Client) -> Result<i64, AppError> {
        // Every attempt counts before the password is checked, so parallel
        // guesses cannot slip past the limit; a success is refunded, so
        // people who know their password are never locked out.
        let address = Self::address_key(client);
        self.limits.hit("sign_in", &address, SIGN_IN_PER_ADDRESS)?;
        if let Err(limited) = self.limits.hit("sign_in", email, SIGN_IN_PER_EMAIL) {
            self.limits.refund("sign_in", &address);
            return Err(limited);
        }
        let user = store::user_by_email(&self.db, email)
            .await
            .map_err(internal)?;
        let matches = self
            .passwords
            .verify(
                password,
                user.as_ref().map(|user| user.password_hash.as_str()),
            )
            .await
            .map_err(internal)?;
        let user = match user {
            Some(user) if matches => user,
            user => {
                self.record(
                    audit::Action::SignInFailed,
                    user.as_ref(),
                    Some(email),
                    json!({}),
                    client,
                )
                .await?;
                return Err(AppError::Invalid {
                    field: None,
                    message: "That email address and password do not match an account.".into(),
                });
            }
        };
        self.limits.refund("sign_in", &address);
        self.limits.refund("sign_in", email);
        if user.email_confirmed_at.is_none() {
            return Err(AppError::invalid(
                "email",
                "Confirm your email address first: use the link in the mail we sent, or ask for a new one.",
            ));
        }
        self.workspaces_of(&user).await?;
        self.record(
            audit::Action::SignInSucceeded,
            Some(&user),
            None,
            json!({ "method": "password" }),
            client,
        )
        .await?;
        Ok(user.id)
    }

    async fn request_password_reset(&self, email: &str, client: &Client) -> Result<(), AppError> {
        recovery::request_password_reset(self, email, client).await
    }

    async fn reset_password(
        &self,
        token: &str,
        password: &str,
        client: &Client,
    ) -> Result<i64, AppError> {
        recovery::reset_password(self, token, password, client).await
    }

    async fn request_magic_link(&self, email: &str, client: &Client) -> Result<(), AppError> {
        recovery::request_magic_link(self, email, client).await
    }

    async fn redeem_magic_link(&self, token: &str, client: &Client) -> Result<i64, AppError> {
        recovery::redeem_magic_link(self, token, client).await
    }

    async fn verify_password(
        &self,
        user_id: i64,
        password: &str,
        client: &Client,
    ) -> Result<(), AppError> {
        let account = user_id.to_string();
        self.limits.hit("sudo", &account, SUDO_PER_ACCOUNT)?;
        let user = self.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
        if self
            .passwords
            .verify(password, Some(&user.password_hash))
            .await
            .map_err(internal)?
        {
            self.limits.refund("sudo", &account);
            Ok(())
        } else {
            self.record(
                audit::Action::SignInFailed,
                Some(&user),
                None,
                json!({ "method": "password_confirmation" }),
                client,
            )
            .await?;
            Err(AppError::invalid("password", "That password is not right."))
        }
    }

    async fn change_password(
        &self,
        user_id: i64,
        current: &str,
        new: &str,
        current_session: &str,
        client: &Client,
    ) -> Result<(), AppError> {
        let user = self.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
        validate::new_password("new", new, &user.email)?;
        let account = user_id.to_string();
        self.limits.hit("sudo", &account, SUDO_PER_ACCOUNT)?;
        if !self
            .passwords
            .verify(current, Some(&user.password_hash))
            .await
            .map_err(internal)?
        {
            return Err(AppError::invalid(
                "current",
                "Your current password is not right.",
            ));
        }
        self.limits.refund("sudo", &account);
        let hash = self.passwords.hash(new).await.map_err(internal)?;
        store::set_password_hash(&self.db, user_id, &hash)
            .await
            .map_err(internal)?;
        let ended =
            store::delete_sessions(&self.db, user_id, Some(&sessions::id_hash(current_session)))
                .await
                .map_err(internal)?;
        self.mailer.send(Mail {
            to: user.email.clone(),
            subject: "Your Caveman password was changed".into(),
            body: format!(
                "Hello {name},\n\nThe password of your Caveman account was just changed, and your other \
                 sessions were signed out. If this was not you, reset your password now:\n{reset}\n",
                name = user.display_name,
                reset = self.public_url.join("/forgot-password").map(String::from).unwrap_or_default(),
            ),
        });
        self.record(
            audit::Action::PasswordChanged,
            Some(&user),
            None,
            json!({ "sessions_ended": ended }),
            client,
        )
        .await
    }

    async fn request_email_change(
        &self,
        user_id: i64,
        new_email: &str,
        password: &str,
        client: &Client,
    ) -> Result<(), AppError> {
        email_change::request_email_change(self, user_id, new_email, password, client).await
    }

    async fn confirm_email_change(&self, token: &str, client: &Client) -> Result<(), AppError> {
        email_change::confirm_email_change(self, token, client).await
    }

    async fn viewer(
        &self,
        user_id: i64,
        workspace_id: Option<i64>,
    ) -> Result<Option<Viewer>, AppError> {
        let Some(user) = self.user(user_id).await? else {
            return Ok(None);
        };
        let workspaces = self.workspaces_of(&user).await?;
        let workspace = pick(&workspaces, workspace_id)
            .cloned()
            .ok_or(AppError::Internal)?;
        Ok(Some(Viewer {
            user: UserSummary {
                id: user.id,
                email: user.email,
                display_name: user.display_name,
            },
            workspace,
            workspaces,
        }))
    }

    async fn scope(
        &self,
        user_id: i64,
        workspace_id: Option<i64>,
    ) -> Result<Option<Scope>, AppError> {
        if let Some(workspace_id) = workspace_id
            && let Some(role) = workspace_store::role_of(&self.db, workspace_id, user_id)
                .await
                .map_err(internal)?
        {
            return Ok(Some(Scope {
                user_id,
                workspace_id,
                role,
            }));
        }
        let Some(user) = self.user(user_id).await? else {
            return Ok(None);
        };
        let workspaces = self.workspaces_of(&user).await?;
        Ok(pick(&workspaces, None).map(|workspace| Scope {
            user_id,
            workspace_id: workspace.id,
            role: workspace.role,
        }))
    }

    async fn sessions(
        &self,
        user_id: i64,
        current_session: Option<&str>,
    ) -> Result<Vec<SessionSummary>, AppError> {
        let current = current_session.map(sessions::id_hash);
        let mut list = store::sessions_of(&self.db, user_id)
            .await
            .map_err(internal)?;
        for session in &mut list {
            session.current = current.as_deref() == Some(session.handle.as_str());
        }
        Ok(list)
    }

    async fn revoke_session(&self, user_id: i64, handle: &str) -> Result<(), AppError> {
        if store::delete_session(&self.db, user_id, handle)
            .await
            .map_err(internal)?
        {
            Ok(())
        } else {
            Err(AppError::NotFound {
                what: "The session".into(),
            })
        }
    }

    async fn end_sessions(&self, user_id: i64, except: Option<&str>) -> Result<(), AppError> {
        let except = except.map(sessions::id_hash);
        // Links mailed earlier stop working too: ending every session is
        // what someone does who fears their account is in other hands.
        store::invalidate_tokens(&self.db, user_id)
            .await
            .map_err(internal)?;
        // Reset or sign-in links mailed before the change stop working.
        store::invalidate_tokens(&self.db, user_id)
            .await
            .map_err(internal)?;
        let ended = store::delete_sessions(&self.db, user_id, except.as_deref())
            .await
            .map_err(internal)?;
        let user = self.user(user_id).await?;
        self.record(
            audit::Action::SessionsEnded,
            user.as_ref(),
            None,
            json!({ "sessions_ended": ended }),
            &Client::default(),
        )
        .await
    }
}
