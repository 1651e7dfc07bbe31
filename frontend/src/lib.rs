//! The WebAssembly entry point. The server renders every page; this module
//! attaches Caveman's reactive UI to that HTML in the browser.

/// Called by the generated JavaScript loader once the module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
