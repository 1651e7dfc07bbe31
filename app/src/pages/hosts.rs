//! Hosts: the list with status and last check, forms to add each kind, and
//! a host's page with the facts of its last test, "test now", settings,
//! credential replacement and deletion. Credentials are write-only: the
//! forms send them, nothing ever shows them again.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::AppError;
use crate::components::error_view::ErrorList;
use crate::components::forms::{Field, FormError, Submit, last_error, succeeded};
use crate::components::page_header::PageHeader;
use crate::components::signed_in::{SignInRequired, use_viewer};
use crate::components::sudo::SudoPrompt;
use crate::components::time::Timestamp;
use crate::hosts::server_fns::{
    AddHostFn, DeleteHostFn, ReplaceHostCredentialsFn, TestHostFn, UpdateHostFn, host, hosts,
};
use crate::hosts::{HostDetail, HostFacts, HostKind, HostStatus, HostSummary};
use crate::workspaces::roles::{Action, Role};

#[component]
pub fn HostsPage() -> impl IntoView {
    view! {
        <PageHeader title="Hosts" summary="Where workloads run: Docker engines, Fly.io organisations and RunPod accounts." />
        <SignInRequired>
            <HostsList />
        </SignInRequired>
    }
}

#[component]
fn HostsList() -> impl IntoView {
    let viewer = use_viewer();
    let add = ServerAction::<AddHostFn>::new();
    let list = Resource::new(move || (add.version().get(), viewer.version()), |_| hosts());
    // A new host opens on its own page, where it can be tested.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = add.value().get() {
            navigate(&format!("/hosts/{id}"), Default::default());
        }
    });

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let hosts = list.await?;
                    let viewer = viewer.resource.await?;
                    let (workspace_id, role) = viewer
                        .map(|viewer| (viewer.workspace.id, viewer.workspace.role))
                        .unwrap_or((0, Role::Member));
                    Ok::<_, AppError>(view! {
                        <HostTable hosts />
                        {if role.may(Action::ManageResources) {
                            view! { <AddHostForms workspace_id add /> }.into_any()
                        } else {
                            view! {
                                <p class="muted" data-testid="hosts-member-note">"Admins and owners of this workspace add and change hosts."</p>
                            }.into_any()
                        }}
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn HostTable(hosts: Vec<HostSummary>) -> impl IntoView {
    if hosts.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="hosts-empty">
                <h2>"No hosts yet"</h2>
                <p>"This workspace has no hosts. Add a Docker engine, a Fly.io organisation or a RunPod account to deploy to."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card">
            <table class="table" data-testid="hosts">
                <thead>
                    <tr><th>"Name"</th><th>"Kind"</th><th>"Where"</th><th>"Status"</th><th>"Last check"</th><th>"Labels"</th></tr>
                </thead>
                <tbody>
                    {hosts.into_iter().map(|host| {
                        let link_text = host.name.clone();
                        view! {
                        <tr data-testid="host-row" data-name=host.name.clone()>
                            <td><A href=format!("/hosts/{}", host.id)>{link_text}</A></td>
                            <td>{host.kind.label()}</td>
                            <td><code>{host.target.clone()}</code></td>
                            <td><StatusBadge status=host.status /></td>
                            <td>{match host.checked_at {
                                Some(secs) => view! {
                                    <Timestamp secs />
                                    {host.latency_ms.map(|ms| format!(" · {ms} ms"))}
                                }.into_any(),
                                None => view! { <span class="muted">"never"</span> }.into_any(),
                            }}</td>
                            <td>{host.labels.join(", ")}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn StatusBadge(status: HostStatus) -> impl IntoView {
    let class = match status {
        HostStatus::Reachable => "badge badge-ok",
        HostStatus::Unreachable => "badge badge-error",
        HostStatus::Unknown => "badge",
    };
    view! { <span class=class data-testid="host-status">{status.as_str()}</span> }
}

/// One form per kind, each with only the fields its kind needs.
#[component]
fn AddHostForms(workspace_id: i64, add: ServerAction<AddHostFn>) -> impl IntoView {
    let error = last_error(add);
    // Each form's fields carry its kind in their ids; errors show under the
    // form that was sent.
    let sent_kind = RwSignal::new(String::new());
    let error_for = move |kind: &'static str| {
        Signal::derive(move || {
            if sent_kind.get() == kind {
                error.get()
            } else {
                None
            }
        })
    };
    let fields = &[
        "name",
        "description",
        "labels",
        "socket_path",
        "org_slug",
        "secret",
    ];
    let kinds = HostKind::ALL.map(|kind| {
        let error = error_for(kind.as_str());
        let id = move |field: &str| format!("{}-{field}", kind.as_str());
        let submit_testid = match kind {
            HostKind::Docker => "add-docker",
            HostKind::Fly => "add-fly",
            HostKind::Runpod => "add-runpod",
        };
        view! {
            <section class="card" aria-labelledby=format!("add-{}-heading", kind.as_str())>
                <h2 id=format!("add-{}-heading", kind.as_str())>"Add a " {kind.label()}</h2>
                <ActionForm action=add on:submit=move |_| sent_kind.set(kind.as_str().to_string())>
                    <input type="hidden" name="workspace_id" value=workspace_id />
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <FormError error fields />
                    <Field name="name" id=id("name") label="Name" error />
                    {match kind {
                        HostKind::Docker => view! {
                            <Field name="socket_path" id=id("socket") label="Socket path" value="/var/run/docker.sock".to_string()
                                hint="A Docker engine on this machine, reached through its unix socket. TCP with TLS and SSH are not available yet." error />
                        }.into_any(),
                        HostKind::Fly => view! {
                            <Field name="org_slug" id=id("org") label="Organisation slug" hint="As shown by `fly orgs list`." error />
                            <Field name="secret" id=id("secret") label="API token" kind="password" autocomplete="off"
                                hint="An org token (`fly tokens create org`). Stored encrypted; never shown again." error />
                        }.into_any(),
                        HostKind::Runpod => view! {
                            <Field name="secret" id=id("secret") label="API key" kind="password" autocomplete="off"
                                hint="Stored encrypted; never shown again." error />
                        }.into_any(),
                    }}
                    <Field name="labels" id=id("labels") label="Labels" required=false hint="Like env=prod, gpu — separated by commas." error />
                    <Field name="description" id=id("description") label="Description" required=false error />
                    <Submit label="Add host" busy="Adding…" pending=add.pending().into() testid=submit_testid />
                </ActionForm>
            </section>
        }
    });
    view! { {kinds.into_iter().collect_view()} }
}

#[component]
pub fn HostPage() -> impl IntoView {
    view! {
        <PageHeader title="Host" summary="What Caveman knows about this host." />
        <SignInRequired>
            <HostView />
        </SignInRequired>
    }
}

/// Every action on the host page, so the page reloads after any of them.
#[derive(Clone, Copy)]
struct Actions {
    test: ServerAction<TestHostFn>,
    update: ServerAction<UpdateHostFn>,
    replace: ServerAction<ReplaceHostCredentialsFn>,
    delete: ServerAction<DeleteHostFn>,
}

#[component]
fn HostView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|params| params.get("id").and_then(|id| id.parse::<i64>().ok()));
    let actions = Actions {
        test: ServerAction::new(),
        update: ServerAction::new(),
        replace: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let viewer = use_viewer();
    let detail = Resource::new(
        move || {
            (
                id(),
                actions.test.version().get()
                    + actions.update.version().get()
                    + actions.replace.version().get(),
                viewer.version(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => host(id).await,
                None => Err(AppError::NotFound {
                    what: "The host".into(),
                }),
            }
        },
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(actions.delete.value().get(), Some(Ok(()))) {
            navigate("/hosts", Default::default());
        }
    });
    let errors = [
        last_error(actions.test),
        last_error(actions.update),
        last_error(actions.replace),
        last_error(actions.delete),
    ];
    let error = Signal::derive(move || errors.iter().find_map(|error| error.get()));
    let needs_sudo = move || matches!(error.get(), Some(AppError::SudoRequired));

    view! {
        <FormError error fields=&["name", "description", "labels", "secret"] />
        <Show when=needs_sudo>
            <SudoPrompt />
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let detail = detail.await?;
                    let role = viewer
                        .resource
                        .await?
                        .map_or(Role::Member, |viewer| viewer.workspace.role);
                    Ok::<_, AppError>(view! { <HostBody detail role actions /> })
                })}
            </ErrorBoundary>
        </Transition>
        <p><A href="/hosts">"All hosts"</A></p>
    }
}

#[component]
fn HostBody(detail: HostDetail, role: Role, actions: Actions) -> impl IntoView {
    let host = detail.summary.clone();
    let ws = host.workspace_id;
    let id = host.id;
    let may_manage = role.may(Action::ManageResources);
    let update_error = last_error(actions.update);
    let replace_error = last_error(actions.replace);
    let replaced = succeeded(actions.replace);
    let secret_label = host.kind.secret_label();
    // Read again by the manager-only sections, which may render repeatedly.
    let name = StoredValue::new(host.name.clone());
    let labels = StoredValue::new(host.labels.join(", "));
    let description = StoredValue::new(detail.description.clone());
    let has_credentials = detail.has_credentials;

    view! {
        <section class="card" aria-labelledby="host-heading">
            <h2 id="host-heading" data-testid="host-name">{host.name.clone()}</h2>
            <p class="muted">
                {host.kind.label()} " · " <code data-testid="host-target">{host.target.clone()}</code>
                " · added " <Timestamp secs=detail.created_at />
                {detail.created_by.clone().map(|name| format!(" by {name}"))}
            </p>
            {(!detail.description.is_empty()).then(|| view! { <p>{detail.description.clone()}</p> })}
            {(!host.labels.is_empty()).then(|| view! {
                <p>{host.labels.iter().map(|label| view! { <span class="badge">{label.clone()}</span> " " }).collect_view()}</p>
            })}
            <p>
                "Status: " <StatusBadge status=host.status />
                {match host.checked_at {
                    Some(secs) => view! {
                        " · last checked " <Timestamp secs />
                        {host.latency_ms.map(|ms| format!(" in {ms} ms"))}
                    }.into_any(),
                    None => view! { <span class="muted">" · never tested"</span> }.into_any(),
                }}
            </p>
            {detail.check_error.clone().map(|message| view! {
                <p class="alert alert-error" role="alert" data-testid="check-error">{message}</p>
            })}
            <ActionForm action=actions.test>
                <input type="hidden" name="workspace_id" value=ws />
                <input type="hidden" name="id" value=id />
                <Submit label="Test connection" busy="Testing…" pending=actions.test.pending().into() testid="test-host" />
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="facts-heading">
            <h2 id="facts-heading">"Last seen as"</h2>
            {match detail.facts.clone() {
                Some(facts) => view! { <Facts facts /> }.into_any(),
                None => view! { <p class="muted" data-testid="no-facts">"No test has reached this host yet."</p> }.into_any(),
            }}
        </section>
        <Show when=move || may_manage>
            <section class="card" aria-labelledby="settings-heading">
                <h2 id="settings-heading">"Settings"</h2>
                <ActionForm action=actions.update>
                    <input type="hidden" name="workspace_id" value=ws />
                    <input type="hidden" name="id" value=id />
                    <Field name="name" label="Name" value=name.get_value() error=update_error />
                    <Field name="labels" label="Labels" required=false value=labels.get_value() error=update_error />
                    <Field name="description" label="Description" required=false value=description.get_value() error=update_error />
                    <Submit label="Save" busy="Saving…" pending=actions.update.pending().into() testid="save-host" />
                </ActionForm>
            </section>
            {secret_label.map(|label| view! {
                <section class="card" aria-labelledby="credential-heading">
                    <h2 id="credential-heading">"Credential"</h2>
                    <p class="muted" data-testid="credential-state">
                        {if has_credentials { "An " } else { "No " }} {label.to_lowercase()}
                        {if has_credentials { " is stored, encrypted. It is never shown again." } else { " is stored." }}
                    </p>
                    <ActionForm action=actions.replace>
                        <input type="hidden" name="workspace_id" value=ws />
                        <input type="hidden" name="id" value=id />
                        <Field name="secret" label="New value" kind="password" autocomplete="off"
                            hint="Replacing asks for your password unless you typed it in the last ten minutes." error=replace_error />
                        <Submit label="Replace" busy="Saving…" pending=actions.replace.pending().into() testid="replace-secret" />
                    </ActionForm>
                    <Show when=move || replaced.get()>
                        <p class="alert alert-ok" role="status">"Replaced. Test the connection to check it."</p>
                    </Show>
                </section>
            })}
            <section class="card" aria-labelledby="delete-heading">
                <h2 id="delete-heading">"Delete"</h2>
                <ActionForm action=actions.delete>
                    <input type="hidden" name="workspace_id" value=ws />
                    <input type="hidden" name="id" value=id />
                    <Submit label="Delete this host" busy="Deleting…" pending=actions.delete.pending().into() danger=true testid="delete-host" />
                </ActionForm>
            </section>
        </Show>
    }
}

#[component]
fn Facts(facts: HostFacts) -> impl IntoView {
    let rows: Vec<(&'static str, String)> = match facts {
        HostFacts::Docker {
            engine_version,
            api_version,
            min_api_version,
            os,
            os_type,
            architecture,
            kernel_version,
            cpus,
            memory_bytes,
            containers_running,
            containers,
            images,
        } => vec![
            ("Engine", engine_version),
            (
                "API version",
                format!("{api_version} (oldest supported {min_api_version})"),
            ),
            (
                "Operating system",
                format!("{os} ({os_type}, kernel {kernel_version})"),
            ),
            ("Architecture", architecture),
            ("CPUs", cpus.to_string()),
            (
                "Memory",
                format!("{:.1} GiB", memory_bytes as f64 / f64::from(1u32 << 30)),
            ),
            (
                "Containers",
                format!("{containers_running} running of {containers}"),
            ),
            ("Images", images.to_string()),
        ],
        HostFacts::Fly {
            org_slug,
            app_count,
        } => vec![("Organisation", org_slug), ("Apps", app_count.to_string())],
        HostFacts::Runpod { gpu_types } => vec![
            ("GPU types offered", gpu_types.len().to_string()),
            (
                "GPUs",
                gpu_types
                    .iter()
                    .map(|gpu| match gpu.memory_gb {
                        Some(gb) => format!("{} ({gb} GB)", gpu.display_name),
                        None => gpu.display_name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ],
    };
    view! {
        <dl class="facts" data-testid="facts">
            {rows.into_iter().map(|(term, value)| view! { <dt>{term}</dt> <dd>{value}</dd> }).collect_view()}
        </dl>
    }
}
