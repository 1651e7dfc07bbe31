//! The application frame: brand, primary navigation and the main content
//! area.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::hydration::use_hydrated;

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
    // Marks the page once the WebAssembly has taken over, for tests and
    // for styles that should only apply to an interactive page.
    let hydrated = use_hydrated();

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="frame" data-hydrated=move || hydrated.get().then_some("true")>
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
                    <A href="/about">"About"</A>
                </div>
            </nav>
            <main id="main" tabindex="-1">{children()}</main>
        </div>
    }
}
