//! The add-host forms: one per kind of host, each with only the fields it
//! needs. A Docker engine over SSH is added in two steps: first its host
//! key is fetched and shown by fingerprint, and only once the operator has
//! compared it with the machine's own does the second form pin it.

use leptos::prelude::*;

use crate::AppError;
use crate::components::forms::{Field, FormError, Submit, TextArea, last_error};
use crate::hosts::server_fns::{AddHostFn, ScanHostKeyFn};
use crate::hosts::validate::DEFAULT_REMOTE_SOCKET;
use crate::hosts::{DockerTransport, HostKind};

/// The forms, in the order the page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Docker(DockerTransport),
    Fly,
    Runpod,
}

impl Form {
    const ALL: [Form; 5] = [
        Form::Docker(DockerTransport::Unix),
        Form::Docker(DockerTransport::Ssh),
        Form::Docker(DockerTransport::Tls),
        Form::Fly,
        Form::Runpod,
    ];

    /// The prefix of the form's element ids and test ids.
    fn slug(self) -> &'static str {
        match self {
            Form::Docker(DockerTransport::Unix) => "docker",
            Form::Docker(DockerTransport::Ssh) => "docker-ssh",
            Form::Docker(DockerTransport::Tls) => "docker-tls",
            Form::Fly => "fly",
            Form::Runpod => "runpod",
        }
    }

    fn kind(self) -> HostKind {
        match self {
            Form::Docker(_) => HostKind::Docker,
            Form::Fly => HostKind::Fly,
            Form::Runpod => HostKind::Runpod,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Form::Docker(transport) => transport.label(),
            Form::Fly => HostKind::Fly.label(),
            Form::Runpod => HostKind::Runpod.label(),
        }
    }
}

const FIELDS: &[&str] = &[
    "name",
    "description",
    "labels",
    "transport",
    "socket_path",
    "address",
    "user",
    "private_key",
    "host_key_fingerprint",
    "tls_ca",
    "tls_cert",
    "tls_key",
    "org_slug",
    "secret",
];

#[component]
pub fn AddHostForms(workspace_id: i64, add: ServerAction<AddHostFn>) -> impl IntoView {
    let error = last_error(add);
    // Errors show under the form that was sent.
    let sent = RwSignal::new(None::<Form>);
    let forms = Form::ALL.map(|form| {
        let error = Signal::derive(move || {
            if sent.get() == Some(form) {
                error.get()
            } else {
                None
            }
        });
        view! {
            <section class="card" aria-labelledby=format!("add-{}-heading", form.slug())>
                <h2 id=format!("add-{}-heading", form.slug())>"Add a " {form.title()}</h2>
                {match form {
                    Form::Docker(DockerTransport::Ssh) => {
                        view! { <SshForm workspace_id add sent error /> }.into_any()
                    }
                    _ => view! {
                        <ActionForm action=add on:submit=move |_| sent.set(Some(form))>
                            <Hidden workspace_id form />
                            <FormError error fields=FIELDS />
                            <Common form error />
                            <KindFields form error />
                            <Extras form error />
                            <Submit label="Add host" busy="Adding…" pending=add.pending().into()
                                testid=submit_testid(form) />
                        </ActionForm>
                    }
                    .into_any(),
                }}
            </section>
        }
    });
    view! { {forms.into_iter().collect_view()} }
}

fn submit_testid(form: Form) -> &'static str {
    match form {
        Form::Docker(DockerTransport::Unix) => "add-docker",
        Form::Docker(DockerTransport::Ssh) => "add-docker-ssh",
        Form::Docker(DockerTransport::Tls) => "add-docker-tls",
        Form::Fly => "add-fly",
        Form::Runpod => "add-runpod",
    }
}

fn field_id(form: Form, field: &str) -> String {
    format!("{}-{field}", form.slug())
}

#[component]
fn Hidden(workspace_id: i64, form: Form) -> impl IntoView {
    let transport = match form {
        Form::Docker(transport) => transport.as_str(),
        Form::Fly | Form::Runpod => "",
    };
    view! {
        <input type="hidden" name="workspace_id" value=workspace_id />
        <input type="hidden" name="kind" value=form.kind().as_str() />
        <input type="hidden" name="transport" value=transport />
    }
}

#[component]
fn Common(form: Form, error: Signal<Option<AppError>>) -> impl IntoView {
    view! { <Field name="name" id=field_id(form, "name") label="Name" error /> }
}

#[component]
fn Extras(form: Form, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Field name="labels" id=field_id(form, "labels") label="Labels" required=false
            hint="Like env=prod, gpu — separated by commas." error />
        <Field name="description" id=field_id(form, "description") label="Description" required=false error />
    }
}

