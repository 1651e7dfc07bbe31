//! Hosts: the list with status and last check (here), forms to add each
//! kind (`add`), and a host's page (`detail`). Credentials are write-only:
//! the forms send them, nothing ever shows them again.

mod add;
mod detail;

pub use detail::HostPage;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use self::add::AddHostForms;
use crate::AppError;
use crate::components::error_view::view_or_alert;
use crate::components::page_data::page_resource;
use crate::components::page_header::PageHeader;
use crate::components::signed_in::{SignInRequired, use_signed_in, use_viewer};
use crate::components::time::Timestamp;
use crate::hosts::server_fns::{AddHostFn, hosts};
use crate::hosts::{HostStatus, HostSummary};
use crate::workspaces::roles::Action;

#[component]
pub fn HostsPage() -> impl IntoView {
    let viewer = use_viewer();
    let add = ServerAction::<AddHostFn>::new();
    let list = page_resource(move || (add.version().get(), viewer.version()), |_| hosts());
    view! {
        <PageHeader title="Hosts" summary="Where workloads run: Docker engines, Fly.io organisations and RunPod accounts." />
        <SignInRequired>
            <HostsList list add />
        </SignInRequired>
    }
}

#[component]
fn HostsList(
    list: Resource<Result<Vec<HostSummary>, AppError>>,
    add: ServerAction<AddHostFn>,
) -> impl IntoView {
    let signed_in = use_signed_in();
    // A new host opens on its own page, where it can be tested.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = add.value().get() {
            navigate(&format!("/hosts/{id}"), Default::default());
        }
    });

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (workspace_id, role) = (signed_in.workspace.id, signed_in.workspace.role);
                view_or_alert(list.await.map(|hosts| view! {
                        <HostTable hosts />
                        {if role.may(Action::ManageResources) {
                            view! { <AddHostForms workspace_id add /> }.into_any()
                        } else {
                            view! {
                                <p class="muted" data-testid="hosts-member-note">"Admins and owners of this workspace add and change hosts."</p>
                            }.into_any()
                        }}
                }))
            })}
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
                            <td>{kind_label(&host)}</td>
                            <td><code>{host.target.clone()}</code></td>
                            <td><StatusBadge status=host.status /></td>
                            <td><LastCheck checked_at=host.checked_at latency_ms=host.latency_ms /></td>
                            <td>{host.labels.join(", ")}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// The kind in words, with the transport for a Docker engine.
fn kind_label(host: &HostSummary) -> &'static str {
    host.transport
        .map_or_else(|| host.kind.label(), |transport| transport.label())
}

/// When the last test ran and how long it took, for a list; sources use
/// it too.
#[component]
pub fn LastCheck(checked_at: Option<i64>, latency_ms: Option<i64>) -> impl IntoView {
    match checked_at {
        Some(secs) => view! {
            <Timestamp secs />
            {latency_ms.map(|ms| format!(" · {ms} ms"))}
        }
        .into_any(),
        None => view! { <span class="muted">"never"</span> }.into_any(),
    }
}

/// A test's outcome as a badge; sources use it too.
#[component]
pub fn StatusBadge(status: HostStatus) -> impl IntoView {
    let class = match status {
        HostStatus::Reachable => "badge badge-ok",
        HostStatus::Unreachable => "badge badge-error",
        HostStatus::Unknown => "badge",
    };
    view! { <span class=class data-testid="host-status">{status.as_str()}</span> }
}
