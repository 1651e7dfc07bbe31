//! Moving an account to another address: the password is checked, a link
//! goes to the new address, and the change happens when it is opened; the
//! old address is told.

use app::AppError;
use app::accounts::AccountsService;
use app::auth::Client;
use serde_json::json;

use super::store::{self, Purpose};
use super::{Accounts, internal, link_gone};
use crate::audit;
use crate::mailer::Mail;
use crate::tokens;

pub(super) async fn request_email_change(
    accounts: &Accounts,
    user_id: i64,
    new_email: &str,
    password: &str,
    client: &Client,
) -> Result<(), AppError> {
    accounts.verify_password(user_id, password, client).await?;
    accounts.limit_mail("email_change", new_email, client)?;
    let user = accounts
        .user(user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if user.email == new_email {
        return Err(AppError::invalid("email", "That is already your address."));
    }
    match store::user_by_email(&accounts.db, new_email)
        .await
        .map_err(internal)?
    {
        // Same reply as for a free address; the owner of the taken one
        // hears about it instead.
        Some(other) => {
            accounts.mailer.send(Mail {
                to: other.email.clone(),
                subject: "Someone tried to use your address on Caveman".into(),
                body: format!(
                    "Hello {name},\n\nAnother Caveman account asked to move to this address, which is \
                     already yours. Nothing has changed. If this keeps happening, tell your administrator.\n",
                    name = other.display_name,
                ),
            });
            Ok(())
        }
        None => {
            accounts
                .mail_token_to(&user, Purpose::ChangeEmail, new_email, None)
                .await
        }
    }
}

pub(super) async fn confirm_email_change(
    accounts: &Accounts,
    token: &str,
    client: &Client,
) -> Result<(), AppError> {
    let (user_id, new_email) =
        store::redeem_token(&accounts.db, Purpose::ChangeEmail, &tokens::hash(token))
            .await
            .map_err(internal)?
            .ok_or_else(|| link_gone("address change"))?;
    let user = accounts
        .user(user_id)
        .await?
        .ok_or_else(|| link_gone("address change"))?;
    if !store::set_email(&accounts.db, user_id, &new_email)
        .await
        .map_err(internal)?
    {
        return Err(AppError::Conflict {
            message: "That address has been taken by another account meanwhile.".into(),
        });
    }
    // Links mailed to the old address stop working.
    store::invalidate_tokens(&accounts.db, user_id)
        .await
        .map_err(internal)?;
    accounts.mailer.send(Mail {
        to: user.email.clone(),
        subject: "Your Caveman address was changed".into(),
        body: format!(
            "Hello {name},\n\nYour Caveman account now uses {new_email} instead of this address. \
             If this was not you, reset your password and tell your administrator:\n{reset}\n",
            name = user.display_name,
            reset = accounts
                .public_url
                .join("/forgot-password")
                .map(String::from)
                .unwrap_or_default(),
        ),
    });
    accounts
        .record(
            audit::Action::EmailChanged,
            Some(&user),
            None,
            json!({ "from": user.email, "to": new_email }),
            client,
        )
        .await
}
