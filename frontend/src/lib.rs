//! The WebAssembly entry point. The server renders every page; this module
//! attaches Caveman's reactive UI to that HTML in the browser.

/// Called by the generated JavaScript loader once the module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Reached only when hydration walked the whole page: a mismatch with
    // the server's HTML panics inside `hydrate_body`, leaving the rest of
    // the page inert. Tests wait for this mark, not for an effect, which
    // would run even after such a panic.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
