//! Creating an account: sign-up, the confirmation link, sending it again.
//!
//! A sign-up for an address that already has an account answers the same
//! and mails that account a notice. Each sign-up's password rides on its
//! own confirmation link and is set only when that link confirms the
//! account, so a stranger who signs up first with someone's address cannot
//! keep a password on it.

use app::AppError;
use app::accounts::NewAccount;
use app::auth::Client;
use serde_json::json;

use super::store;
use super::{Accounts, internal, link_gone};
use crate::audit;
use crate::mailer::Mail;
use crate::tokens;

pub(super) async fn sign_up(
    accounts: &Accounts,
    account: NewAccount,
    client: &Client,
) -> Result<(), AppError> {
    accounts.limit_mail("sign_up", &account.email, client)?;
    // Hashed even when the address is taken, so both replies take as
    // long.
    let hash = accounts
        .passwords
        .hash(&account.password)
        .await
        .map_err(internal)?;
    match store::insert_user(&accounts.db, &account.email, &account.display_name, &hash)
        .await
        .map_err(internal)?
    {
        Some(id) => {
            let user = accounts.user(id).await?.ok_or(AppError::Internal)?;
            accounts.mail_confirmation(&user, Some(&hash)).await?;
            accounts
                .record(
                    audit::Action::SignedUp,
                    Some(&user),
                    None,
                    json!({}),
                    client,
                )
                .await
        }
        None => {
            let existing = store::user_by_email(&accounts.db, &account.email)
                .await
                .map_err(internal)?
                .ok_or(AppError::Internal)?;
            if existing.email_confirmed_at.is_none() {
                // The password of this sign-up rides on its own link and
                // is set only if this link is the one opened.
                return accounts.mail_confirmation(&existing, Some(&hash)).await;
            }
            accounts.mailer.send(Mail {
                to: existing.email.clone(),
                subject: "You already have a Caveman account".into(),
                body: format!(
                    "Hello {name},\n\nSomeone (probably you) tried to sign up with this address, \
                     which already has an account. Sign in here:\n{sign_in}\n\n\
                     Forgot your password? Reset it here:\n{reset}\n",
                    name = existing.display_name,
                    sign_in = accounts
                        .public_url
                        .join("/sign-in")
                        .map(String::from)
                        .unwrap_or_default(),
                    reset = accounts
                        .public_url
                        .join("/forgot-password")
                        .map(String::from)
                        .unwrap_or_default(),
                ),
            });
            Ok(())
        }
    }
}

pub(super) async fn confirm_email(
    accounts: &Accounts,
    token: &str,
    client: &Client,
) -> Result<(), AppError> {
    let (user_id, email, password_hash) =
        store::redeem_confirmation(&accounts.db, &tokens::hash(token))
            .await
            .map_err(internal)?
            .ok_or_else(|| link_gone("confirmation"))?;
    // A link opened after the account was confirmed (by another link or
    // a sign-in link) only confirms: its password came from a sign-up
    // that may not have been the owner's.
    let unconfirmed = accounts
        .user(user_id)
        .await?
        .is_some_and(|user| user.email_confirmed_at.is_none());
    if let (true, Some(password_hash)) = (unconfirmed, password_hash) {
        store::set_password_hash(&accounts.db, user_id, &password_hash)
            .await
            .map_err(internal)?;
    }
    store::mark_confirmed(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    // Links from other sign-ups with this address are void now.
    store::invalidate_tokens(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    let user = accounts.user(user_id).await?;
    accounts
        .record(
            audit::Action::EmailConfirmed,
            user.as_ref(),
            Some(&email),
            json!({}),
            client,
        )
        .await
}

pub(super) async fn resend_confirmation(
    accounts: &Accounts,
    email: &str,
    client: &Client,
) -> Result<(), AppError> {
    accounts.limit_mail("resend_confirmation", email, client)?;
    let user = store::user_by_email(&accounts.db, email)
        .await
        .map_err(internal)?;
    match user {
        Some(user) if user.email_confirmed_at.is_none() => {
            let password_hash = store::latest_confirmation_password(&accounts.db, user.id)
                .await
                .map_err(internal)?;
            accounts
                .mail_confirmation(&user, password_hash.as_deref())
                .await
        }
        _ => Ok(()),
    }
}
