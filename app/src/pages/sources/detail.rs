//! A source's page: its last test and "test now"; for a registry a
//! browser of its repositories and their tags with digests, for a git
//! repository its branches; and for admins its settings, the pinned SSH
//! host key, credential replacement and deletion.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::components::error_view::view_or_alert;
use crate::components::forms::{Field, FormError, Submit, TextArea, last_error, succeeded};
use crate::components::page_data::page_resource;
use crate::components::page_header::PageHeader;
use crate::components::signed_in::{SignInRequired, use_signed_in, use_viewer};
use crate::components::sudo::SudoPrompt;
use crate::components::time::Timestamp;
use crate::pages::hosts::StatusBadge;
use crate::sources::server_fns::{
    DeleteSourceFn, PinSourceHostKeyFn, RegistryTagsFn, ReplaceSourceCredentialsFn,
    ScanGitHostKeyFn, TestSourceFn, UpdateSourceFn, git_branches, registry_repositories, source,
};
use crate::sources::{GitBranches, GitFacts, Repositories, SourceDetail, SourceKind, TagPage};
use crate::workspaces::roles::{Action, Role};

#[component]
pub fn SourcePage() -> impl IntoView {
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
    let changes = move || {
        actions.test.version().get()
            + actions.update.version().get()
            + actions.replace.version().get()
            + actions.pin.version().get()
    };
    let detail = page_resource(
        move || (id(), changes(), viewer.version()),
        |(id, ..)| async move {
            match id {
                Some(id) => source(id).await,
                None => Err(AppError::NotFound {
                    what: "The source".into(),
                }),
            }
        },
    );
    let paging = RwSignal::new(Paging::default());
    let contents = page_resource(
        move || {
            let id = id();
            (
                id,
                paging.with(|paging| paging.last_for(id)),
                changes(),
                viewer.version(),
            )
        },
        move |(id, last, ..)| async move {
            // Both resources reload on the same changes, in no promised
            // order: a detail still of the source before is not used.
            let source = match detail.await {
                Ok(detail) if Some(detail.summary.id) == id => detail.summary,
                _ => match id {
                    Some(id) => source(id).await?.summary,
                    None => {
                        return Err(AppError::NotFound {
                            what: "The source".into(),
                        });
                    }
                },
            };
            let (ws, id) = (source.workspace_id, source.id);
            Ok::<_, AppError>(match source.kind {
                SourceKind::Registry => {
                    Contents::Repositories(registry_repositories(ws, id, last).await)
                }
                SourceKind::Git => Contents::Branches(git_branches(ws, id).await),
            })
        },
    );
    // The page stays mounted when the address moves to another source,
    // which starts at the first page of its catalogue.
    Effect::new(move |previous: Option<Option<i64>>| {
        let now = id();
        if previous.is_some_and(|previous| previous != now) {
            paging.set(Paging::default());
        }
        now
    });
    let listing = Listing { contents, paging };

    view! {
        <PageHeader title="Source" summary="A container registry with its tags and digests, or a git repository with its branches." />
        <SignInRequired>
            <SourceView detail listing actions />
        </SignInRequired>
    }
}

/// What the source holds, read from it when the page opens: a page of a
/// registry's repositories, or a git repository's branches.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Contents {
    Repositories(Result<Repositories, AppError>),
    Branches(Result<GitBranches, AppError>),
}

/// The contents, with where the registry's catalogue is paged to.
#[derive(Clone, Copy)]
struct Listing {
    contents: Resource<Result<Contents, AppError>>,
    paging: RwSignal<Paging>,
}

/// Where a registry's catalogue is paged to: the last repository of the
/// page before (the catalogue's cursor), and the cursors before that, so
/// "Previous" can go back. It is kept while the page shows one source,
/// across its tests and changes, and names that source, so that it is
/// never applied to another before the page resets it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Paging {
    source: Option<i64>,
    last: Option<String>,
    earlier: Vec<Option<String>>,
}

impl Paging {
    fn last_for(&self, source: Option<i64>) -> Option<String> {
        self.last.clone().filter(|_| self.source == source)
    }

    fn has_earlier_for(&self, source: i64) -> bool {
        self.source == Some(source) && !self.earlier.is_empty()
    }

