//! The home page: what Seatkeeper is, where to go next, and the live status of this server (loaded on
//! the server, re-checked from the browser through the `get_system_status` server function).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{GetSystemStatus, get_system_status},
    components::hydration::HydrationMarker,
    model::SystemStatus,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_system_status());
    let check = ServerAction::<GetSystemStatus>::new();

    view! {
        <Title text="Self-hosted seat-based pricing" />
        <HydrationMarker>
            <main class="page">
                <header class="hero">
                    <h1>"Seatkeeper"</h1>
                    <p class="lead">
                        "Self-hosted seat-based pricing. Sell your product to teams: a billing manager buys seats, "
                        "invites people by email, and each person claims a seat and gets the product's benefits."
                    </p>
                </header>

                <section aria-labelledby="next-heading" class="card">
                    <h2 id="next-heading">"Get started"</h2>
                    <ul class="links">
                        <li>
                            <a href="/openapi.json" rel="external">"API document (OpenAPI)"</a>
                            " — the REST API, wire-compatible with Polar's customer-seats API."
                        </li>
                        <li>
                            <a href="/healthz" rel="external">"Health check"</a>
                            " and "
                            <a href="/readyz" rel="external">"readiness check"</a>
                            "."
                        </li>
                    </ul>
                    <Suspense fallback=|| ()>
                        {move || {
                            status.get().and_then(Result::ok).and_then(|s| s.demo).map(|demo| view! { <DemoLinks demo /> })
                        }}
                    </Suspense>
                </section>

                <section aria-labelledby="status-heading" class="card">
                    <h2 id="status-heading">"Server status"</h2>
                    <Suspense fallback=|| view! { <p>"Checking the server…"</p> }>
                        {move || {
                            status.get().map(|result| match result {
                                Ok(s) => view! { <StatusTable status=s /> }.into_any(),
                                Err(e) => view! { <p class="error" role="alert">{e.detail}</p> }.into_any(),
                            })
                        }}
                    </Suspense>
                    <div class="actions">
                        <button
                            type="button"
                            on:click=move |_| {
                                check.dispatch(GetSystemStatus {});
                            }
                            disabled=move || check.pending().get()
                        >
                            {move || if check.pending().get() { "Checking…" } else { "Check again" }}
                        </button>
                    </div>
                    <p class="live" aria-live="polite" data-testid="status-check-result">
                        {move || check.value().get().map(|result| match result {
                            Ok(s) => check_summary(&s),
                            Err(e) => format!("The check failed: {}", e.detail),
                        })}
                    </p>
                </section>
            </main>
        </HydrationMarker>
    }
}

/// One sentence about a fresh status check, for the live region.
fn check_summary(status: &SystemStatus) -> String {
    if status.database_reachable {
        format!(
            "Database reachable ({}), {} organization{}.",
            status.database,
            status.organizations,
            if status.organizations == 1 { "" } else { "s" }
        )
    } else {
        format!("The {} database is not reachable.", status.database)
    }
}

#[component]
fn StatusTable(status: SystemStatus) -> impl IntoView {
    view! {
        <dl class="status">
            <dt>"Version"</dt>
            <dd>{status.version}</dd>
            <dt>"Database"</dt>
            <dd>
                {format!(
                    "{} — {}",
                    status.database,
                    if status.database_reachable { "reachable" } else { "not reachable" },
                )}
            </dd>
            <dt>"Organizations"</dt>
            <dd>{status.organizations}</dd>
        </dl>
    }
}

#[component]
fn DemoLinks(demo: crate::model::DemoInfo) -> impl IntoView {
    view! {
        <div class="demo" data-testid="demo">
            <h3>"Demo: " {demo.name.clone()}</h3>
            <p>
                "This server runs with "<code>"--demo"</code>". Its access token was printed once in the "
                "terminal that started it. Try the API with it:"
            </p>
            <pre><code>{format!(
                "curl -H \"Authorization: Bearer $TOKEN\" \\\n     {}/v1/organizations/{}",
                demo.public_url, demo.organization_id
            )}</code></pre>
            <p>"Organization slug: "<code>{demo.slug.to_string()}</code></p>
        </div>
    }
}
