//! A host's page: the facts of its last test, "test now", settings, its
//! pinned SSH host key, credential replacement and deletion.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::{StatusBadge, kind_label};
use crate::AppError;
use crate::components::error_view::view_or_alert;
use crate::components::forms::{Field, FormError, Submit, TextArea, last_error, succeeded};
use crate::components::page_data::page_resource;
use crate::components::page_header::PageHeader;
use crate::components::signed_in::{SignInRequired, use_signed_in, use_viewer};
use crate::components::sudo::SudoPrompt;
use crate::components::time::Timestamp;
use crate::hosts::server_fns::{
    DeleteHostFn, PinHostKeyFn, ReplaceHostCredentialsFn, ScanHostKeyFn, TestHostFn, UpdateHostFn,
    host,
};
use crate::hosts::{CredentialKind, HostDetail, HostFacts};
use crate::workspaces::roles::{Action, Role};

#[component]
pub fn HostPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|params| params.get("id").and_then(|id| id.parse::<i64>().ok()));
    let actions = Actions {
        test: ServerAction::new(),
        update: ServerAction::new(),
        replace: ServerAction::new(),
        scan: ServerAction::new(),
        pin: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let viewer = use_viewer();
    let detail = page_resource(
        move || {
            (
                id(),
                actions.test.version().get()
                    + actions.update.version().get()
                    + actions.replace.version().get()
                    + actions.pin.version().get(),
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
    view! {
        <PageHeader title="Host" summary="What Caveman knows about this host." />
        <SignInRequired>
            <HostView detail actions />
        </SignInRequired>
    }
}

/// Every action on the host page, so the page reloads after any of them.
#[derive(Clone, Copy)]
struct Actions {
    test: ServerAction<TestHostFn>,
    update: ServerAction<UpdateHostFn>,
    replace: ServerAction<ReplaceHostCredentialsFn>,
    scan: ServerAction<ScanHostKeyFn>,
    pin: ServerAction<PinHostKeyFn>,
    delete: ServerAction<DeleteHostFn>,
}

#[component]
fn HostView(detail: Resource<Result<HostDetail, AppError>>, actions: Actions) -> impl IntoView {
    let signed_in = use_signed_in();
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
        last_error(actions.pin),
        last_error(actions.delete),
    ];
    let error = Signal::derive(move || errors.iter().find_map(|error| error.get()));
    let needs_sudo = move || matches!(error.get(), Some(AppError::SudoRequired));

    view! {
        <FormError error fields=&[
            "name", "description", "labels", "secret", "private_key", "tls_ca", "tls_cert", "tls_key",
            "host_key_fingerprint",
        ] />
        <Show when=needs_sudo>
            <SudoPrompt />
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let role = signed_in.workspace.role;
                view_or_alert(detail.await.map(|detail| view! { <HostBody detail role actions /> }))
            })}
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
    // Read again by the manager-only sections, which may render repeatedly.
    let name = StoredValue::new(host.name.clone());
    let labels = StoredValue::new(host.labels.join(", "));
    let description = StoredValue::new(detail.description.clone());
    let credential_kind = detail.credential_kind;
    let has_credentials = detail.has_credentials;
    let pinned = detail.host_key_fingerprint.clone();
    let address = detail.address.clone().unwrap_or_default();

    view! {
        <section class="card" aria-labelledby="host-heading">
            <h2 id="host-heading" data-testid="host-name">{host.name.clone()}</h2>
            <p class="muted">
                {kind_label(&host)} " · " <code data-testid="host-target">{host.target.clone()}</code>
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
            {pinned.clone().map(|fingerprint| view! {
                <HostKey ws id fingerprint address=address.clone() actions />
            })}
            {(credential_kind != CredentialKind::None).then(|| view! {
                <Credential ws id kind=credential_kind has_credentials actions />
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

/// The pinned SSH host key, and pinning a new one after the host's key
/// changed: fetch what it presents now, compare, confirm with a password.
#[component]
fn HostKey(
    ws: i64,
    id: i64,
    fingerprint: String,
    address: String,
    actions: Actions,
) -> impl IntoView {
    let scan_error = last_error(actions.scan);
    let pin_error = last_error(actions.pin);
    let scanned = move || actions.scan.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="host-key-heading">
            <h2 id="host-key-heading">"SSH host key"</h2>
            <p>"Pinned: " <code data-testid="pinned-fingerprint">{fingerprint}</code></p>
            <p class="muted">"Connections to a host presenting any other key are refused. If the machine was reinstalled, fetch its new key, compare it with the machine's own, and pin it."</p>
            <ActionForm action=actions.scan>
                <input type="hidden" name="workspace_id" value=ws />
                <input type="hidden" name="address" value=address />
                <FormError error=scan_error fields=&[] />
                <Submit label="Fetch the key it presents now" busy="Connecting…" pending=actions.scan.pending().into() testid="rescan-host-key" />
            </ActionForm>
            {move || scanned().map(|key| view! {
                <p data-testid="rescanned-key">"It presents " <code>{key.algorithm.clone()}</code> " " <code>{key.fingerprint.clone()}</code> "."</p>
                <ActionForm action=actions.pin>
                    <input type="hidden" name="workspace_id" value=ws />
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="host_key_fingerprint" value=key.fingerprint.clone() />
                    <p class="field-error">{move || pin_error.get().and_then(|error| match error {
                        AppError::Invalid { message, .. } => Some(message),
                        _ => None,
                    })}</p>
                    <Submit label="Pin this key" busy="Pinning…" pending=actions.pin.pending().into() testid="pin-host-key" />
                </ActionForm>
            })}
        </section>
    }
}

/// Replacing the stored credential; the fields depend on its kind.
#[component]
fn Credential(
    ws: i64,
    id: i64,
    kind: CredentialKind,
    has_credentials: bool,
    actions: Actions,
) -> impl IntoView {
    let error = last_error(actions.replace);
    let replaced = succeeded(actions.replace);
    let hint = "Replacing asks for your password unless you typed it in the last ten minutes.";
    let fields = match kind {
        CredentialKind::SshKey => view! {
            <TextArea name="private_key" label="New private key" hint error />
        }
        .into_any(),
        CredentialKind::TlsFiles => view! {
            <TextArea name="tls_ca" label="CA certificate" rows=4 error />
            <TextArea name="tls_cert" label="Client certificate" rows=4 error />
            <TextArea name="tls_key" label="Client key" rows=4 hint error />
        }
        .into_any(),
        _ => view! {
            <Field name="secret" label="New value" kind="password" autocomplete="off" hint error />
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="credential-heading">
            <h2 id="credential-heading">"Credential"</h2>
            <p class="muted" data-testid="credential-state">
                {if has_credentials {
                    format!("The {} is stored, encrypted. It is never shown again.", kind.label())
                } else {
                    format!("No {} is stored.", kind.label())
                }}
            </p>
            <ActionForm action=actions.replace>
                <input type="hidden" name="workspace_id" value=ws />
                <input type="hidden" name="id" value=id />
                {fields}
                <Submit label="Replace" busy="Saving…" pending=actions.replace.pending().into() testid="replace-secret" />
            </ActionForm>
            <Show when=move || replaced.get()>
                <p class="alert alert-ok" role="status">"Replaced. Test the connection to check it."</p>
            </Show>
        </section>
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
