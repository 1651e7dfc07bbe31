//! Account settings: the signed-in person's profile, password and
//! sessions.

use leptos::prelude::*;

use crate::AppError;
use crate::accounts::{
    ChangeEmailFn, ChangePasswordFn, RevokeSessionFn, SessionSummary, SignOutEverywhereFn, sessions,
};
use crate::api_tokens::{ApiTokenSummary, CreateApiTokenFn, RevokeApiTokenFn, api_tokens};
use crate::components::error_view::view_or_alert;
use crate::components::forms::{Field, FormError, Submit, last_error, succeeded};
use crate::components::page_data::page_resource;
use crate::components::page_header::PageHeader;
use crate::components::signed_in::{SignInRequired, use_signed_in};
use crate::components::sudo::SudoPrompt;
use crate::components::time::Timestamp;

#[component]
pub fn AccountPage() -> impl IntoView {
    let revoke_session = ServerAction::<RevokeSessionFn>::new();
    let sessions = page_resource(move || revoke_session.version().get(), |_| sessions());
    let create_token = ServerAction::<CreateApiTokenFn>::new();
    let revoke_token = ServerAction::<RevokeApiTokenFn>::new();
    let tokens = page_resource(
        move || (create_token.version().get(), revoke_token.version().get()),
        |_| api_tokens(),
    );
    view! {
        <PageHeader title="Account" summary="Your profile, password and signed-in browsers." />
        <SignInRequired>
            <Profile />
            <ChangePassword />
            <Sessions list=sessions revoke=revoke_session />
            <ApiTokens list=tokens create=create_token revoke=revoke_token />
        </SignInRequired>
    }
}

#[component]
fn Profile() -> impl IntoView {
    let viewer = use_signed_in();
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <dl class="facts">
                <dt>"Name"</dt>
                <dd data-testid="profile-name">{viewer.user.display_name}</dd>
                <dt>"Email"</dt>
                <dd data-testid="profile-email">{viewer.user.email}</dd>
            </dl>
            <p class="muted">"Changing your name is not available yet."</p>
            <ChangeEmail />
        </section>
    }
}

/// Moves the account to another address, once a link mailed there is
/// opened.
#[component]
fn ChangeEmail() -> impl IntoView {
    let action = ServerAction::<ChangeEmailFn>::new();
    let error = last_error(action);
    let sent_to = move || {
        action.value().with(|value| {
            value
                .as_ref()
                .and_then(|result| result.as_ref().ok().cloned())
        })
    };

    view! {
        <h3>"Change email address"</h3>
        <ActionForm action=action>
            <FormError error fields=&["email", "password"] />
            <Field name="email" id="new-email" label="New email address" kind="email" autocomplete="email" error />
            <Field name="password" id="email-password" label="Your password" kind="password" autocomplete="current-password" error />
            <Submit label="Send confirmation link" busy="Sending…" pending=action.pending().into() testid="change-email" />
        </ActionForm>
        {move || sent_to().map(|email| view! {
            <p class="alert alert-ok" role="status">
                "We sent a link to " <strong>{email}</strong> ". Your address changes when you open it."
            </p>
        })}
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let action = ServerAction::<ChangePasswordFn>::new();
    let error = last_error(action);
    let done = succeeded(action);

    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <ActionForm action=action>
                <FormError error fields=&["current", "new"] />
                <Field name="current" label="Current password" kind="password" autocomplete="current-password" error />
                <Field name="new" label="New password" kind="password" autocomplete="new-password" error />
                <Submit label="Change password" busy="Saving…" pending=action.pending().into() testid="change-password" />
            </ActionForm>
            <Show when=move || done.get()>
                <p class="alert alert-ok" role="status">"Password changed. Your other browsers were signed out."</p>
            </Show>
        </section>
    }
}

