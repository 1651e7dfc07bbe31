//! The landing page: what Caveman does and where each part of it lives.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_header::PageHeader;

/// The overview shown at `/`.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <PageHeader
            title="Overview"
            summary="Caveman deploys your services to your own Docker hosts, Fly.io Machines and RunPod GPU pods, and shows what they are doing."
        />
        <section class="card" aria-labelledby="start-heading">
            <h2 id="start-heading">"Getting started"</h2>
            <p>
                "Hosts can be registered and tested now; the screens for sources, services and deployments are still being built. "
                "Each section in the navigation says what it will hold and whether it is available."
            </p>
            <ol class="steps">
                <li><A href="/hosts">"Register a host"</A>" — where workloads run."</li>
                <li><A href="/sources">"Connect a source"</A>" — where code and images come from."</li>
                <li><A href="/services">"Describe a service"</A>" — what to run and how."</li>
                <li><A href="/deployments">"Deploy it"</A>" — and watch it roll out live."</li>
            </ol>
            <p><A href="/about">"Check the server's version and database"</A>"."</p>
        </section>
    }
}
