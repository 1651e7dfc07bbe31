//! The session side of signing in, for server functions: reading the
//! signed-in account from the session cookie, starting and ending
//! sessions, sudo mode, and the request's client facts for audit and rate
//! limits.
//!
//! Sessions are tower-sessions records kept in the database by the server.
//! What Caveman keeps in one is [`SessionAuth`] under [`AUTH_KEY`], and
//! [`Client`] under [`CLIENT_KEY`] for the sessions list.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use http::request::Parts;
use leptos::prelude::use_context;
use serde::{Deserialize, Serialize};
use tower_sessions::{Expiry, Session};

use crate::AppError;
use crate::accounts::AccountsService;
use crate::scope::Scope;
use crate::services::service;

/// Session key of [`SessionAuth`].
pub const AUTH_KEY: &str = "caveman.auth";
/// Session key of the [`Client`] that signed in.
pub const CLIENT_KEY: &str = "caveman.client";
/// How long "remember me" keeps a browser signed in.
pub const REMEMBER_FOR: time::Duration = time::Duration::days(60);
/// How long a password confirmation unlocks sensitive actions.
pub const SUDO_FOR_SECS: i64 = 10 * 60;

/// Who a session belongs to and what it has unlocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: i64,
    /// Unix seconds.
    pub signed_in_at: i64,
    /// Sensitive actions are allowed until this time (Unix seconds).
    pub sudo_until: Option<i64>,
    /// The workspace chosen in this session; the account's first one when
    /// unset or no longer accessible.
    pub workspace_id: Option<i64>,
}

/// The client's address, as the server's accept loop saw it. Inserted into
/// every request's extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Facts about the requesting client, for the audit log, rate limits and
/// the sessions list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// User agents are shown in the sessions list only; longer ones are cut.
const USER_AGENT_MAX: usize = 256;

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// The client of the request being handled.
pub fn client() -> Client {
    let Some(parts) = use_context::<Parts>() else {
        return Client::default();
    };
    let ip = parts
        .extensions
        .get::<ClientAddr>()
        .map(|ClientAddr(ip)| *ip);
    let user_agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.chars().take(USER_AGENT_MAX).collect());
    Client { ip, user_agent }
}

/// The request's session. Its absence means the session layer is not
/// installed: a wiring bug, reported as an internal error.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session on the request");
        AppError::Internal
    })
}

/// The signed-in account of `session`, if any.
pub async fn session_auth(session: &Session) -> Result<Option<SessionAuth>, AppError> {
    session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(|error| AppError::internal(&error))
}

/// The signed-in account of this request, or [`AppError::Unauthenticated`].
pub async fn signed_in() -> Result<(Session, SessionAuth), AppError> {
    let session = session().await?;
    let auth = session_auth(&session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((session, auth))
}

/// The caller's scope: account, current workspace and role there.
pub async fn scope() -> Result<Scope, AppError> {
    let (_, auth) = signed_in().await?;
    service::<dyn AccountsService>()?
        .scope(auth.user_id, auth.workspace_id)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The caller's scope in workspace `workspace_id`, named by the page that
/// acts on it, so that an action never lands on another workspace because
/// the session's current one changed meanwhile (in another tab, or by a
/// removal). Not-found when the caller is not a member.
pub async fn scope_in(workspace_id: i64) -> Result<Scope, AppError> {
    let (_, auth) = signed_in().await?;
    let scope = service::<dyn AccountsService>()?
        .scope(auth.user_id, Some(workspace_id))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if scope.workspace_id == workspace_id {
        Ok(scope)
    } else {
        Err(AppError::NotFound {
            what: "The workspace".into(),
        })
    }
}

/// The session id as the store knows it, for marking the current session
/// and sparing it when ending the others.
pub fn session_id(session: &Session) -> Option<String> {
    session.id().map(|id| id.to_string())
}

/// How a session was signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// The password was typed, which counts as confirming it (sudo mode
    /// starts at once).
    Password,
    /// A mailed link: proves the mailbox, not the password, so sensitive
    /// actions still ask for it.
    MailedLink,
}

/// Signs `user_id` in on this request's session: a new session id (so a
/// session id planted before sign-in is worthless), the account and the
/// client recorded, and the cookie kept for 60 days when asked to
/// remember, else until the browser closes.
pub async fn start_session(
    session: &Session,
    user_id: i64,
    method: SignInMethod,
    remember: bool,
    client: &Client,
) -> Result<(), AppError> {
    session
        .cycle_id()
        .await
        .map_err(|error| AppError::internal(&error))?;
    session.clear().await;
    let now = now_secs();
    let auth = SessionAuth {
        user_id,
        signed_in_at: now,
        sudo_until: (method == SignInMethod::Password).then_some(now + SUDO_FOR_SECS),
        workspace_id: None,
    };
    session
        .insert(AUTH_KEY, &auth)
        .await
        .map_err(|error| AppError::internal(&error))?;
    session
        .insert(CLIENT_KEY, client)
        .await
        .map_err(|error| AppError::internal(&error))?;
    session.set_expiry(Some(if remember {
        Expiry::AtDateTime(time::OffsetDateTime::now_utc() + REMEMBER_FOR)
    } else {
        Expiry::OnSessionEnd
    }));
    Ok(())
}

/// Replaces the session's [`SessionAuth`] with `auth`.
pub async fn update_session(session: &Session, auth: &SessionAuth) -> Result<(), AppError> {
    session
        .insert(AUTH_KEY, auth)
        .await
        .map_err(|error| AppError::internal(&error))
}

/// Signs this browser out: the session record is deleted and the cookie
/// removed.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session
        .flush()
        .await
        .map_err(|error| AppError::internal(&error))
}

