//! Knowing whether the page is interactive yet.
//!
//! Server-rendered controls that need the WebAssembly front end are disabled
//! until hydration finishes, so a click before then is never silently lost.

use leptos::prelude::*;

/// A signal that is `false` on the server and during the first client
/// render, and turns `true` once the browser has hydrated the page.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    // Effects never run during server rendering, only in the browser.
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