    fn next(&mut self, source: i64, next: String) {
        if self.source != Some(source) {
            *self = Paging {
                source: Some(source),
                ..Paging::default()
            };
        }
        self.earlier.push(self.last.replace(next));
    }

    fn previous(&mut self, source: i64) {
        if self.source == Some(source) {
            self.last = self.earlier.pop().flatten();
        }
    }
}

/// Every action on the page that changes the source, so the page reloads
/// after any of them.
#[derive(Clone, Copy)]
struct Actions {
    test: ServerAction<TestSourceFn>,
    update: ServerAction<UpdateSourceFn>,
    replace: ServerAction<ReplaceSourceCredentialsFn>,
    scan: ServerAction<ScanGitHostKeyFn>,
    pin: ServerAction<PinSourceHostKeyFn>,
    delete: ServerAction<DeleteSourceFn>,
}

#[component]
fn SourceView(
    detail: Resource<Result<SourceDetail, AppError>>,
    listing: Listing,
    actions: Actions,
) -> impl IntoView {
    let signed_in = use_signed_in();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(actions.delete.value().get(), Some(Ok(()))) {
            navigate("/sources", Default::default());
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
            "name", "description", "username", "password", "private_key",
        ] />
        <Show when=needs_sudo>
            <SudoPrompt />
        </Show>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let role = signed_in.workspace.role;
                view_or_alert(detail.await.map(|detail| view! { <SourceBody detail role listing actions /> }))
            })}
        </Transition>
        <p><A href="/sources">"All sources"</A></p>
    }
}

