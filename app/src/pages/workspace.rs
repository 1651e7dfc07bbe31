//! Workspace settings: name, members and roles, invitations, leaving and
//! deleting; plus creating a workspace, accepting an invitation and the
//! audit log. What each control does is checked on the server against the
//! role table; the page only hides controls the caller's role cannot use.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_query_map};

use crate::AppError;
use crate::components::error_view::{ErrorAlert, view_or_alert};
use crate::components::forms::{Field, FormError, Submit, last_error, succeeded};
use crate::components::page_data::page_resource;
use crate::components::page_header::PageHeader;
use crate::components::signed_in::{SignInRequired, use_viewer};
use crate::components::sudo::SudoPrompt;
use crate::components::time::Timestamp;
use crate::workspaces::roles::{Action, Role};
use crate::workspaces::{
    AcceptInvitationFn, ChangeRoleFn, CreateWorkspaceFn, DeleteWorkspaceFn, InviteMemberFn,
    LeaveWorkspaceFn, Member, RemoveMemberFn, RenameWorkspaceFn, RevokeInvitationFn,
    TransferOwnershipFn, WorkspaceDetail, audit_log, invitation_preview, workspace_detail,
};

#[component]
pub fn WorkspaceSettingsPage() -> impl IntoView {
    let actions = Actions::new();
    let viewer = use_viewer();
    // Reloaded after any action here, and when the current workspace
    // changes (switcher, a new workspace).
    let detail = page_resource(
        move || (actions.versions(), viewer.version()),
        |_| workspace_detail(),
    );
    view! {
        <PageHeader title="Workspace" summary="Who is in this workspace and what they may do." />
        <SignInRequired>
            <WorkspaceSettings detail actions />
        </SignInRequired>
    }
}

/// Every action on the page, so the page can reload after any of them.
#[derive(Clone, Copy)]
struct Actions {
    rename: ServerAction<RenameWorkspaceFn>,
    invite: ServerAction<InviteMemberFn>,
    revoke: ServerAction<RevokeInvitationFn>,
    change_role: ServerAction<ChangeRoleFn>,
    remove: ServerAction<RemoveMemberFn>,
    transfer: ServerAction<TransferOwnershipFn>,
    leave: ServerAction<LeaveWorkspaceFn>,
    delete: ServerAction<DeleteWorkspaceFn>,
}

impl Actions {
    fn new() -> Self {
        Actions {
            rename: ServerAction::new(),
            invite: ServerAction::new(),
            revoke: ServerAction::new(),
            change_role: ServerAction::new(),
            remove: ServerAction::new(),
            transfer: ServerAction::new(),
            leave: ServerAction::new(),
            delete: ServerAction::new(),
        }
    }

    fn versions(&self) -> usize {
        self.rename.version().get()
            + self.invite.version().get()
            + self.revoke.version().get()
            + self.change_role.version().get()
            + self.remove.version().get()
            + self.transfer.version().get()
            + self.leave.version().get()
            + self.delete.version().get()
    }

    /// The latest error of any action, for the one alert at the top. It
    /// stays there even when the reload after the action hides the form
    /// (a member whose role changed meanwhile).
    fn error(&self) -> Signal<Option<AppError>> {
        let errors = [
            last_error(self.rename),
            last_error(self.invite),
            last_error(self.revoke),
            last_error(self.change_role),
            last_error(self.remove),
            last_error(self.transfer),
            last_error(self.leave),
            last_error(self.delete),
        ];
        Signal::derive(move || errors.iter().find_map(|error| error.get()))
    }
}

#[component]
fn WorkspaceSettings(
    detail: Resource<Result<WorkspaceDetail, AppError>>,
    actions: Actions,
) -> impl IntoView {
    let viewer = use_viewer();
    // Membership changes can move the caller to another workspace.
    Effect::new(move |previous: Option<usize>| {
        let now = actions.leave.version().get() + actions.delete.version().get();
        if previous.is_some_and(|previous| previous != now) {
            viewer.refresh();
        }
        now
    });
    let error = actions.error();
    let needs_sudo = move || matches!(error.get(), Some(AppError::SudoRequired));

    view! {
        // Field errors are shown next to their field instead.
        <FormError error fields=&["name", "email", "role"] />
        <Show when=needs_sudo>
            <SudoPrompt />
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                view_or_alert(detail.await.map(|detail| view! { <WorkspaceBody detail actions /> }))
            })}
        </Transition>
        <CreateWorkspace />
        <p><A href="/settings/audit">"Audit log"</A></p>
    }
}

