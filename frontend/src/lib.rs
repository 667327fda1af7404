//! The browser entry point: hydrates the server-rendered app. `hydrate_lazy` (not `hydrate_body`):
//! most pages are lazy routes whose code is a chunk of its own (see `app/src/shell.rs`), which the
//! router loads before it hydrates them.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
