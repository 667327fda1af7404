//! A marker that tells tests (and curious people) when the page has hydrated: the `data-hydrated`
//! attribute of the wrapped element turns to `true` once the WASM has taken over.

use leptos::prelude::*;

/// Wraps the page body; `data-hydrated="true"` appears once effects run in the browser.
#[component]
pub fn HydrationMarker(children: Children) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| hydrated.set(true));
    view! { <div class="hydration-root" data-testid="app" data-hydrated=move || hydrated.get().to_string()>{children()}</div> }
}
