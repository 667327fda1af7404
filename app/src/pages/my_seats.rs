//! `/{org_slug}/portal/seats`: the seats a person holds and what they give (license keys, notes).
//! A claim lands here when the page ran without JavaScript; the session is the HttpOnly cookie the
//! claim left (a link never carries it). Without a live session, the page says how to get back in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::claim::my_seats, components::hydration::HydrationMarker, model::claim_view::ClaimedSeat,
    pages::claim::Benefit,
};

#[component]
pub fn MySeatsPage() -> impl IntoView {
    let params = use_params_map();
    let org = move || params.read().get("org_slug").unwrap_or_default();
    let seats = Resource::new(org, my_seats);
    view! {
        <Title text="Your seats" />
        <HydrationMarker>
            <main class="page claim">
                <Suspense fallback=|| view! { <p>"Loading your seats…"</p> }>
                    {move || {
                        seats.get().map(|result| match result {
                            Ok(seats) => view! { <Seats seats /> }.into_any(),
                            Err(_) => view! { <SignedOut /> }.into_any(),
                        })
                    }}
                </Suspense>
            </main>
        </HydrationMarker>
    }
}

#[component]
fn Seats(seats: Vec<ClaimedSeat>) -> impl IntoView {
    if seats.is_empty() {
        return view! {
            <h1>"Your seats"</h1>
            <p>"You hold no seat here right now. If you were invited, open the link in your invitation email."</p>
        }
        .into_any();
    }
    view! {
        <section class="card success" role="status" aria-live="polite">
            <h1>"Your seats"</h1>
            <p>{format!("Signed in as {}.", seats[0].email)}</p>
        </section>
        {seats
            .into_iter()
            .enumerate()
            .map(|(i, seat)| {
                let heading = format!("seat-{i}");
                let labelled_by = heading.clone();
                view! {
                    <section class="card" aria-labelledby=labelled_by>
                        <h2 id=heading>{format!("{} from {}", seat.product_name, seat.organization_name)}</h2>
                        {if seat.benefits.is_empty() {
                            view! { <p class="muted">"This product has no benefits to show here."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="benefits">
                                    {seat.benefits.into_iter().map(|b| view! { <Benefit benefit=b /> }).collect_view()}
                                </ul>
                            }
                            .into_any()
                        }}
                    </section>
                }
            })
            .collect_view()}
    }
    .into_any()
}

#[component]
fn SignedOut() -> impl IntoView {
    view! {
        <section class="card" data-testid="signed-out">
            <h1>"You're not signed in"</h1>
            <p>
                "Your session has ended or this browser has none. Open the link in your invitation "
                "email again, or ask your team's billing manager to resend it."
            </p>
        </section>
    }
}
