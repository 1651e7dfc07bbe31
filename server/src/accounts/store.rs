//! The accounts context's SQL: users, their mailed tokens and their
//! session rows. Every statement is the same on both engines.

use app::accounts::SessionSummary;
use app::auth::now_secs;

use crate::db::Database;

/// A user row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub email_confirmed_at: Option<i64>,
}

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ConfirmEmail,
    ResetPassword,
    MagicLink,
    ChangeEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ConfirmEmail => "confirm_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::MagicLink => "magic_link",
            Purpose::ChangeEmail => "change_email",
        }
    }

    /// How long a link stays valid, in seconds.
    pub fn lifetime_secs(self) -> i64 {
        match self {
            Purpose::ConfirmEmail => 48 * 3600,
            Purpose::ResetPassword => 3600,
            Purpose::MagicLink => 15 * 60,
            Purpose::ChangeEmail => 24 * 3600,
        }
    }
}

const USER_COLUMNS: &str = "id, email, display_name, password_hash, email_confirmed_at";

pub async fn user_by_email(db: &Database, email: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    with_pool!(db, pool => sqlx::query_as(&sql).bind(email).fetch_optional(pool).await)
}

pub async fn user_by_id(db: &Database, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    with_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Inserts an unconfirmed user; `None` when the address is taken (also
/// by a concurrent sign-up).
pub async fn insert_user(
    db: &Database,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let inserted = with_pool!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO users (email, display_name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email)
        .bind(display_name)
        .bind(password_hash)
        .bind(now_secs())
        .fetch_one(pool)
        .await
    });
    match inserted {
        Ok(id) => Ok(Some(id)),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(None),
        Err(error) => Err(error),
    }
}

pub async fn mark_confirmed(db: &Database, user_id: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query(
            "UPDATE users SET email_confirmed_at = $2 WHERE id = $1 AND email_confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(now_secs())
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Moves a user to another address; `false` when the address was taken
/// meanwhile.
pub async fn set_email(db: &Database, user_id: i64, email: &str) -> Result<bool, sqlx::Error> {
    let done = with_pool!(db, pool => {
        sqlx::query("UPDATE users SET email = $2, email_confirmed_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(email)
            .bind(now_secs())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    });
    match done {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error),
    }
}

pub async fn set_password_hash(db: &Database, user_id: i64, hash: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Stores a token's hash for `user_id`. Earlier unused tokens of the same
/// purpose stop working: only the newest link is valid. Confirmation links
/// are the exception: each carries the password of the sign-up that sent
/// it, and the owner of the address must be able to use the one from their
/// own sign-up even when someone else signed up with the address since.
pub async fn insert_token(
    db: &Database,
    user_id: i64,
    purpose: Purpose,
    token_hash: &str,
    email: &str,
    password_hash: Option<&str>,
) -> Result<(), sqlx::Error> {
    let now = now_secs();
    // Matches nothing for confirmation links (see above).
    let replaced = if purpose == Purpose::ConfirmEmail {
        ""
    } else {
        purpose.as_str()
    };
    with_pool!(db, pool => {
        sqlx::query(
            "UPDATE account_tokens SET used_at = $3 \
             WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(replaced)
        .bind(now)
        .execute(pool)
        .await?;
        sqlx::query(
            "INSERT INTO account_tokens \
             (user_id, purpose, token_hash, email, expires_at, created_at, password_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(user_id)
        .bind(purpose.as_str())
        .bind(token_hash)
        .bind(email)
        .bind(now + purpose.lifetime_secs())
        .bind(now)
        .bind(password_hash)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Marks a live token used and returns its user and address. `None` for
/// an unknown, expired or already used token. The single `UPDATE ...
/// RETURNING` makes redemption atomic: two requests racing with the same
/// token cannot both succeed.
pub async fn redeem_token(
    db: &Database,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let now = now_secs();
    with_pool!(db, pool => {
        sqlx::query_as(
            "UPDATE account_tokens SET used_at = $3 \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
             RETURNING user_id, email",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// Redeems a confirmation token: its user, address, and the password hash
/// of the sign-up that sent it.
pub async fn redeem_confirmation(
    db: &Database,
    token_hash: &str,
) -> Result<Option<(i64, String, Option<String>)>, sqlx::Error> {
    let now = now_secs();
    with_pool!(db, pool => {
        sqlx::query_as(
            "UPDATE account_tokens SET used_at = $2 \
             WHERE token_hash = $1 AND purpose = 'confirm_email' AND used_at IS NULL AND expires_at > $2 \
             RETURNING user_id, email, password_hash",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// The password hash carried by the user's newest confirmation link, for
/// sending the link again.
pub async fn latest_confirmation_password(
    db: &Database,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let found: Option<Option<String>> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT password_hash FROM account_tokens \
             WHERE user_id = $1 AND purpose = 'confirm_email' ORDER BY id DESC LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(found.flatten())
}

/// Ends every unused mailed link of a user: after the address or the
/// password changes, links sent before must not work.
pub async fn invalidate_tokens(db: &Database, user_id: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE account_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .bind(now_secs())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The live sessions of a user, newest activity first.
pub async fn sessions_of(db: &Database, user_id: i64) -> Result<Vec<SessionSummary>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id_hash: String,
        created_at: i64,
        last_seen_at: i64,
        expires_at: i64,
        ip: Option<String>,
        user_agent: Option<String>,
    }
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT id_hash, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, created_at DESC",
        )
        .bind(user_id)
        .bind(now_secs())
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|row| SessionSummary {
            handle: row.id_hash,
            current: false,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            ip: row.ip,
            user_agent: row.user_agent,
        })
        .collect())
}

/// Deletes one session of a user; `false` when it was not theirs or gone.
pub async fn delete_session(
    db: &Database,
    user_id: i64,
    id_hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = with_pool!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
            .bind(user_id)
            .bind(id_hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(done > 0)
}

/// Deletes every session of a user but the one keyed `except`.
pub async fn delete_sessions(
    db: &Database,
    user_id: i64,
    except: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let done = with_pool!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            // No session hash is empty, so this spares none.
            .bind(except.unwrap_or(""))
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(done)
}

/// The user and address of a live token, without using it up: for checks
/// that must pass before the token is spent.
pub async fn peek_token(
    db: &Database,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT user_id, email FROM account_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now_secs())
        .fetch_optional(pool)
        .await
    })
}