/// The fields only this kind of host has.
#[component]
fn KindFields(form: Form, error: Signal<Option<AppError>>) -> impl IntoView {
    let id = move |field: &str| field_id(form, field);
    match form {
        Form::Docker(DockerTransport::Unix) => view! {
            <Field name="socket_path" id=id("socket") label="Socket path" value="/var/run/docker.sock".to_string()
                hint="A Docker engine on the machine Caveman runs on, reached through its unix socket." error />
        }
        .into_any(),
        Form::Docker(DockerTransport::Tls) => view! {
            <Field name="address" id=id("address") label="Address"
                hint="host:port of dockerd started with --tlsverify (port 2376 unless you give one)." error />
            <TextArea name="tls_ca" id=id("ca") label="CA certificate (ca.pem)" rows=4
                hint="Caveman trusts only this CA for this host." error />
            <TextArea name="tls_cert" id=id("cert") label="Client certificate (cert.pem)" rows=4 error />
            <TextArea name="tls_key" id=id("key") label="Client key (key.pem)" rows=4
                hint="Stored encrypted with the certificates; never shown again." error />
        }
        .into_any(),
        // The SSH form has its own two-step component.
        Form::Docker(DockerTransport::Ssh) => ().into_any(),
        Form::Fly => view! {
            <Field name="org_slug" id=id("org") label="Organisation slug" hint="As shown by `fly orgs list`." error />
            <Field name="secret" id=id("secret") label="API token" kind="password" autocomplete="off"
                hint="An org token (`fly tokens create org`). Stored encrypted; never shown again." error />
        }
        .into_any(),
        Form::Runpod => view! {
            <Field name="secret" id=id("secret") label="API key" kind="password" autocomplete="off"
                hint="Stored encrypted; never shown again." error />
        }
        .into_any(),
    }
}

/// Step one fetches the host's key; step two, shown once its fingerprint
/// is on screen, adds the host with that key pinned.
#[component]
fn SshForm(
    workspace_id: i64,
    add: ServerAction<AddHostFn>,
    sent: RwSignal<Option<Form>>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let form = Form::Docker(DockerTransport::Ssh);
    let id = move |field: &str| field_id(form, field);
    let scan = ServerAction::<ScanHostKeyFn>::new();
    let scan_error = last_error(scan);
    let scanned = move || scan.value().get().and_then(Result::ok);

    view! {
        <ActionForm action=scan>
            <input type="hidden" name="workspace_id" value=workspace_id />
            <FormError error=scan_error fields=&["address"] />
            <Field name="address" id=id("scan-address") label="Address"
                hint="The machine's SSH server, host or host:port (port 22 unless you give one)." error=scan_error />
            <Submit label="Fetch host key" busy="Connecting…" pending=scan.pending().into() testid="scan-host-key" />
        </ActionForm>
        {move || scanned().map(|key| view! {
            <div class="alert" role="status" data-testid="scanned-key">
                <p>
                    {key.address.clone()} " presents the " <code>{key.algorithm.clone()}</code> " host key "
                    <code data-testid="scanned-fingerprint">{key.fingerprint.clone()}</code> "."
                </p>
                <p class="muted">
                    "Compare it with the output of " <code>"ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub"</code>
                    " on that machine before you go on: Caveman will trust this key alone."
                </p>
            </div>
            <ActionForm action=add on:submit=move |_| sent.set(Some(form))>
                <Hidden workspace_id form />
                <input type="hidden" name="address" value=key.address.clone() />
                <input type="hidden" name="host_key_fingerprint" value=key.fingerprint.clone() />
                <FormError error fields=FIELDS />
                <div class="field">
                    <label>
                        <input type="checkbox" required=true data-testid="confirm-fingerprint" />
                        " I have compared this fingerprint with the machine's own"
                    </label>
                </div>
                <Common form error />
                <Field name="user" id=id("user") label="User" hint="Needs access to the Docker socket (the docker group)." error />
                <TextArea name="private_key" id=id("private-key") label="Private key"
                    hint="OpenSSH or PEM, without a passphrase; its public key goes in that user's authorized_keys. Stored encrypted; never shown again." error />
                <Field name="socket_path" id=id("remote-socket") label="Docker socket on that machine"
                    value=DEFAULT_REMOTE_SOCKET.to_string() error />
                <Extras form error />
                <Submit label="Add host" busy="Adding…" pending=add.pending().into() testid=submit_testid(form) />
            </ActionForm>
        })}
    }
}