#[component]
fn WorkspaceBody(detail: WorkspaceDetail, actions: Actions) -> impl IntoView {
    let role = detail.workspace.role;
    // Every form names the workspace it acts on (see `auth::scope_in`).
    let ws = detail.workspace.id;
    let name = StoredValue::new(detail.workspace.name.clone());
    let invitations = StoredValue::new(detail.invitations.clone());
    let rename_error = last_error(actions.rename);
    let invite_error = last_error(actions.invite);
    let invited = succeeded(actions.invite);

    view! {
        <section class="card" aria-labelledby="ws-heading">
            <h2 id="ws-heading" data-testid="workspace-name">{detail.workspace.name.clone()}</h2>
            <p class="muted">"Your role: " <span data-testid="my-role">{role.label()}</span></p>
            <Show when=move || role.may(Action::Rename)>
                <ActionForm action=actions.rename>
                    <input type="hidden" name="workspace_id" value=ws />
                    <Field name="name" label="Name" value=name.get_value() error=rename_error />
                    <Submit label="Rename" busy="Saving…" pending=actions.rename.pending().into() />
                </ActionForm>
            </Show>
        </section>
        <section class="card" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <ul class="rows" data-testid="members">
                {detail
                    .members
                    .into_iter()
                    .map(|member| view! { <MemberRow member my_role=role workspace_id=ws actions /> })
                    .collect_view()}
            </ul>
        </section>
        <Show when=move || role.may(Action::Invite)>
            <section class="card" aria-labelledby="invite-heading">
                <h2 id="invite-heading">"Invite someone"</h2>
                <ActionForm action=actions.invite>
                    <input type="hidden" name="workspace_id" value=ws />
                    <Field name="email" label="Email address" kind="email" error=invite_error />
                    <RoleSelect name="role" my_role=role current=Role::Member />
                    <Submit label="Send invitation" busy="Sending…" pending=actions.invite.pending().into() testid="invite" />
                </ActionForm>
                <Show when=move || invited.get()>
                    <p class="alert alert-ok" role="status" data-testid="invited">"Invitation sent."</p>
                </Show>
                <h3>"Pending invitations"</h3>
                {move || if invitations.with_value(Vec::is_empty) {
                    view! { <p class="muted">"No invitations are waiting."</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows" data-testid="invitations">
                            {invitations.get_value().into_iter().map(|invitation| view! {
                                <li class="row">
                                    <span>{invitation.email} " · " {invitation.role.label()} " · until "
                                        <Timestamp secs=invitation.expires_at /></span>
                                    <ActionForm action=actions.revoke>
                                        <input type="hidden" name="workspace_id" value=ws />
                                        <input type="hidden" name="id" value=invitation.id />
                                        <button type="submit" class="button button-quiet">"Withdraw"</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </Show>
        <section class="card" aria-labelledby="leave-heading">
            <h2 id="leave-heading">"Leave or delete"</h2>
            <ActionForm action=actions.leave>
                <input type="hidden" name="workspace_id" value=ws />
                <Submit label="Leave this workspace" busy="Leaving…" pending=actions.leave.pending().into() danger=true testid="leave" />
            </ActionForm>
            <Show when=move || role.may(Action::Delete)>
                <p class="muted">"Deleting removes the workspace and everything in it for all members. It asks for your password unless you typed it in the last ten minutes."</p>
                <ActionForm action=actions.delete>
                    <input type="hidden" name="workspace_id" value=ws />
                    <Submit label="Delete this workspace" busy="Deleting…" pending=actions.delete.pending().into() danger=true testid="delete-workspace" />
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
fn MemberRow(member: Member, my_role: Role, workspace_id: i64, actions: Actions) -> impl IntoView {
    let may_manage =
        my_role.may(Action::ChangeRoles) && my_role.may_assign(member.role, Role::Member);
    let may_transfer = my_role.may(Action::TransferOwnership) && member.role != Role::Owner;
    let id = member.user_id;

    view! {
        <li class="row" data-testid="member" data-email=member.email.clone()>
            <div>
                <strong>{member.display_name.clone()}</strong>
                <p class="muted">{member.email.clone()} " · joined " <Timestamp secs=member.joined_at /></p>
            </div>
            <span class="badge" data-testid="member-role">{member.role.label()}</span>
            <Show when=move || may_manage>
                <ActionForm action=actions.change_role>
                    <input type="hidden" name="workspace_id" value=workspace_id />
                    <input type="hidden" name="user_id" value=id />
                    <RoleSelect name="role" my_role current=member.role />
                    <button type="submit" class="button button-quiet" data-testid="change-role">"Change role"</button>
                </ActionForm>
                <ActionForm action=actions.remove>
                    <input type="hidden" name="workspace_id" value=workspace_id />
                    <input type="hidden" name="user_id" value=id />
                    <button type="submit" class="button button-quiet" data-testid="remove-member">"Remove"</button>
                </ActionForm>
            </Show>
            <Show when=move || may_transfer>
                <ActionForm action=actions.transfer>
                    <input type="hidden" name="workspace_id" value=workspace_id />
                    <input type="hidden" name="user_id" value=id />
                    <button type="submit" class="button button-quiet">"Make owner"</button>
                </ActionForm>
            </Show>
        </li>
    }
}

/// A role picker offering only the roles the caller may hand out.
#[component]
fn RoleSelect(name: &'static str, my_role: Role, current: Role) -> impl IntoView {
    view! {
        <label class="inline">
            <span class="visually-hidden">"Role"</span>
            <select name=name data-testid="role-select">
                {Role::ALL
                    .into_iter()
                    .filter(|role| my_role.may_assign(Role::Member, *role) || *role == current)
                    .map(|role| view! { <option value=role.as_str() selected=role == current>{role.label()}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn CreateWorkspace() -> impl IntoView {
    let create = ServerAction::<CreateWorkspaceFn>::new();
    let error = last_error(create);
    let viewer = use_viewer();
    Effect::new(move |_| {
        if create.value().with(|value| matches!(value, Some(Ok(_)))) {
            viewer.refresh();
        }
    });

    view! {
        <section class="card" aria-labelledby="create-heading">
            <h2 id="create-heading">"Create another workspace"</h2>
            <ActionForm action=create>
                <Field name="name" id="create-workspace-name" label="Name" error />
                <Submit label="Create workspace" busy="Creating…" pending=create.pending().into() testid="create-workspace" />
            </ActionForm>
        </section>
    }
}

#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let token = StoredValue::new(
        use_query_map()
            .with_untracked(|query| query.get("token"))
            .unwrap_or_default(),
    );
    let preview = page_resource(move || token.get_value(), invitation_preview);
    let accept = ServerAction::<AcceptInvitationFn>::new();
    let error = last_error(accept);
    let viewer = use_viewer();
    let here = use_location();
    let next = move || {
        // `search` comes without its leading `?`.
        let search = here.search.get_untracked();
        let path = here.pathname.get_untracked();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };

    view! {
        <PageHeader title="Invitation" summary="Join a workspace you were invited to." />
        <section class="card narrow">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let preview = match preview.await {
                        Ok(preview) => preview,
                        Err(error) => return view! { <ErrorAlert error /> }.into_any(),
                    };
                    let signed_in = matches!(viewer.resource.await, Ok(Some(_)));
                    view! {
                            <p data-testid="invitation">
                                "You are invited to " <strong>{preview.workspace_name.clone()}</strong>
                                " as " {preview.role.label().to_lowercase()} " (sent to " {preview.email.clone()} ")."
                            </p>
                            {if signed_in {
                                view! {
                                    <ActionForm action=accept>
                                        <input type="hidden" name="token" value=token.get_value() />
                                        <FormError error fields=&[] />
                                        <Submit label="Accept invitation" busy="Joining…" pending=accept.pending().into() testid="accept" />
                                    </ActionForm>
                                }.into_any()
                            } else {
                                let back = urlencode(&next());
                                view! {
                                    <p>"Sign in, or create an account, to accept."</p>
                                    <p>
                                        <A href=format!("/sign-in?next={back}")>"Sign in"</A>
                                        " · "
                                        <A href="/sign-up">"Create an account"</A>
                                    </p>
                                    <p class="muted">"After creating an account, open this invitation link again."</p>
                                }.into_any()
                            }}
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let entries = page_resource(|| (), |()| audit_log(None));
    view! {
        <PageHeader title="Audit log" summary="Security events in this workspace, newest first. Owners and admins only." />
        <SignInRequired>
            <section class="card">
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            view_or_alert(entries.await.map(|entries| if entries.is_empty() {
                                view! { <p class="muted">"Nothing has been recorded yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table" data-testid="audit">
                                        <thead><tr><th>"When"</th><th>"Event"</th><th>"Who"</th><th>"Details"</th><th>"Address"</th></tr></thead>
                                        <tbody>
                                            {entries.into_iter().map(|entry| view! {
                                                <tr>
                                                    <td><Timestamp secs=entry.at /></td>
                                                    <td>{entry.action}</td>
                                                    <td>{entry.actor.unwrap_or_default()}</td>
                                                    <td>{entry.detail}</td>
                                                    <td>{entry.ip.unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }))
                        })}
                </Transition>
            </section>
        </SignInRequired>
    }
}

/// Percent-encodes a path and query for use as one query value.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
