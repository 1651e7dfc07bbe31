//! Sources: the list with status and last test, and the form that adds a
//! container registry (here); the forms that add a git repository
//! (`git`); a source's page with its repository and tag browser or its
//! branches (`detail`). Passwords, tokens and keys are write-only: the
//! forms send them, nothing ever shows them again.

mod detail;
mod git;

pub use detail::SourcePage;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use self::git::AddGitForms;
use crate::AppError;
use crate::components::error_view::view_or_alert;
use crate::components::forms::{Field, FormError, Submit, last_error};
use crate::components::page_data::page_resource;
use crate::components::page_header::PageHeader;
use crate::components::signed_in::{SignInRequired, use_signed_in, use_viewer};
use crate::pages::hosts::{LastCheck, StatusBadge};
use crate::sources::server_fns::{AddGitFn, AddRegistryFn, sources};
use crate::sources::{Provider, SourceKind, SourceSummary};
use crate::workspaces::roles::Action;

#[component]
pub fn SourcesPage() -> impl IntoView {
    let viewer = use_viewer();
    let add = ServerAction::<AddRegistryFn>::new();
    let add_git = ServerAction::<AddGitFn>::new();
    let list = page_resource(
        move || {
            (
                add.version().get(),
                add_git.version().get(),
                viewer.version(),
            )
        },
        |_| sources(),
    );
    view! {
        <PageHeader title="Sources" summary="Where the images and code services deploy come from: container registries and git repositories." />
        <SignInRequired>
            <SourcesList list add add_git />
        </SignInRequired>
    }
}

#[component]
fn SourcesList(
    list: Resource<Result<Vec<SourceSummary>, AppError>>,
    add: ServerAction<AddRegistryFn>,
    add_git: ServerAction<AddGitFn>,
) -> impl IntoView {
    let signed_in = use_signed_in();
    // A new source opens on its own page, where it can be tested.
    let navigate = use_navigate();
    Effect::new(move |_| {
        let added = add.value().get().or_else(|| add_git.value().get());
        if let Some(Ok(id)) = added {
            navigate(&format!("/sources/{id}"), Default::default());
        }
    });

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (workspace_id, role) = (signed_in.workspace.id, signed_in.workspace.role);
                view_or_alert(list.await.map(|sources| view! {
                        <SourceTable sources />
                        {if role.may(Action::ManageResources) {
                            view! {
                                <AddRegistryForm workspace_id add />
                                <AddGitForms workspace_id add=add_git />
                            }.into_any()
                        } else {
                            view! {
                                <p class="muted" data-testid="sources-member-note">"Admins and owners of this workspace add and change sources."</p>
                            }.into_any()
                        }}
                }))
            })}
        </Transition>
    }
}

#[component]
fn SourceTable(sources: Vec<SourceSummary>) -> impl IntoView {
    if sources.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="sources-empty">
                <h2>"No sources yet"</h2>
                <p>"This workspace has no sources. Add a container registry to browse its images, or a git repository to see its branches."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card">
            <table class="table" data-testid="sources">
                <thead>
                    <tr><th>"Name"</th><th>"Kind"</th><th>"Address"</th><th>"Account"</th><th>"Status"</th><th>"Last test"</th></tr>
                </thead>
                <tbody>
                    {sources.into_iter().map(|source| {
                        let link_text = source.name.clone();
                        view! {
                        <tr data-testid="source-row" data-name=source.name.clone()>
                            <td><A href=format!("/sources/{}", source.id)>{link_text}</A></td>
                            <td>{kind_label(&source)}</td>
                            <td><code>{source.url.clone()}</code></td>
                            <td>{source.username.clone().unwrap_or_else(|| "anonymous".into())}</td>
                            <td><StatusBadge status=source.status /></td>
                            <td><LastCheck checked_at=source.checked_at latency_ms=source.latency_ms /></td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// The kind and who runs it, in words.
fn kind_label(source: &SourceSummary) -> String {
    match source.kind {
        SourceKind::Registry => format!("Registry · {}", source.provider_label()),
        SourceKind::Git => format!("Git · {}", source.provider_label()),
    }
}

const FIELDS: &[&str] = &[
    "provider",
    "name",
    "description",
    "url",
    "api_url",
    "username",
    "password",
];

#[component]
fn AddRegistryForm(workspace_id: i64, add: ServerAction<AddRegistryFn>) -> impl IntoView {
    let error = last_error(add);
    let provider_message = move || {
        error.with(|error| crate::components::forms::field_message(error.as_ref(), "provider"))
    };
    view! {
        <section class="card" aria-labelledby="add-registry-heading">
            <h2 id="add-registry-heading">"Add a container registry"</h2>
            <ActionForm action=add>
                <input type="hidden" name="workspace_id" value=workspace_id />
                <FormError error fields=FIELDS />
                <div class="field">
                    <label for="registry-provider">"Registry"</label>
                    <select id="registry-provider" name="provider" data-testid="registry-provider">
                        {Provider::REGISTRIES.into_iter().map(|provider| view! {
                            <option value=provider.as_str()>{provider.label(SourceKind::Registry)}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" data-testid="error-provider">{provider_message}</p>
                </div>
                <Field name="name" id="registry-name" label="Name" error />
                <Field name="url" id="registry-url" label="Address" required=false
                    hint="Like https://registry.example.com:5000. Leave empty for Docker Hub, GHCR or GitLab.com. http:// sends the password unencrypted: use it only on a trusted network." error />
                <Field name="api_url" id="registry-api-url" label="Listing API" required=false
                    hint="Docker Hub, GHCR and GitLab list repositories through their own API, which gets the same account. Left empty, the public registries use hub.docker.com, api.github.com or gitlab.com; any other address needs its own, like https://gitlab.example.com. http:// sends the account unencrypted. Not used for other registries." error />
                <Field name="username" id="registry-username" label="Username" required=false autocomplete="off"
                    hint="Leave this and the password empty for anonymous access." error />
                <Field name="password" id="registry-password" label="Password or token" kind="password" required=false autocomplete="off"
                    hint="Stored encrypted; never shown again. For GHCR a classic token with read:packages; for GitLab one with read_registry, and read_api to list repositories." error />
                <Field name="description" id="registry-description" label="Description" required=false error />
                <Submit label="Add registry" busy="Adding…" pending=add.pending().into() testid="add-registry" />
            </ActionForm>
        </section>
    }
}
