//! Sudo mode in the interface: the password prompt shown when the server
//! answers a sensitive action with `AppError::SudoRequired`.

use leptos::prelude::*;

use crate::accounts::ConfirmPasswordFn;
use crate::components::forms::{Field, Submit, last_error, succeeded};

/// Asks for the password before a sensitive action is tried again.
#[component]
pub fn SudoPrompt() -> impl IntoView {
    let confirm = ServerAction::<ConfirmPasswordFn>::new();
    let error = last_error(confirm);
    let done = succeeded(confirm);

    view! {
        <section class="card sudo" data-testid="sudo-prompt">
            <Show
                when=move || !done.get()
                fallback=|| view! { <p class="alert alert-ok" role="status" data-testid="sudo-ok">"Confirmed for ten minutes. Try again."</p> }
            >
                <p>"This action is sensitive. Confirm your password to continue."</p>
                <ActionForm action=confirm>
                    <Field name="password" label="Password" kind="password" autocomplete="current-password" error />
                    <Submit label="Confirm" busy="Checking…" pending=confirm.pending().into() testid="sudo-confirm" />
                </ActionForm>
            </Show>
        </section>
    }
}