#[component]
fn SourceBody(
    detail: SourceDetail,
    role: Role,
    listing: Listing,
    actions: Actions,
) -> impl IntoView {
    let source = detail.summary.clone();
    let ws = source.workspace_id;
    let id = source.id;
    let may_manage = role.may(Action::ManageResources);
    let update_error = last_error(actions.update);
    // Read again by the manager-only sections, which may render repeatedly.
    let name = StoredValue::new(source.name.clone());
    let description = StoredValue::new(detail.description.clone());
    let has_credentials = detail.has_credentials;
    let pinned = detail.host_key_fingerprint.clone();
    let over_ssh = pinned.is_some();
    let url = source.url.clone();
    let username = StoredValue::new(source.username.clone().unwrap_or_default());

    view! {
        <section class="card" aria-labelledby="source-heading">
            <h2 id="source-heading" data-testid="source-name">{source.name.clone()}</h2>
            <p class="muted">
                {source.provider_label()} " · " <code data-testid="source-url">{source.url.clone()}</code>
                " · " {match source.username.clone() {
                    Some(user) => format!("signed in as {user}"),
                    None => "anonymous".to_string(),
                }}
                " · added " <Timestamp secs=detail.created_at />
                {detail.created_by.clone().map(|name| format!(" by {name}"))}
            </p>
            {detail.api_url.clone().map(|api| view! {
                <p class="muted">"Repositories listed through " <code data-testid="source-api-url">{api}</code></p>
            })}
            {(!detail.description.is_empty()).then(|| view! { <p>{detail.description.clone()}</p> })}
            <p>
                "Status: " <StatusBadge status=source.status />
                {match source.checked_at {
                    Some(secs) => view! {
                        " · last tested " <Timestamp secs />
                        {source.latency_ms.map(|ms| format!(" in {ms} ms"))}
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
                <Submit label="Test sign-in" busy="Testing…" pending=actions.test.pending().into() testid="test-source" />
            </ActionForm>
        </section>
        {match source.kind {
            SourceKind::Registry => view! { <Browser ws id listing /> }.into_any(),
            SourceKind::Git => view! { <Branches listing facts=detail.git.clone() /> }.into_any(),
        }}
        <Show when=move || may_manage>
            <section class="card" aria-labelledby="settings-heading">
                <h2 id="settings-heading">"Settings"</h2>
                <ActionForm action=actions.update>
                    <input type="hidden" name="workspace_id" value=ws />
                    <input type="hidden" name="id" value=id />
                    <Field name="name" label="Name" value=name.get_value() error=update_error />
                    <Field name="description" label="Description" required=false value=description.get_value() error=update_error />
                    <Submit label="Save" busy="Saving…" pending=actions.update.pending().into() testid="save-source" />
                </ActionForm>
            </section>
            {pinned.clone().map(|fingerprint| view! {
                <HostKey ws id fingerprint url=url.clone() actions />
            })}
            <Account ws id has_credentials over_ssh username=username.get_value() actions />
            <section class="card" aria-labelledby="delete-heading">
                <h2 id="delete-heading">"Delete"</h2>
                <ActionForm action=actions.delete>
                    <input type="hidden" name="workspace_id" value=ws />
                    <input type="hidden" name="id" value=id />
                    <Submit label="Delete this source" busy="Deleting…" pending=actions.delete.pending().into() danger=true testid="delete-source" />
                </ActionForm>
            </section>
        </Show>
    }
}

/// Replacing the stored account; both fields empty make access anonymous.
#[component]
fn Account(
    ws: i64,
    id: i64,
    has_credentials: bool,
    over_ssh: bool,
    username: String,
    actions: Actions,
) -> impl IntoView {
    let error = last_error(actions.replace);
    let replaced = succeeded(actions.replace);
    let hint = "Replacing asks for your password unless you typed it in the last ten minutes.";
    let (state, fields) = if over_ssh {
        (
            "The private key is stored, encrypted. It is never shown again.",
            view! {
                <TextArea name="private_key" id="account-private-key" label="New private key" hint error />
            }
            .into_any(),
        )
    } else {
        (
            if has_credentials {
                "The password or token is stored, encrypted. It is never shown again."
            } else {
                "No password is stored: the source is used anonymously."
            },
            view! {
                <Field name="username" id="account-username" label="Username" required=false autocomplete="off" value=username error />
                <Field name="password" id="account-password" label="Password or token" kind="password" required=false autocomplete="off"
                    hint="Replacing asks for your password unless you typed it in the last ten minutes. Leave both empty for anonymous access." error />
            }
            .into_any(),
        )
    };
    view! {
        <section class="card" aria-labelledby="account-heading">
            <h2 id="account-heading">"Credential"</h2>
            <p class="muted" data-testid="credential-state">{state}</p>
            <ActionForm action=actions.replace>
                <input type="hidden" name="workspace_id" value=ws />
                <input type="hidden" name="id" value=id />
                {fields}
                <Submit label="Replace" busy="Saving…" pending=actions.replace.pending().into() testid="replace-account" />
            </ActionForm>
            <Show when=move || replaced.get()>
                <p class="alert alert-ok" role="status">"Replaced. Test the sign-in to check it."</p>
            </Show>
        </section>
    }
}

/// The pinned SSH host key of a git repository, and pinning a new one
/// after the server's key changed.
#[component]
fn HostKey(ws: i64, id: i64, fingerprint: String, url: String, actions: Actions) -> impl IntoView {
    let scan_error = last_error(actions.scan);
    let scanned = move || actions.scan.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="host-key-heading">
            <h2 id="host-key-heading">"SSH host key"</h2>
            <p>"Pinned: " <code data-testid="pinned-fingerprint">{fingerprint}</code></p>
            <p class="muted">"Connections to a server presenting any other key are refused. If the server's key changed, fetch the new one, compare it with the one its operator publishes, and pin it."</p>
            <ActionForm action=actions.scan>
                <input type="hidden" name="workspace_id" value=ws />
                <input type="hidden" name="url" value=url />
                <FormError error=scan_error fields=&[] />
                <Submit label="Fetch the key it presents now" busy="Connecting…" pending=actions.scan.pending().into() testid="rescan-host-key" />
            </ActionForm>
            {move || scanned().map(|key| view! {
                <p data-testid="rescanned-key">"It presents " <code>{key.algorithm.clone()}</code> " " <code>{key.fingerprint.clone()}</code> "."</p>
                <ActionForm action=actions.pin>
                    <input type="hidden" name="workspace_id" value=ws />
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="host_key_fingerprint" value=key.fingerprint.clone() />
                    <Submit label="Pin this key" busy="Pinning…" pending=actions.pin.pending().into() testid="pin-host-key" />
                </ActionForm>
            })}
        </section>
    }
}

/// A git repository's branches, read from it when the page opens, under
/// what its last test found.
#[component]
fn Branches(listing: Listing, facts: Option<GitFacts>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="branches-heading">
            <h2 id="branches-heading">"Branches"</h2>
            {match facts {
                Some(facts) => view! {
                    <p data-testid="git-facts">
                        "Last test: default branch "
                        <code data-testid="default-branch">{facts.default_branch.unwrap_or_else(|| "(not named)".into())}</code>
                        " at "
                        <code data-testid="head-commit">{facts.head_commit.unwrap_or_else(|| "(no commits)".into())}</code>
                        {format!(", {} branches.", facts.branch_count)}
                    </p>
                }.into_any(),
                None => view! { <p class="muted" data-testid="no-git-facts">"No test has reached this repository yet."</p> }.into_any(),
            }}
            <Transition fallback=|| view! { <p class="muted">"Asking the repository…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(Contents::Branches(branches)) = listing.contents.await else {
                        // The source's own error is shown above.
                        return ().into_any();
                    };
                    match branches {
                        Ok(listed) if listed.branches.is_empty() => view! {
                            <p class="muted" data-testid="no-branches">"This repository has no branches yet."</p>
                        }.into_any(),
                        Ok(listed) => {
                            let default = listed.default_branch.clone();
                            let more = listed.branch_count - listed.branches.len() as i64;
                            view! {
                                <table class="table" data-testid="branches">
                                    <thead><tr><th>"Branch"</th><th>"Commit"</th></tr></thead>
                                    <tbody>
                                        {listed.branches.into_iter().map(|branch| {
                                            let is_default = default.as_deref() == Some(branch.name.as_str());
                                            view! {
                                                <tr data-testid="branch-row" data-branch=branch.name.clone()>
                                                    <td>
                                                        <code>{branch.name.clone()}</code>
                                                        {is_default.then(|| view! { " " <span class="badge">"default"</span> })}
                                                    </td>
                                                    <td><code data-testid="branch-commit">{branch.commit}</code></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {(more > 0).then(|| view! { <p class="muted">{format!("And {more} more, not listed.")}</p> })}
                            }.into_any()
                        }
                        Err(error) => view! {
                            <p class="alert alert-error" role="alert" data-testid="branches-error">{error.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The repository list (a page of the catalogue at a time, or a note that
/// the registry has none) and the tags of the repository chosen, each with
/// its digest.
#[component]
fn Browser(ws: i64, id: i64, listing: Listing) -> impl IntoView {
    let paging = listing.paging;
    let tags = ServerAction::<RegistryTagsFn>::new();
    let tags_error = last_error(tags);

    view! {
        <section class="card" aria-labelledby="repositories-heading">
            <h2 id="repositories-heading">"Repositories"</h2>
            <Transition fallback=|| view! { <p class="muted">"Asking the registry…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(Contents::Repositories(repositories)) = listing.contents.await else {
                        // The source's own error is shown above.
                        return ().into_any();
                    };
                    match repositories {
                        Ok(Repositories::Listed { names, next }) => view! {
                            <Catalogue ws id names next paging tags />
                        }.into_any(),
                        Ok(Repositories::NoCatalogue { why }) => view! {
                            <p class="muted" data-testid="no-catalogue">{why}</p>
                        }.into_any(),
                        Err(error) => view! {
                            <p class="alert alert-error" role="alert" data-testid="repositories-error">{error.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=tags>
                <input type="hidden" name="workspace_id" value=ws />
                <input type="hidden" name="id" value=id />
                <FormError error=tags_error fields=&["repository"] />
                <Field name="repository" id="browse-repository" label="Repository"
                    hint="Its name within the registry, like team/app (on Docker Hub, nginx means library/nginx)." error=tags_error />
                <Submit label="Show tags" busy="Reading…" pending=tags.pending().into() testid="show-tags" />
            </ActionForm>
        </section>
        {move || tags.value().get().and_then(Result::ok).map(|page| view! { <Tags ws id page tags /> })}
    }
}

/// One page of the catalogue: each name opens its tags.
#[component]
fn Catalogue(
    ws: i64,
    id: i64,
    names: Vec<String>,
    next: Option<String>,
    paging: RwSignal<Paging>,
    tags: ServerAction<RegistryTagsFn>,
) -> impl IntoView {
    let has_earlier = move || paging.with(|paging| paging.has_earlier_for(id));
    let previous = move |_| paging.update(|paging| paging.previous(id));
    let more = next.clone().map(|next| {
        move |_| {
            paging.update(|paging| paging.next(id, next.clone()));
        }
    });
    let listing = if names.is_empty() {
        // A vendor's API may have an empty page before more (projects
        // without images); the pager below still offers the next one.
        let words = if next.is_some() {
            "No repositories on this page."
        } else {
            "The registry lists no repositories that this account may see."
        };
        view! { <p class="muted" data-testid="no-repositories">{words}</p> }.into_any()
    } else {
        view! {
            <ul class="plain-list" data-testid="repositories">
                {names.into_iter().map(|name| {
                    let repository = name.clone();
                    let label = name.clone();
                    view! {
                        <li data-testid="repository" data-name=name>
                            <button type="button" class="link-button"
                                on:click=move |_| {
                                    tags.dispatch(RegistryTagsFn {
                                        workspace_id: ws,
                                        id,
                                        repository: repository.clone(),
                                        last: None,
                                    });
                                }>
                                {label}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {listing}
        <p class="pager">
            <Show when=has_earlier>
                <button type="button" class="button button-quiet" on:click=previous>"Previous"</button>
            </Show>
            {more.map(|more| view! {
                <button type="button" class="button button-quiet" data-testid="more-repositories" on:click=more>"Next"</button>
            })}
        </p>
    }
    .into_any()
}

/// A page of tags with their digests.
#[component]
fn Tags(ws: i64, id: i64, page: TagPage, tags: ServerAction<RegistryTagsFn>) -> impl IntoView {
    let repository = page.repository.clone();
    let next = page.next.clone().map(|last| {
        let repository = repository.clone();
        move |_| {
            tags.dispatch(RegistryTagsFn {
                workspace_id: ws,
                id,
                repository: repository.clone(),
                last: Some(last.clone()),
            });
        }
    });
    view! {
        <section class="card" aria-labelledby="tags-heading">
            <h2 id="tags-heading">"Tags of " <code data-testid="tags-repository">{page.repository.clone()}</code></h2>
            {if page.tags.is_empty() {
                view! { <p class="muted" data-testid="no-tags">"This repository has no tags."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="tags">
                        <thead><tr><th>"Tag"</th><th>"Digest"</th></tr></thead>
                        <tbody>
                            {page.tags.into_iter().map(|row| view! {
                                <tr data-testid="tag-row" data-tag=row.tag.clone()>
                                    <td><code>{row.tag.clone()}</code></td>
                                    <td>{match (row.digest, row.error) {
                                        (Some(digest), _) => view! { <code data-testid="tag-digest">{digest}</code> }.into_any(),
                                        (None, error) => view! {
                                            <span class="field-error">{error.unwrap_or_else(|| "Not resolved.".into())}</span>
                                        }.into_any(),
                                    }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {next.map(|next| view! {
                <p class="pager">
                    <button type="button" class="button button-quiet" data-testid="more-tags" on:click=next>"Next tags"</button>
                </p>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::Paging;

    #[test]
    fn paging_goes_forward_and_back_within_one_source() {
        let mut paging = Paging::default();
        assert_eq!(paging.last_for(Some(1)), None);
        paging.next(1, "b".into());
        paging.next(1, "d".into());
        assert_eq!(paging.last_for(Some(1)), Some("d".into()));
        assert!(paging.has_earlier_for(1));
        paging.previous(1);
        assert_eq!(paging.last_for(Some(1)), Some("b".into()));
        paging.previous(1);
        assert_eq!(paging.last_for(Some(1)), None);
        assert!(!paging.has_earlier_for(1));
    }

    #[test]
    fn another_source_starts_at_its_first_page() {
        let mut paging = Paging::default();
        paging.next(1, "b".into());
        assert_eq!(paging.last_for(Some(2)), None);
        assert!(!paging.has_earlier_for(2));
        paging.previous(2);
        assert_eq!(paging.last_for(Some(1)), Some("b".into()));
        paging.next(2, "x".into());
        assert_eq!(paging.last_for(Some(2)), Some("x".into()));
        assert_eq!(paging.last_for(Some(1)), None);
        paging.previous(2);
        assert_eq!(paging.last_for(Some(2)), None);
    }
}
