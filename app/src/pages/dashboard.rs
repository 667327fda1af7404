//! The merchant dashboard: `/dashboard` signs in with an organization access token (kept in an
//! HttpOnly cookie, see `api::dashboard`), `/dashboard/webhooks` lists the organization's webhook
//! endpoints and its newest deliveries, each with a "Redeliver" button. Both work without
//! JavaScript (forms post to their server functions and come back); hydrated, the actions run in
//! place and say what happened in a live region.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::dashboard::{DashboardRedeliver, DashboardSignIn, DashboardSignOut, dashboard_webhooks},
    components::hydration::HydrationMarker,
    model::dashboard::{DeliverySummary, EndpointSummary, WebhooksDashboard},
    server_fn_error_text,
};

/// `/dashboard`: the sign-in form.
#[component]
pub fn DashboardSignInPage() -> impl IntoView {
    let query = use_query_map();
    // Set when a form posted without JavaScript came back refused; a fixed message.
    let refused = move || query.read().get("refused").is_some();
    let sign_in = ServerAction::<DashboardSignIn>::new();
    let signed_in = move || matches!(sign_in.value().get(), Some(Ok(())));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if signed_in() {
            navigate("/dashboard/webhooks", Default::default());
        }
    });
    let error = move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|_| "That token was not accepted: it is unknown, revoked or expired.".to_owned())
            .or_else(|| {
                refused().then(|| {
                    "That token was not accepted: it is unknown, revoked or expired.".into()
                })
            })
    };
    view! {
        <Title text="Dashboard sign-in" />
        <HydrationMarker>
            <main class="page dashboard">
                <h1>"Merchant dashboard"</h1>
                <section class="card">
                    <p>
                        "Sign in with an organization access token (it starts with "
                        <code>"skp_oat_"</code>
                        "). It stays in this browser in a cookie no script can read, for 8 hours or until you sign out."
                    </p>
                    <ActionForm action=sign_in>
                        <div class="field">
                            <label for="dashboard-token">"Access token"</label>
                            <input
                                id="dashboard-token"
                                name="token"
                                type="password"
                                autocomplete="off"
                                required
                                spellcheck="false"
                            />
                        </div>
                        <button type="submit" disabled=move || sign_in.pending().get()>
                            {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </ActionForm>
                    <p class="error live" role="alert">{error}</p>
                </section>
            </main>
        </HydrationMarker>
    }
}

/// `/dashboard/webhooks`: endpoints and recent deliveries.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let redeliver = ServerAction::<DashboardRedeliver>::new();
    // Reloads after each redelivery, so the log shows the new attempt once it is made.
    let dashboard = Resource::new(move || redeliver.version().get(), |_| dashboard_webhooks());
    view! {
        <Title text="Webhooks" />
        <HydrationMarker>
            <main class="page dashboard">
                <Suspense fallback=|| view! { <p>"Loading webhooks…"</p> }>
                    {move || {
                        dashboard.get().map(|result| match result {
                            Ok(dashboard) => view! { <Webhooks dashboard redeliver /> }.into_any(),
                            Err(_) => view! { <SignedOut /> }.into_any(),
                        })
                    }}
                </Suspense>
            </main>
        </HydrationMarker>
    }
}

#[component]
fn SignedOut() -> impl IntoView {
    view! {
        <section class="card" data-testid="dashboard-signed-out">
            <h1>"You're not signed in"</h1>
            <p>"Sign in with an organization access token to see your webhooks."</p>
            <a class="button" href="/dashboard">"Sign in"</a>
        </section>
    }
}

