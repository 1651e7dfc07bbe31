//! The add-repository forms: over HTTPS with an optional username and
//! token, and over SSH in two steps, as for Docker hosts: first the
//! server's host key is fetched and shown by fingerprint, and only once the
//! operator has compared it does the second form pin it with the key.

use leptos::prelude::*;

use crate::AppError;
use crate::components::forms::{Field, FormError, Submit, TextArea, field_message, last_error};
use crate::sources::server_fns::{AddGitFn, ScanGitHostKeyFn};
use crate::sources::{Provider, SourceKind};

const FIELDS: &[&str] = &[
    "provider",
    "name",
    "description",
    "url",
    "username",
    "password",
    "private_key",
    "host_key_fingerprint",
];

/// Which of the two forms sent the last request, so its errors show
/// under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Https,
    Ssh,
}

#[component]
pub fn AddGitForms(workspace_id: i64, add: ServerAction<AddGitFn>) -> impl IntoView {
    let error = last_error(add);
    let sent = RwSignal::new(None::<Sent>);
    let error_of = move |form: Sent| {
        Signal::derive(move || {
            if sent.get() == Some(form) {
                error.get()
            } else {
                None
            }
        })
    };
    let https_error = error_of(Sent::Https);
    view! {
        <section class="card" aria-labelledby="add-git-https-heading">
            <h2 id="add-git-https-heading">"Add a git repository over HTTPS"</h2>
            <ActionForm action=add on:submit=move |_| sent.set(Some(Sent::Https))>
                <input type="hidden" name="workspace_id" value=workspace_id />
                <FormError error=https_error fields=FIELDS />
                <ProviderSelect id="git-https-provider" error=https_error />
                <Field name="name" id="git-https-name" label="Name" error=https_error />
                <Field name="url" id="git-https-url" label="Address"
                    hint="As git clone takes it, like https://github.com/acme/app.git. http:// sends the token unencrypted: use it only on a trusted network." error=https_error />
                <Field name="username" id="git-https-username" label="Username" required=false autocomplete="off"
                    hint="Leave this and the token empty for a public repository. GitLab takes any username with a token." error=https_error />
                <Field name="password" id="git-https-password" label="Token or password" kind="password" required=false autocomplete="off"
                    hint="A token that may read the repository. Stored encrypted; never shown again." error=https_error />
                <Field name="description" id="git-https-description" label="Description" required=false error=https_error />
                <Submit label="Add repository" busy="Adding…" pending=add.pending().into() testid="add-git-https" />
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="add-git-ssh-heading">
            <h2 id="add-git-ssh-heading">"Add a git repository over SSH"</h2>
            <SshForm workspace_id add sent error=error_of(Sent::Ssh) />
        </section>
    }
}

/// Who hosts the repository.
#[component]
fn ProviderSelect(id: &'static str, error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || error.with(|error| field_message(error.as_ref(), "provider"));
    view! {
        <div class="field">
            <label for=id>"Hosted by"</label>
            <select id=id name="provider">
                {Provider::GIT.into_iter().map(|provider| view! {
                    <option value=provider.as_str()>{provider.label(SourceKind::Git)}</option>
                }).collect_view()}
            </select>
            <p class="field-error">{message}</p>
        </div>
    }
}

/// Step one fetches the server's key; step two, shown once its
/// fingerprint is on screen, adds the repository with that key pinned.
#[component]
fn SshForm(
    workspace_id: i64,
    add: ServerAction<AddGitFn>,
    sent: RwSignal<Option<Sent>>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let scan = ServerAction::<ScanGitHostKeyFn>::new();
    let scan_error = last_error(scan);
    let scanned = move || scan.value().get().and_then(Result::ok);

    view! {
        <ActionForm action=scan>
            <input type="hidden" name="workspace_id" value=workspace_id />
            <FormError error=scan_error fields=&["url"] />
            <Field name="url" id="git-ssh-scan-url" label="Address"
                hint="As git clone takes it, like git@github.com:acme/app.git or ssh://git@host:2222/srv/app.git." error=scan_error />
            <Submit label="Fetch host key" busy="Connecting…" pending=scan.pending().into() testid="scan-git-host-key" />
        </ActionForm>
        {move || scanned().map(|key| view! {
            <div class="alert" role="status" data-testid="scanned-git-key">
                <p>
                    {key.address.clone()} " presents the " <code>{key.algorithm.clone()}</code> " host key "
                    <code data-testid="scanned-git-fingerprint">{key.fingerprint.clone()}</code> "."
                </p>
                <p class="muted">
                    "Compare it with the fingerprint the server's operator publishes (GitHub and GitLab list theirs) before you go on: Caveman will trust this key alone."
                </p>
            </div>
            <ActionForm action=add on:submit=move |_| sent.set(Some(Sent::Ssh))>
                <input type="hidden" name="workspace_id" value=workspace_id />
                <input type="hidden" name="url" value=key.url.clone() />
                <input type="hidden" name="host_key_fingerprint" value=key.fingerprint.clone() />
                // The address and fingerprint are hidden here, so their
                // errors (a key that changed since the scan) show above.
                <FormError error fields=&["provider", "name", "description", "private_key"] />
                <div class="field">
                    <label>
                        <input type="checkbox" required=true data-testid="confirm-git-fingerprint" />
                        " I have compared this fingerprint with the server's own"
                    </label>
                </div>
                <ProviderSelect id="git-ssh-provider" error />
                <Field name="name" id="git-ssh-name" label="Name" error />
                <TextArea name="private_key" id="git-ssh-private-key" label="Private key"
                    hint="OpenSSH or PEM, without a passphrase; a deploy key with read access is enough. Stored encrypted; never shown again." error />
                <Field name="description" id="git-ssh-description" label="Description" required=false error />
                <Submit label="Add repository" busy="Adding…" pending=add.pending().into() testid="add-git-ssh" />
            </ActionForm>
        })}
    }
}
