//! The hosted checkout page `/checkout/{client_secret}`: the product, its seat tiers with the active
//! tier highlighted, a bounded seat-count input with the total updating as it changes (computed in
//! the browser by the same pricing code the server charges with), the buyer's email, and the
//! test-mode payment buttons. A decline shows why and lets the buyer try again.
//!
//! The form posts to the payment server function, so it works without JavaScript (the browser comes
//! back to this page, which shows the outcome: `?payment=declined|failed` when it failed); hydrated,
//! it pays in place and the total follows the seat count as it is typed.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::checkout::{PayCheckout, get_checkout},
    components::hydration::HydrationMarker,
    model::{billing::CheckoutStatus, checkout_view::CheckoutView},
    server_fn_error_text,
};

const TOKEN_VISA: &str = "tok_visa";
const TOKEN_DECLINED: &str = "tok_chargeDeclined";

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let client_secret = move || params.read().get("client_secret").unwrap_or_default();
    // Set when a form posted without JavaScript came back; a fixed message, never the query's text.
    let returned_failure = move || match query.read().get("payment").as_deref() {
        Some("declined") => Some("Your card was declined. Try another card."),
        Some("failed") => {
            Some("The payment did not go through. Check the seats and email, then try again.")
        }
        _ => None,
    };
    let checkout = Resource::new(client_secret, get_checkout);

    view! {
        <Title text="Checkout" />
        <HydrationMarker>
            <main class="page checkout">
                <Suspense fallback=|| view! { <p>"Loading the checkout…"</p> }>
                    {move || {
                        checkout.get().map(|result| match result {
                            Ok(view) => view! { <CheckoutForm client_secret=client_secret() view failure=returned_failure() /> }.into_any(),
                            Err(err) => view! {
                                <h1>"Checkout not found"</h1>
                                <p role="alert">{server_fn_error_text(&err)}</p>
                                <p>"Check the link you were given, or ask the seller for a new one."</p>
                            }
                            .into_any(),
                        })
                    }}
                </Suspense>
            </main>
        </HydrationMarker>
    }
}

