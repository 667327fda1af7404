//! The HTML document shell and the router of the web app. Every page is server-rendered and then
//! hydrated by the `frontend` crate.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::pages::{checkout::CheckoutPage, claim::ClaimPage, home::HomePage, not_found::NotFound};

/// The full HTML document rendered by the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: stylesheet, title and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/seatkeeper.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Seatkeeper".to_owned() } else { format!("{page} · Seatkeeper") }
        } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=HomePage />
                <Route path=(StaticSegment("checkout"), ParamSegment("client_secret")) view=CheckoutPage />
                <Route path=(ParamSegment("org_slug"), StaticSegment("portal"), StaticSegment("claim")) view=ClaimPage />
            </Routes>
        </Router>
    }
}
