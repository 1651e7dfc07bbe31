//! The Content-Security-Policy of server-rendered pages.
//!
//! leptos_axum creates a fresh nonce for every page and puts it on the
//! hydration scripts it renders; the policy allows scripts only from this
//! origin or carrying that nonce, and WebAssembly compilation, which the
//! front end needs.

/// Adds the policy, with this response's nonce, to the page being rendered.
/// Does nothing in the browser.
pub fn set_policy() {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(options)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = http::HeaderValue::from_str(&policy(&nonce))
    {
        options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The policy text for one nonce.
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}
