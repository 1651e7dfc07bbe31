//! How errors appear inside a page: the fallback of an `ErrorBoundary`.

use leptos::prelude::*;

/// Lists the errors caught by an `ErrorBoundary`. Their text is the
/// user-safe `Display` of [`crate::AppError`]; internals never reach here.
#[component]
pub fn ErrorList(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert">
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, error)| view! { <li>{error.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