#[component]
fn Sessions(
    list: Resource<Result<Vec<SessionSummary>, AppError>>,
    revoke: ServerAction<RevokeSessionFn>,
) -> impl IntoView {
    let everywhere = ServerAction::<SignOutEverywhereFn>::new();
    let error = last_error(revoke);

    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Signed-in browsers"</h2>
            <FormError error fields=&[] />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    view_or_alert(list.await.map(|list| view! { <SessionList list revoke /> }))
                })}
            </Transition>
            <ActionForm action=everywhere>
                <Submit label="Sign out everywhere" busy="Signing out…" pending=everywhere.pending().into() danger=true />
            </ActionForm>
        </section>
    }
}

#[component]
fn SessionList(list: Vec<SessionSummary>, revoke: ServerAction<RevokeSessionFn>) -> impl IntoView {
    view! {
        <ul class="rows" data-testid="sessions">
            {list
                .into_iter()
                .map(|session| {
                    let handle = session.handle.clone();
                    view! {
                        <li class="row">
                            <div>
                                <strong>{session.user_agent.clone().unwrap_or_else(|| "Unknown browser".into())}</strong>
                                <p class="muted">
                                    {session.ip.clone().unwrap_or_default()} " · signed in "
                                    <Timestamp secs=session.created_at />
                                    " · last active " <Timestamp secs=session.last_seen_at />
                                </p>
                            </div>
                            {if session.current {
                                view! { <span class="badge">"This browser"</span> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="handle" value=handle />
                                        <button type="submit" class="button button-quiet">"Sign out"</button>
                                    </ActionForm>
                                }
                                .into_any()
                            }}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// Personal API tokens: create (in sudo mode), see once, list, revoke.
#[component]
fn ApiTokens(
    list: Resource<Result<Vec<ApiTokenSummary>, AppError>>,
    create: ServerAction<CreateApiTokenFn>,
    revoke: ServerAction<RevokeApiTokenFn>,
) -> impl IntoView {
    let error = last_error(create);
    let revoke_error = last_error(revoke);
    let needs_sudo = move || matches!(error.get(), Some(AppError::SudoRequired));
    let created = move || {
        create.value().with(|value| {
            value
                .as_ref()
                .and_then(|result| result.as_ref().ok().cloned())
        })
    };

    view! {
        <section class="card" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="muted">
                "A token acts as you, in the workspace it was created for, on the REST API ("
                <code>"Authorization: Bearer …"</code> "). It is shown once."
            </p>
            <Show when=needs_sudo>
                <SudoPrompt />
            </Show>
            <FormError error fields=&["name"] />
            <FormError error=revoke_error fields=&[] />
            {move || created().map(|created| view! {
                <div class="alert alert-ok" role="status">
                    <p>"Copy this token now; it will not be shown again:"</p>
                    <pre data-testid="new-token">{created.token}</pre>
                </div>
            })}
            <ActionForm action=create>
                <Field name="name" id="token-name" label="Name" hint="What the token is for, like \"deploy script\"." error />
                <Submit label="Create token" busy="Creating…" pending=create.pending().into() testid="create-token" />
            </ActionForm>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    view_or_alert(list.await.map(|tokens| view! { <TokenList tokens revoke /> }))
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenList(
    tokens: Vec<ApiTokenSummary>,
    revoke: ServerAction<RevokeApiTokenFn>,
) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted" data-testid="no-tokens">"You have no API tokens."</p> }
            .into_any();
    }
    view! {
        <ul class="rows" data-testid="tokens">
            {tokens
                .into_iter()
                .map(|token| view! {
                    <li class="row">
                        <div>
                            <strong>{token.name}</strong>
                            <p class="muted">
                                <code>{token.prefix} "…"</code> " · " {token.workspace_name} " · created "
                                <Timestamp secs=token.created_at />
                                {token.last_used_at.map(|at| view! { " · last used " <Timestamp secs=at /> })}
                            </p>
                        </div>
                        <ActionForm action=revoke>
                            <input type="hidden" name="id" value=token.id />
                            <button type="submit" class="button button-quiet">"Revoke"</button>
                        </ActionForm>
                    </li>
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