#[component]
fn Webhooks(
    dashboard: WebhooksDashboard,
    redeliver: ServerAction<DashboardRedeliver>,
) -> impl IntoView {
    let sign_out = ServerAction::<DashboardSignOut>::new();
    let signed_out = move || matches!(sign_out.value().get(), Some(Ok(())));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if signed_out() {
            navigate("/dashboard", Default::default());
        }
    });
    let outcome = move || {
        redeliver.value().get().map(|result| match result {
            Ok(()) => {
                "Redelivery scheduled: it is sent as soon as the endpoint's earlier events allow."
                    .to_owned()
            }
            Err(err) => format!("Could not redeliver: {}", server_fn_error_text(&err)),
        })
    };
    let WebhooksDashboard {
        organization_name,
        endpoints,
        deliveries,
        total_deliveries,
    } = dashboard;
    let shown = deliveries.len();
    view! {
        <header class="dashboard-header">
            <div>
                <p class="muted">{organization_name}</p>
                <h1>"Webhooks"</h1>
            </div>
            <ActionForm action=sign_out>
                <button type="submit" class="secondary">"Sign out"</button>
            </ActionForm>
        </header>
        <section class="card" aria-labelledby="endpoints-heading">
            <h2 id="endpoints-heading">"Endpoints"</h2>
            {if endpoints.is_empty() {
                view! {
                    <p class="muted">
                        "No endpoints yet. Create one with " <code>"POST /v1/webhooks/endpoints"</code> "."
                    </p>
                }
                .into_any()
            } else {
                view! { <EndpointTable endpoints /> }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="deliveries-heading">
            <h2 id="deliveries-heading">"Recent deliveries"</h2>
            <p class="muted">{format!("The newest {shown} of {total_deliveries}.")}</p>
            <p class="live" role="status" aria-live="polite" data-testid="redeliver-outcome">{outcome}</p>
            {if deliveries.is_empty() {
                view! { <p class="muted">"Nothing has been sent yet."</p> }.into_any()
            } else {
                view! { <DeliveryTable deliveries redeliver /> }.into_any()
            }}
        </section>
    }
}

#[component]
fn EndpointTable(endpoints: Vec<EndpointSummary>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"Endpoint"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Events"</th>
                    </tr>
                </thead>
                <tbody>
                    {endpoints
                        .into_iter()
                        .map(|endpoint| {
                            let events = if endpoint.events.is_empty() {
                                "none".to_owned()
                            } else {
                                endpoint.events.join(", ")
                            };
                            view! {
                                <tr>
                                    <td data-label="Endpoint">
                                        {endpoint.name.clone().map(|name| view! { <strong>{name}</strong><br /> })}
                                        <code class="url">{endpoint.url.clone()}</code>
                                    </td>
                                    <td data-label="Status">{if endpoint.enabled { "Enabled" } else { "Disabled" }}</td>
                                    <td data-label="Events" class="events">{events}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn DeliveryTable(
    deliveries: Vec<DeliverySummary>,
    redeliver: ServerAction<DashboardRedeliver>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Endpoint"</th>
                        <th scope="col">"Result"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {deliveries
                        .into_iter()
                        .map(|delivery| {
                            let result = if delivery.succeeded {
                                format!("Delivered ({}) in {} ms", delivery.outcome(), delivery.duration_ms)
                            } else {
                                format!("Failed ({}) after {} ms", delivery.outcome(), delivery.duration_ms)
                            };
                            let label = format!("Redeliver {} of {}", delivery.event_type, delivery.at_text());
                            view! {
                                <tr data-testid="delivery">
                                    <td data-label="When">{delivery.at_text()}</td>
                                    <td data-label="Event"><code>{delivery.event_type.clone()}</code></td>
                                    <td data-label="Endpoint"><code class="url">{delivery.endpoint_url.clone()}</code></td>
                                    <td data-label="Result" class=if delivery.succeeded { "ok" } else { "error" }>
                                        {result}
                                        {(!delivery.succeeded)
                                            .then(|| delivery.response_excerpt())
                                            .flatten()
                                            .map(|said| view! { <span class="said">{said}</span> })}
                                    </td>
                                    <td>
                                        <ActionForm action=redeliver>
                                            <input type="hidden" name="event_id" value=delivery.event_id.clone() />
                                            <button
                                                type="submit"
                                                class="secondary"
                                                aria-label=label
                                                disabled=move || redeliver.pending().get()
                                            >
                                                "Redeliver"
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
