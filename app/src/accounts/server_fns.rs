//! The accounts server functions. Each one reads the session, calls the
//! accounts context and shapes the reply; rate limits, enumeration-safe
//! replies and the audit log are the context's business. The signed-out
//! forms also work as plain HTML posts: on success they redirect (sign-in)
//! or return to their page marked done (`auth::return_done`).

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;

use super::{SessionSummary, Viewer};
use crate::AppError;
#[cfg(feature = "ssr")]
use {
    super::{AccountsService, NewAccount, validate},
    crate::auth,
    crate::services::service,
};

#[cfg(feature = "ssr")]
fn accounts() -> Result<std::sync::Arc<dyn AccountsService>, AppError> {
    service::<dyn AccountsService>()
}

/// Creates an account and mails a confirmation link. Returns the address
/// the link went to, for the "check your inbox" message.
#[server(name = SignUpFn, prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    display_name: String,
    password: String,
) -> Result<String, AppError> {
    let email = validate::email("email", &email)?;
    let display_name = validate::name("display_name", &display_name)?;
    validate::new_password("password", &password, &email)?;
    let account = NewAccount {
        email: email.clone(),
        display_name,
        password,
    };
    accounts()?.sign_up(account, &auth::client()).await?;
    auth::return_done(<SignUpFn as ServerFn>::PATH, "/sign-up");
    Ok(email)
}

/// Confirms an email address with the token from the confirmation mail.
#[server(name = ConfirmEmailFn, prefix = "/api", endpoint = "confirm_email")]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    let token = validate::token(&token)?;
    accounts()?.confirm_email(token, &auth::client()).await?;
    auth::return_done(<ConfirmEmailFn as ServerFn>::PATH, "/confirm-email");
    Ok(())
}

/// Sends the confirmation mail again.
#[server(name = ResendConfirmationFn, prefix = "/api", endpoint = "resend_confirmation")]
pub async fn resend_confirmation(email: String) -> Result<(), AppError> {
    let email = validate::email("email", &email)?;
    accounts()?
        .resend_confirmation(&email, &auth::client())
        .await?;
    auth::return_done(<ResendConfirmationFn as ServerFn>::PATH, "/sign-up");
    Ok(())
}

/// Signs in with email and password, then goes to `next` (a local path).
#[server(name = SignInFn, prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    remember: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    let email = validate::email("email", &email)?;
    validate::given_password("password", &password)?;
    let client = auth::client();
    let user_id = accounts()?.sign_in(&email, &password, &client).await?;
    let session = auth::session().await?;
    auth::start_session(
        &session,
        user_id,
        auth::SignInMethod::Password,
        remember.is_some(),
        &client,
    )
    .await?;
    leptos_axum::redirect(&auth::local_path(next.as_deref()));
    Ok(())
}

/// Signs this browser out.
#[server(name = SignOutFn, prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let session = auth::session().await?;
    auth::end_session(&session).await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// The signed-in caller and their workspaces; `None` when signed out.
#[server(name = ViewerFn, prefix = "/api", endpoint = "viewer")]
pub async fn viewer() -> Result<Option<Viewer>, AppError> {
    let session = auth::session().await?;
    let Some(state) = auth::session_auth(&session).await? else {
        return Ok(None);
    };
    let viewer = accounts()?
        .viewer(state.user_id, state.workspace_id)
        .await?;
    if viewer.is_none() {
        // The account is gone: forget it in this browser too.
        auth::end_session(&session).await?;
    }
    Ok(viewer)
}

/// Mails a password-reset link, whether or not the address has an account.
#[server(name = RequestPasswordResetFn, prefix = "/api", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let email = validate::email("email", &email)?;
    accounts()?
        .request_password_reset(&email, &auth::client())
        .await?;
    auth::return_done(
        <RequestPasswordResetFn as ServerFn>::PATH,
        "/forgot-password",
    );
    Ok(())
}

/// Sets a new password with the token from a reset mail. Every session of
/// the account ends; the user signs in again with the new password.
#[server(name = ResetPasswordFn, prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    let token = validate::token(&token)?;
    validate::given_password("password", &password)?;
    accounts()?
        .reset_password(token, &password, &auth::client())
        .await?;
    auth::return_done(<ResetPasswordFn as ServerFn>::PATH, "/reset-password");
    Ok(())
}

