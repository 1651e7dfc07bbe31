//! The heading block at the top of every page.

use leptos::prelude::*;
use leptos_meta::Title;

/// Page title (also the document title) and a one-line summary.
#[component]
pub fn PageHeader(title: &'static str, summary: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <header class="page-header">
            <h1>{title}</h1>
            <p class="page-summary">{summary}</p>
        </header>
    }
}
