//! Pages for the domains whose features are not built yet.
//!
//! Each says plainly what the section will hold and that it is not available
//! in this version: no sample rows, no pretend data. A page moves out of this
//! module when its feature lands.

use leptos::prelude::*;

use crate::components::page_header::PageHeader;

/// The honest empty state for a section that does not exist yet.
#[component]
fn NotBuiltYet(title: &'static str, summary: &'static str, plans: &'static str) -> impl IntoView {
    view! {
        <PageHeader title summary />
        <section class="card empty-state" data-testid="not-built">
            <h2>"Not available yet"</h2>
            <p>{plans}</p>
            <p class="muted">"This version of Caveman cannot do this yet. Nothing shown here is real data."</p>
        </section>
    }
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    view! {
        <NotBuiltYet
            title="Dashboards"
            summary="Live panels of metrics, logs and deployment state, grouped in tabs."
            plans="You will build dashboards from panels on a 24-column grid, organised in tabs, each updating live from probes and deployments."
        />
    }
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    view! {
        <NotBuiltYet
            title="Services"
            summary="The workloads Caveman deploys."
            plans="A service describes what to run: an image or repository, environment (stored encrypted), ports, health check, resources, replicas and target."
        />
    }
}

#[component]
pub fn DeploymentsPage() -> impl IntoView {
    view! {
        <NotBuiltYet
            title="Deployments"
            summary="Every rollout, its status, events and logs."
            plans="You will deploy a service, follow each step and its logs live, cancel, roll back to an exact earlier snapshot, and redeploy."
        />
    }
}

#[component]
pub fn ProbesPage() -> impl IntoView {
    view! {
        <NotBuiltYet
            title="Probes"
            summary="Agents on your hosts that stream metrics and logs."
            plans="You will register probes with a token, see which are connected, and feed their metrics and logs into dashboards."
        />
    }
}
