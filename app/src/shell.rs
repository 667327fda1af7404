//! The HTML document shell and the router of the web app. Every page is server-rendered and then
//! hydrated by the `frontend` crate.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, LazyRoute, ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
    lazy_route,
};

use crate::components::theme::{Theme, ThemeSwitch};
use crate::pages::{
    checkout::CheckoutPage,
    claim::ClaimPage,
    dashboard::{DashboardSignInPage, WebhooksPage},
    home::HomePage,
    my_seats::MySeatsPage,
    not_found::NotFound,
    portal::PortalPage,
};

/// The full HTML document rendered by the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=Theme::current().attribute()>
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
                // Pages a stranger's browser acts on render whole before the first byte (no streamed
                // fallbacks that only a script could replace), so they work without JavaScript.
                <Route path=(StaticSegment("checkout"), ParamSegment("client_secret")) view={Lazy::<Checkout>::new()} ssr=SsrMode::Async />
                <Route path=(ParamSegment("org_slug"), StaticSegment("portal")) view={Lazy::<Portal>::new()} ssr=SsrMode::Async />
                <Route path=(ParamSegment("org_slug"), StaticSegment("portal"), StaticSegment("claim")) view={Lazy::<Claim>::new()} ssr=SsrMode::Async />
                <Route path=(ParamSegment("org_slug"), StaticSegment("portal"), StaticSegment("seats")) view={Lazy::<MySeats>::new()} ssr=SsrMode::Async />
                <Route path=StaticSegment("dashboard") view={Lazy::<DashboardSignIn>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("webhooks")) view={Lazy::<Webhooks>::new()} ssr=SsrMode::Async />
            </Routes>
            <footer class="site-footer">
                <ThemeSwitch initial=Theme::current() />
            </footer>
        </Router>
    }
}

/// The Content-Security-Policy of a page whose inline scripts carry `nonce`: scripts only from this
/// server, plus the page's own inline scripts (the hydration bootstrap and streamed data) by their
/// per-response nonce, which leptos puts on every script it writes; WASM compilation
/// (`'wasm-unsafe-eval'`, what hydration needs); styles, images and fetches (server functions) from
/// this server only; no plugins, no `<base>`, forms posting only here, and no framing.
///
/// The server's middleware makes the nonce, gives it to the render through the request, and sets
/// this header on the page's response itself: a header that depended on the render reaching the
/// response (leptos' `ResponseOptions`) was seen missing on a rare request, leaving a page that
/// could not load its own scripts.
#[cfg(feature = "ssr")]
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

// Pages whose code the browser loads only when it shows one (`#[lazy_route]`): with `cargo leptos
// build --split` each is a chunk of the wasm of its own, fetched when a page of that kind is first
// shown (the first load included). The home and not-found pages stay in the main module.

/// The route of [`CheckoutPage`], loaded on demand.
struct Checkout;

#[lazy_route]
impl LazyRoute for Checkout {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <CheckoutPage /> }.into_any()
    }
}

/// The route of [`PortalPage`], loaded on demand.
struct Portal;

#[lazy_route]
impl LazyRoute for Portal {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <PortalPage /> }.into_any()
    }
}

/// The route of [`ClaimPage`], loaded on demand.
struct Claim;

#[lazy_route]
impl LazyRoute for Claim {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ClaimPage /> }.into_any()
    }
}

/// The route of [`MySeatsPage`], loaded on demand.
struct MySeats;

#[lazy_route]
impl LazyRoute for MySeats {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <MySeatsPage /> }.into_any()
    }
}

/// The route of [`DashboardSignInPage`], loaded on demand.
struct DashboardSignIn;

#[lazy_route]
impl LazyRoute for DashboardSignIn {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <DashboardSignInPage /> }.into_any()
    }
}

/// The route of [`WebhooksPage`], loaded on demand.
struct Webhooks;

#[lazy_route]
impl LazyRoute for Webhooks {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <WebhooksPage /> }.into_any()
    }
}
