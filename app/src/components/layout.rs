//! The application frame: brand, primary navigation and the main content
//! area.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::accounts::{SignOutFn, Viewer};
use crate::components::signed_in::ViewerState;
use crate::workspaces::SwitchWorkspaceFn;

/// One entry of the primary navigation.
struct NavItem {
    href: &'static str,
    label: &'static str,
}

const NAV: &[NavItem] = &[
    NavItem {
        href: "/dashboards",
        label: "Dashboards",
    },
    NavItem {
        href: "/services",
        label: "Services",
    },
    NavItem {
        href: "/deployments",
        label: "Deployments",
    },
    NavItem {
        href: "/hosts",
        label: "Hosts",
    },
    NavItem {
        href: "/sources",
        label: "Sources",
    },
    NavItem {
        href: "/probes",
        label: "Probes",
    },
    NavItem {
        href: "/settings",
        label: "Settings",
    },
];

/// Wraps every page: a skip link, the sidebar navigation and `<main>`.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let viewer = ViewerState::provide();

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="frame">
            <nav class="sidebar" aria-label="Primary">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Caveman"
                </A>
                <ul class="nav-list">
                    {NAV
                        .iter()
                        .map(|item| view! { <li><A href=item.href>{item.label}</A></li> })
                        .collect_view()}
                </ul>
                <div class="sidebar-foot">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match viewer.resource.await {
                                Ok(Some(viewer)) => view! { <UserBox viewer /> }.into_any(),
                                _ => view! {
                                    <p><A href="/sign-in" attr:data-testid="nav-sign-in">"Sign in"</A></p>
                                }
                                .into_any(),
                            }
                        })}
                    </Transition>
                    <A href="/about">"About"</A>
                </div>
            </nav>
            <main id="main" tabindex="-1">{children()}</main>
        </div>
    }
}

/// The signed-in person, their workspace switcher and the sign-out button.
#[component]
fn UserBox(viewer: Viewer) -> impl IntoView {
    let state = expect_context::<ViewerState>();
    let switch = ServerAction::<SwitchWorkspaceFn>::new();
    let sign_out = ServerAction::<SignOutFn>::new();
    Effect::new(move |_| {
        if switch.value().with(|value| matches!(value, Some(Ok(())))) {
            state.refresh();
        }
    });
    let current = viewer.workspace.id;

    view! {
        <div class="user-box" data-testid="user-box">
            <p class="user-name" data-testid="user-name">{viewer.user.display_name.clone()}</p>
            <ActionForm action=switch>
                <label class="field-hint" for="workspace-switcher">"Workspace"</label>
                <select id="workspace-switcher" name="id" data-testid="workspace-switcher">
                    {viewer
                        .workspaces
                        .iter()
                        .map(|workspace| view! {
                            <option value=workspace.id selected=workspace.id == current>
                                {workspace.name.clone()}
                            </option>
                        })
                        .collect_view()}
                </select>
                <button type="submit" class="button button-quiet" data-testid="switch-workspace">"Switch"</button>
            </ActionForm>
            <ul class="nav-list">
                <li><A href="/settings/workspace">"Workspace settings"</A></li>
                <li><A href="/settings">"Account"</A></li>
            </ul>
            <ActionForm action=sign_out>
                <button type="submit" class="button button-quiet" data-testid="sign-out">"Sign out"</button>
            </ActionForm>
        </div>
    }
}