#[component]
fn CheckoutForm(
    client_secret: String,
    view: CheckoutView,
    failure: Option<&'static str>,
) -> impl IntoView {
    let pricing = view.pricing().ok();
    let currency = view.currency.clone();
    let per_period = view.per_period();
    let (min, max) = (view.min_seats, view.max_seats);
    let seats_text = RwSignal::new(view.seats.to_string());
    let email = RwSignal::new(
        view.customer_email
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_default(),
    );
    let pay = ServerAction::<PayCheckout>::new();

    // The seat count, when the input holds a purchasable one.
    let seats = move || {
        seats_text
            .get()
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
    };
    let active_tier = {
        let pricing = pricing.clone();
        Memo::new(move |_| {
            seats().and_then(|n| pricing.as_ref().and_then(|p| p.tiers.tier_index_for(n)))
        })
    };
    let total = {
        let currency = currency.clone();
        Memo::new(move |_| match seats() {
            Some(n) => match pricing.as_ref().map(|p| p.amount_for(n)) {
                Some(Ok(amount)) => format!("Total: {}{per_period}", currency.format(amount)),
                _ => "This seat count cannot be priced.".to_owned(),
            },
            None => format!("Choose between {min} and {max} seats."),
        })
    };
    let paid = move || pay.value().get().and_then(Result::ok);
    let pay_error = move || match pay.value().get() {
        Some(Err(e)) => Some(server_fn_error_text(&e)),
        Some(Ok(_)) => None,
        None => failure.map(str::to_owned),
    };
    let client_secret = StoredValue::new(client_secret);
    let status = view.status;
    let closed = status != CheckoutStatus::Open;
    let tiers = view.tiers.clone();
    let tier_currency = currency.clone();

    view! {
        <header>
            <p class="muted">{view.organization_name.clone()}</p>
            <h1>{view.product_name.clone()}</h1>
            {view.product_description.clone().map(|d| view! { <p class="lead">{d}</p> })}
        </header>
        <Show
            when=move || !closed
            fallback=move || match status {
                CheckoutStatus::Succeeded => view! { <Paid /> }.into_any(),
                CheckoutStatus::Confirmed => view! {
                    <section class="card" role="status">
                        <h2>"Your payment is being processed"</h2>
                        <p>"Reload this page in a minute to see the outcome. You will not be charged twice."</p>
                    </section>
                }
                .into_any(),
                _ => view! {
                    <section class="card" role="status">
                        <h2>"This checkout has expired"</h2>
                        <p>"Ask the seller for a new checkout link if you want to buy again."</p>
                    </section>
                }
                .into_any(),
            }
        >
            <section class="card" aria-labelledby="tiers-heading">
                <h2 id="tiers-heading">"Price per seat"</h2>
                <table class="tiers">
                    <thead>
                        <tr><th scope="col">"Seats"</th><th scope="col">"Price per seat"</th></tr>
                    </thead>
                    <tbody>
                        {tiers.iter().enumerate().map(|(i, tier)| {
                            let range = match tier.max_seats {
                                Some(max) if max == tier.min_seats => format!("{max}"),
                                Some(max) => format!("{} – {max}", tier.min_seats),
                                None => format!("{} or more", tier.min_seats),
                            };
                            let price = tier_currency.format(tier.price_per_seat);
                            view! {
                                <tr
                                    class:active=move || active_tier.get() == Some(i)
                                    aria-current=move || (active_tier.get() == Some(i)).then_some("true")
                                    data-testid=format!("tier-{}", i + 1)
                                >
                                    <td>{range}</td>
                                    <td>{price}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {view.fixed.map(|fixed| view! { <p class="muted">{format!("Plus {} base price", currency.format(fixed))}</p> })}
            </section>

            <Show
                when=move || paid().is_none()
                fallback=move || view! { <Paid /> }
            >
                <ActionForm action=pay attr:class="card">
                    <input type="hidden" name="client_secret" value=client_secret.get_value() />
                    <div class="field">
                        <label for="seats">"Seats"</label>
                        <input
                            id="seats"
                            name="seats"
                            type="number"
                            inputmode="numeric"
                            min=min
                            max=max
                            required
                            // The attribute renders the count into the page for a browser without
                            // JavaScript; the binding keeps it live once hydrated.
                            value=seats_text.get_untracked()
                            bind:value=seats_text
                            aria-describedby="total"
                        />
                    </div>
                    <p id="total" class="total" aria-live="polite" data-testid="total">{total}</p>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="email" required value=email.get_untracked() bind:value=email />
                    </div>
                    <fieldset class="payment">
                        <legend>"Test payment"</legend>
                        <p class="muted">"This server uses the test payment provider: no real card is charged."</p>
                        <button
                            type="submit"
                            name="token"
                            value=TOKEN_VISA
                            disabled=move || pay.pending().get() || seats().is_none()
                        >
                            {move || if pay.pending().get() { "Paying…" } else { "Pay with test card" }}
                        </button>
                        <button
                            type="submit"
                            name="token"
                            value=TOKEN_DECLINED
                            class="secondary"
                            disabled=move || pay.pending().get() || seats().is_none()
                        >
                            "Pay with a declined test card"
                        </button>
                    </fieldset>
                    <p class="error" role="alert">{pay_error}</p>
                </ActionForm>
            </Show>
        </Show>
    }
}

/// What a paid checkout shows (at once with JavaScript, or when the browser comes back without).
#[component]
fn Paid() -> impl IntoView {
    view! {
        <section class="card success" role="status" aria-live="polite">
            <h2>"Payment received"</h2>
            <p>"Your seats are ready. The seller will tell you how to invite your team."</p>
        </section>
    }
}