/// `Ok` when the caller confirmed their password in the last ten
/// minutes, else [`AppError::SudoRequired`].
pub fn require_sudo(auth: &SessionAuth) -> Result<(), AppError> {
    match auth.sudo_until {
        Some(until) if until > now_secs() => Ok(()),
        _ => Err(AppError::SudoRequired),
    }
}

/// A path to return to after signing in: only a path on this site, so the
/// parameter cannot send users elsewhere.
pub fn local_path(next: Option<&str>) -> String {
    next.filter(|path| is_local_path(path))
        .unwrap_or("/")
        .to_string()
}

/// Whether `path` stays on this site: it starts at the root and cannot
/// be read as another host (`//host`, `/\host`) or hide a control
/// character.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

/// Whether the request being handled is a plain HTML form post: sent by
/// a page that has not hydrated yet, or runs without JavaScript. Browsers
/// send `Accept: text/html` with those; the server functions' own client
/// does not.
pub fn is_plain_form_post() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// After a plain form post to the server function at `server_fn_path`
/// succeeded, sends the browser back to the page it came from marked
/// `?done=<path>`, which `components::forms::succeeded_or_done` reads, so
/// that the page shows the outcome (leptos_axum alone sends it back
/// unmarked). A browser that sends no usable `Referer` goes back to
/// `form_page`, the page the form is on. Does nothing for the server
/// functions' own client.
pub fn return_done(server_fn_path: &str, form_page: &str) {
    if !is_plain_form_post() {
        return;
    }
    let referer = use_context::<Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::REFERER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    });
    leptos_axum::redirect(&done_path(referer.as_deref(), server_fn_path, form_page));
}

/// The path and query of `referer` (never its origin: the redirect stays
/// on this site), or `form_page` when there is none, without the marks of
/// an earlier post, plus `done`.
fn done_path(referer: Option<&str>, server_fn_path: &str, form_page: &str) -> String {
    let local = referer
        .and_then(|referer| referer.split_once("://"))
        // The path starts where the authority ends, if it ends with a `/`.
        .and_then(|(_, rest)| {
            rest.find(['/', '?', '#'])
                .map(|at| &rest[at..])
                .filter(|path| path.starts_with('/'))
        })
        .map(|path| path.split('#').next().unwrap_or_default())
        .filter(|path| is_local_path(path))
        .unwrap_or(form_page);
    let (path, query) = local.split_once('?').unwrap_or((local, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            !pair.is_empty() && !matches!(key, "done" | "__err" | "__path")
        })
        .collect();
    let done = format!("done={server_fn_path}");
    pairs.push(&done);
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::{done_path, local_path};

    #[test]
    fn a_plain_post_returns_to_its_own_page_on_this_site_marked_done() {
        assert_eq!(
            done_path(
                Some("https://caveman.example/forgot-password"),
                "/api/request_password_reset",
                "/forgot-password"
            ),
            "/forgot-password?done=/api/request_password_reset"
        );
        // The marks of an earlier failed or successful post go; the rest stays.
        assert_eq!(
            done_path(
                Some(
                    "http://127.0.0.1:3000/reset-password?token=abc&__path=/api/x&__err=e30&done=/api/y#top"
                ),
                "/api/reset_password",
                "/reset-password"
            ),
            "/reset-password?token=abc&done=/api/reset_password"
        );
        // Without a Referer, or with one that leaves this site, the form's
        // own page.
        assert_eq!(
            done_path(None, "/api/sign_up", "/sign-up"),
            "/sign-up?done=/api/sign_up"
        );
        assert_eq!(
            done_path(
                Some("https://evil.example//other.example/x"),
                "/api/sign_up",
                "/sign-up"
            ),
            "/sign-up?done=/api/sign_up"
        );
        for hostile in [
            "https://caveman.example/\\evil.example",
            "https://caveman.example",
            "/no-scheme",
            "https://caveman.example/a\tb",
            "https://caveman.example?x=/elsewhere",
        ] {
            assert_eq!(
                done_path(Some(hostile), "/api/sign_up", "/sign-up"),
                "/sign-up?done=/api/sign_up",
                "{hostile:?}"
            );
        }
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/hosts?x=1")), "/hosts?x=1");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
