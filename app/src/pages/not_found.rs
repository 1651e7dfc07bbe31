//! The page for any path that matches no route.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::AppError;
use crate::components::page_header::PageHeader;
use crate::error::set_page_error;

/// Rendered by the router's fallback; answers with HTTP status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_page_error(&AppError::NotFound {
        what: "The page".into(),
    });
    let path = use_location().pathname;

    view! {
        <PageHeader title="Page not found" summary="There is nothing at this address." />
        <section class="card not-found">
            <p>"No page exists at " <code>{move || path.get()}</code> "."</p>
            <p><A href="/">"Go to the overview"</A></p>
        </section>
    }
}
