//! The page for an unknown address (HTTP 404).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Page not found" />
        <main class="page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or go back to the "<a href="/">"home page"</a>"."</p>
        </main>
    }
}