/// Mails a one-time sign-in link, whether or not the address has an
/// account.
#[server(name = RequestMagicLinkFn, prefix = "/api", endpoint = "request_magic_link")]
pub async fn request_magic_link(email: String) -> Result<(), AppError> {
    let email = validate::email("email", &email)?;
    accounts()?
        .request_magic_link(&email, &auth::client())
        .await?;
    auth::return_done(<RequestMagicLinkFn as ServerFn>::PATH, "/sign-in-link");
    Ok(())
}

/// Signs in with the token from a sign-in link.
#[server(name = MagicSignInFn, prefix = "/api", endpoint = "magic_sign_in")]
pub async fn magic_sign_in(token: String) -> Result<(), AppError> {
    let token = validate::token(&token)?;
    let client = auth::client();
    let user_id = accounts()?.redeem_magic_link(token, &client).await?;
    let session = auth::session().await?;
    auth::start_session(
        &session,
        user_id,
        auth::SignInMethod::MailedLink,
        false,
        &client,
    )
    .await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Confirms the caller's password, unlocking sensitive actions for ten
/// minutes (sudo mode).
#[server(name = ConfirmPasswordFn, prefix = "/api", endpoint = "confirm_password")]
pub async fn confirm_password(password: String) -> Result<(), AppError> {
    validate::given_password("password", &password)?;
    let (session, mut state) = auth::signed_in().await?;
    accounts()?
        .verify_password(state.user_id, &password, &auth::client())
        .await?;
    state.sudo_until = Some(auth::now_secs() + auth::SUDO_FOR_SECS);
    auth::update_session(&session, &state).await
}

/// Changes the caller's password; their other sessions end.
#[server(name = ChangePasswordFn, prefix = "/api", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    validate::given_password("current", &current)?;
    let (session, state) = auth::signed_in().await?;
    let current_session = auth::session_id(&session).unwrap_or_default();
    accounts()?
        .change_password(
            state.user_id,
            &current,
            &new,
            &current_session,
            &auth::client(),
        )
        .await
}

/// Starts moving the caller's account to another address: a link goes
/// there, and the change happens when it is opened.
#[server(name = ChangeEmailFn, prefix = "/api", endpoint = "change_email")]
pub async fn change_email(email: String, password: String) -> Result<String, AppError> {
    let email = validate::email("email", &email)?;
    validate::given_password("password", &password)?;
    let (_, state) = auth::signed_in().await?;
    accounts()?
        .request_email_change(state.user_id, &email, &password, &auth::client())
        .await?;
    Ok(email)
}

/// Completes an address change with the token mailed to the new address.
#[server(name = ConfirmEmailChangeFn, prefix = "/api", endpoint = "confirm_email_change")]
pub async fn confirm_email_change(token: String) -> Result<(), AppError> {
    let token = validate::token(&token)?;
    accounts()?
        .confirm_email_change(token, &auth::client())
        .await?;
    auth::return_done(
        <ConfirmEmailChangeFn as ServerFn>::PATH,
        "/confirm-email-change",
    );
    Ok(())
}

/// The caller's signed-in browsers.
#[server(name = SessionsFn, prefix = "/api", endpoint = "sessions")]
pub async fn sessions() -> Result<Vec<SessionSummary>, AppError> {
    let (session, state) = auth::signed_in().await?;
    let current = auth::session_id(&session);
    accounts()?
        .sessions(state.user_id, current.as_deref())
        .await
}

/// Ends one of the caller's sessions.
#[server(name = RevokeSessionFn, prefix = "/api", endpoint = "revoke_session")]
pub async fn revoke_session(handle: String) -> Result<(), AppError> {
    let (_, state) = auth::signed_in().await?;
    accounts()?.revoke_session(state.user_id, &handle).await
}

/// Ends every session of the caller, this one included.
#[server(name = SignOutEverywhereFn, prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let (session, state) = auth::signed_in().await?;
    accounts()?.end_sessions(state.user_id, None).await?;
    auth::end_session(&session).await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}
