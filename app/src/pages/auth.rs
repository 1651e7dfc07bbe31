//! Signing up and in: the sign-up, sign-in, confirmation, password reset
//! and sign-in-link pages. Each is one form backed by one server function
//! from `crate::accounts`.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::accounts::{
    ConfirmEmailChangeFn, ConfirmEmailFn, MagicSignInFn, RequestMagicLinkFn,
    RequestPasswordResetFn, ResendConfirmationFn, ResetPasswordFn, SignInFn, SignUpFn, validate,
};
use crate::components::forms::{
    Field, FormError, Submit, came_back_done, last_error, succeeded_or_done,
};
use crate::components::page_header::PageHeader;

/// The `token` query parameter of an emailed link.
fn token_from_query() -> Option<String> {
    use_query_map().with_untracked(|query| query.get("token"))
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUpFn>::new();
    let error = last_error(action);
    let signed_up = succeeded_or_done(action);
    // Resending without JavaScript comes back here too.
    let resent = came_back_done::<ResendConfirmationFn>();
    let done = Signal::derive(move || signed_up.get() || resent);
    // Not known after a plain form post, which only comes back marked done.
    let sent_to = move || {
        action
            .value()
            .with(|value| value.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    };
    let password_hint = StoredValue::new(format!(
        "At least {} characters, not your email address.",
        validate::PASSWORD_MIN_CHARS
    ));

    view! {
        <PageHeader title="Create an account" summary="One account for all your workspaces." />
        <section class="card narrow">
            <Show
                when=move || !done.get()
                fallback=move || view! { <CheckInbox email=sent_to() /> }
            >
                <ActionForm action=action>
                    <FormError error fields=&["email", "display_name", "password"] />
                    <Field name="email" label="Email address" kind="email" autocomplete="email" error />
                    <Field name="display_name" label="Your name" autocomplete="name" error />
                    <Field
                        name="password"
                        label="Password"
                        kind="password"
                        autocomplete="new-password"
                        error
                    />
                    <p class="field-hint">{password_hint.get_value()}</p>
                    <Submit label="Create account" busy="Creating…" pending=action.pending().into() testid="sign-up" native=true />
                </ActionForm>
                <p>"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
            </Show>
        </section>
    }
}

/// Shown after signing up: where the link went, and a way to resend it.
/// A plain form post does not bring the address back (it would sit in the
/// URL), so then the address is asked for again.
#[component]
fn CheckInbox(email: Option<String>) -> impl IntoView {
    let resend = ServerAction::<ResendConfirmationFn>::new();
    let error = last_error(resend);
    let resent = succeeded_or_done(resend);
    let sent_to = match &email {
        Some(email) => view! { <strong>{email.clone()}</strong> }.into_any(),
        None => view! { "the address you gave" }.into_any(),
    };

    view! {
        <div class="alert alert-ok" role="status" data-testid="check-inbox">
            <p>"We sent a confirmation link to " {sent_to} "."</p>
            <p>"Open it to finish creating your account. It works for 48 hours."</p>
        </div>
        <ActionForm action=resend>
            {match email {
                Some(email) => view! {
                    <FormError error fields=&[] />
                    <input type="hidden" name="email" value=email />
                }.into_any(),
                None => view! {
                    <FormError error fields=&["email"] />
                    <Field name="email" id="resend-email" label="Your email address" kind="email" autocomplete="email" error />
                }.into_any(),
            }}
            <Submit label="Send the link again" busy="Sending…" pending=resend.pending().into() testid="resend-confirmation" native=true />
            <Show when=move || resent.get()>
                <p class="muted" data-testid="resent">"Sent again."</p>
            </Show>
        </ActionForm>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignInFn>::new();
    let error = last_error(action);
    let next = use_query_map().with_untracked(|query| query.get("next"));

    view! {
        <PageHeader title="Sign in" summary="Welcome back." />
        <section class="card narrow">
            <ActionForm action=action>
                <FormError error fields=&["email", "password"] />
                <Field name="email" label="Email address" kind="email" autocomplete="username" error />
                <Field
                    name="password"
                    label="Password"
                    kind="password"
                    autocomplete="current-password"
                    error
                />
                <label class="check">
                    <input type="checkbox" name="remember" value="on" />
                    " Keep me signed in for 60 days"
                </label>
                <input type="hidden" name="next" value=next />
                <Submit label="Sign in" busy="Signing in…" pending=action.pending().into() testid="sign-in" native=true />
            </ActionForm>
            <p>
                <A href="/forgot-password">"Forgot your password?"</A>
                " · "
                <A href="/sign-in-link">"Email me a sign-in link"</A>
            </p>
            <p>"New here? " <A href="/sign-up">"Create an account"</A></p>
        </section>
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailFn>::new();
    let error = last_error(action);
    let done = succeeded_or_done(action);
    let token = StoredValue::new(token_from_query());

    view! {
        <PageHeader title="Confirm your email address" summary="One click and your account is ready." />
        <section class="card narrow">
            <Show
                when=move || !done.get()
                fallback=|| view! {
                    <div class="alert alert-ok" role="status" data-testid="confirmed">
                        "Your address is confirmed. "
                        <A href="/sign-in">"Sign in"</A>
                    </div>
                }
            >
                <ActionForm action=action>
                    <input type="hidden" name="token" value=token.get_value() />
                    <FormError error fields=&[] />
                    <Submit label="Confirm my address" busy="Confirming…" pending=action.pending().into() testid="confirm" native=true />
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
pub fn ConfirmEmailChangePage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailChangeFn>::new();
    let error = last_error(action);
    let done = succeeded_or_done(action);
    let token = StoredValue::new(token_from_query());

    view! {
        <PageHeader title="Confirm your new address" summary="Your account moves to this address." />
        <section class="card narrow">
            <Show
                when=move || !done.get()
                fallback=|| view! {
                    <div class="alert alert-ok" role="status" data-testid="email-changed">
                        "Your account now uses this address."
                    </div>
                }
            >
                <ActionForm action=action>
                    <input type="hidden" name="token" value=token.get_value() />
                    <FormError error fields=&[] />
                    <Submit label="Use this address" busy="Saving…" pending=action.pending().into() testid="confirm-change" native=true />
                </ActionForm>
            </Show>
        </section>
    }
}

/// Said after a mail-sending request, whatever the server found: the
/// reply is the same for addresses with and without an account.
#[component]
fn RequestSent(message: &'static str) -> impl IntoView {
    view! { <div class="alert alert-ok" role="status" data-testid="request-sent">{message}</div> }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordResetFn>::new();
    let error = last_error(action);
    let done = succeeded_or_done(action);

    view! {
        <PageHeader title="Reset your password" summary="We will mail you a link to choose a new one." />
        <section class="card narrow">
            <Show
                when=move || !done.get()
                fallback=|| view! {
                    <RequestSent message="If an account uses that address, a reset link is on its way. It works for one hour." />
                }
            >
                <ActionForm action=action>
                    <FormError error fields=&["email"] />
                    <Field name="email" label="Email address" kind="email" autocomplete="username" error />
                    <Submit label="Send reset link" busy="Sending…" pending=action.pending().into() testid="request" native=true />
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
pub fn SignInLinkPage() -> impl IntoView {
    let action = ServerAction::<RequestMagicLinkFn>::new();
    let error = last_error(action);
    let done = succeeded_or_done(action);

    view! {
        <PageHeader title="Sign in by email" summary="We will mail you a link that signs you in once." />
        <section class="card narrow">
            <Show
                when=move || !done.get()
                fallback=|| view! {
                    <RequestSent message="If an account uses that address, a sign-in link is on its way. It works for 15 minutes." />
                }
            >
                <ActionForm action=action>
                    <FormError error fields=&["email"] />
                    <Field name="email" label="Email address" kind="email" autocomplete="username" error />
                    <Submit label="Email me a link" busy="Sending…" pending=action.pending().into() testid="request" native=true />
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPasswordFn>::new();
    let error = last_error(action);
    let done = succeeded_or_done(action);
    let token = StoredValue::new(token_from_query());

    view! {
        <PageHeader title="Choose a new password" summary="Every browser signed in to your account will be signed out." />
        <section class="card narrow">
            <Show
                when=move || !done.get()
                fallback=|| view! {
                    <div class="alert alert-ok" role="status" data-testid="password-reset">
                        "Your password is changed. "
                        <A href="/sign-in">"Sign in"</A>
                    </div>
                }
            >
                <ActionForm action=action>
                    <input type="hidden" name="token" value=token.get_value() />
                    <FormError error fields=&["password"] />
                    <Field name="password" label="New password" kind="password" autocomplete="new-password" error />
                    <Submit label="Set password" busy="Saving…" pending=action.pending().into() testid="reset" native=true />
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
pub fn MagicLinkPage() -> impl IntoView {
    let action = ServerAction::<MagicSignInFn>::new();
    let error = last_error(action);
    let token = token_from_query();

    view! {
        <PageHeader title="Sign in" summary="Finish signing in with the link from your mail." />
        <section class="card narrow">
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <FormError error fields=&[] />
                <Submit label="Sign me in" busy="Signing in…" pending=action.pending().into() testid="magic-sign-in" native=true />
            </ActionForm>
        </section>
    }
}
