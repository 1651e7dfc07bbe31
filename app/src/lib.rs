//! Caveman's user interface, shared by the server (which renders it) and the
//! browser (which hydrates it).
//!
//! The crate compiles twice: with `ssr` into the `caveman` server and with
//! `hydrate` into the WebAssembly front end. Everything that only the server
//! may see (service traits, response status handling) sits behind `ssr`, so
//! the WebAssembly build never pulls in server-side dependencies.

pub mod accounts;
pub mod api_tokens;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod components;
pub mod csp;
pub mod error;
pub mod hosts;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod scope;
#[cfg(feature = "ssr")]
pub mod services;
pub mod sources;
pub mod system;
pub mod workspaces;

pub use error::AppError;
pub use routes::App;

use leptos::prelude::*;
use leptos_meta::MetaTags;

/// The HTML document the server wraps around [`App`] on every full page load.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    csp::set_policy();

    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}
