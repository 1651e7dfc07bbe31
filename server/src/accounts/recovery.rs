//! Getting back into an account: password reset and sign-in links, both
//! mailed. Requests answer the same whether or not the address has an
//! account, and do their per-account work in the background.

use app::AppError;
use app::accounts::validate;
use app::auth::Client;
use serde_json::json;

use super::store::{self, Purpose};
use super::{Accounts, internal, link_gone};
use crate::{audit, tokens};

pub(super) async fn request_password_reset(
    accounts: &Accounts,
    email: &str,
    client: &Client,
) -> Result<(), AppError> {
    accounts.limit_mail("password_reset", email, client)?;
    accounts.mail_in_background(email, Purpose::ResetPassword);
    Ok(())
}

pub(super) async fn reset_password(
    accounts: &Accounts,
    token: &str,
    password: &str,
    client: &Client,
) -> Result<i64, AppError> {
    let hash = tokens::hash(token);
    let (_, email) = store::peek_token(&accounts.db, Purpose::ResetPassword, &hash)
        .await
        .map_err(internal)?
        .ok_or_else(|| link_gone("password reset"))?;
    // Checked before the token is spent, so a refused password can be
    // corrected with the same link.
    validate::new_password("password", password, &email)?;
    let password_hash = accounts.passwords.hash(password).await.map_err(internal)?;
    let (user_id, _) = store::redeem_token(&accounts.db, Purpose::ResetPassword, &hash)
        .await
        .map_err(internal)?
        .ok_or_else(|| link_gone("password reset"))?;
    store::set_password_hash(&accounts.db, user_id, &password_hash)
        .await
        .map_err(internal)?;
    // The link proves the mailbox is theirs.
    store::mark_confirmed(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    // Links mailed before and API tokens made before must not outlive
    // a reset: it is how an account is taken back.
    store::invalidate_tokens(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    crate::api_tokens::revoke_all(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    let ended = store::delete_sessions(&accounts.db, user_id, None)
        .await
        .map_err(internal)?;
    let user = accounts.user(user_id).await?;
    accounts
        .record(
            audit::Action::PasswordReset,
            user.as_ref(),
            None,
            json!({ "sessions_ended": ended }),
            client,
        )
        .await?;
    Ok(user_id)
}

pub(super) async fn request_magic_link(
    accounts: &Accounts,
    email: &str,
    client: &Client,
) -> Result<(), AppError> {
    accounts.limit_mail("magic_link", email, client)?;
    accounts.mail_in_background(email, Purpose::MagicLink);
    Ok(())
}

pub(super) async fn redeem_magic_link(
    accounts: &Accounts,
    token: &str,
    client: &Client,
) -> Result<i64, AppError> {
    let (user_id, _) = store::redeem_token(&accounts.db, Purpose::MagicLink, &tokens::hash(token))
        .await
        .map_err(internal)?
        .ok_or_else(|| link_gone("sign-in"))?;
    let unconfirmed = accounts
        .user(user_id)
        .await?
        .is_some_and(|user| user.email_confirmed_at.is_none());
    if unconfirmed {
        // The password was chosen by whoever signed up, not proven by
        // the owner of the address: it must not keep working.
        let unusable = accounts
            .passwords
            .hash(tokens::generate().plain.expose())
            .await
            .map_err(internal)?;
        store::set_password_hash(&accounts.db, user_id, &unusable)
            .await
            .map_err(internal)?;
    }
    store::mark_confirmed(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    // Confirmation links still in the inbox carry passwords chosen at
    // sign-up; once the address is proven they must not apply.
    store::invalidate_tokens(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    let user = accounts
        .user(user_id)
        .await?
        .ok_or_else(|| link_gone("sign-in"))?;
    accounts.workspaces_of(&user).await?;
    accounts
        .record(
            audit::Action::MagicLinkSignIn,
            Some(&user),
            None,
            json!({ "method": "magic_link" }),
            client,
        )
        .await?;
    Ok(user_id)
}
