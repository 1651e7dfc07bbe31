//! How a part of a page that failed to load says so.
//!
//! Errors are shown as values, never through `<ErrorBoundary>`: the
//! browser finds the errors the server rendered by the boundary's number,
//! and a boundary inside a suspense boundary gets another number on the
//! server than in the browser (see `page_data`), so a page showing an
//! error failed to hydrate. `clippy.toml` forbids the component.

use leptos::prelude::*;

use crate::AppError;

/// The alert for one error. Its text is the user-safe `Display` of
/// [`AppError`]; internals never reach here.
#[component]
pub fn ErrorAlert(error: AppError) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert">
            <p>{error.to_string()}</p>
        </div>
    }
}

/// What loaded, or the alert saying why it did not.
pub fn view_or_alert<V: IntoView + 'static>(loaded: Result<V, AppError>) -> AnyView {
    match loaded {
        Ok(view) => view.into_any(),
        Err(error) => view! { <ErrorAlert error /> }.into_any(),
    }
}
