//! The claim page `/{org_slug}/portal/claim?token=...`, where an invitation email leads: the product,
//! the organization, the invited email and the expiry, read without side effects; "Claim seat"
//! claims it and shows the benefits the seat gives (a license key with a copy button, notes). A dead
//! link (expired, used, revoked, replaced or unknown) gets a page saying what to do next.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::claim::{ClaimSeat, get_claim},
    components::hydration::HydrationMarker,
    model::claim_view::{ClaimPage as Invitation, ClaimedSeat, GrantedBenefit},
    server_fn_error_text,
};

#[component]
pub fn ClaimPage() -> impl IntoView {
    let query = use_query_map();
    let params = use_params_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let org = move || params.read().get("org_slug").unwrap_or_default();
    let invitation = Resource::new(token, get_claim);

    view! {
        <Title text="Claim your seat" />
        <HydrationMarker>
            <main class="page claim">
                <Suspense fallback=|| view! { <p>"Loading your invitation…"</p> }>
                    {move || {
                        invitation.get().map(|result| match result {
                            Ok(invitation) => view! { <ClaimForm org=org() token=token() invitation /> }.into_any(),
                            Err(_) => view! { <DeadLink /> }.into_any(),
                        })
                    }}
                </Suspense>
            </main>
        </HydrationMarker>
    }
}

#[component]
fn DeadLink() -> impl IntoView {
    view! {
        <section class="card" data-testid="dead-link">
            <h1>"This invitation link can't be used"</h1>
            <p>
                "It may have expired, been used already, been replaced by a newer invitation, or the "
                "seat may have been taken back."
            </p>
            <p>"Ask the person who invited you (your team's billing manager) to resend the invitation."</p>
        </section>
    }
}

/// The invitation and its "Claim seat" form. The form posts to the claim server function, so it works
/// without JavaScript (the browser is sent to the member's page); hydrated, it claims in place.
#[component]
fn ClaimForm(org: String, token: String, invitation: Invitation) -> impl IntoView {
    let claim = ServerAction::<ClaimSeat>::new();
    let (org, token) = (StoredValue::new(org), StoredValue::new(token));
    let claimed = move || claim.value().get().and_then(Result::ok);
    let claim_error = move || {
        claim
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| server_fn_error_text(&e))
    };
    let expiry = invitation.expiry_text();
    let can_claim = invitation.can_claim;

    view! {
        <Show
            when=move || claimed().is_none()
            fallback=move || claimed().map(|seat| view! { <Claimed seat /> })
        >
            <header>
                <p class="muted">{invitation.organization_name.clone()}</p>
                <h1>{format!("You're invited to {}", invitation.product_name)}</h1>
            </header>
            <section class="card">
                <dl class="facts">
                    <dt>"Product"</dt>
                    <dd>{invitation.product_name.clone()}</dd>
                    <dt>"From"</dt>
                    <dd>{invitation.organization_name.clone()}</dd>
                    <dt>"Invited email"</dt>
                    <dd data-testid="invited-email">{invitation.email.to_string()}</dd>
                    <dt>"Expires"</dt>
                    <dd>{expiry.clone()}</dd>
                </dl>
                {(!can_claim).then(|| view! {
                    <p role="alert">"This seat can't be claimed right now: the team's plan is not active. Ask your billing manager."</p>
                })}
                <ActionForm action=claim>
                    <input type="hidden" name="org" value=org.get_value() />
                    <input type="hidden" name="token" value=token.get_value() />
                    <button type="submit" disabled=move || claim.pending().get() || !can_claim>
                        {move || if claim.pending().get() { "Claiming…" } else { "Claim seat" }}
                    </button>
                </ActionForm>
                <p class="error" role="alert">{claim_error}</p>
            </section>
        </Show>
    }
}

/// A claimed seat and its benefits, as its holder sees them.
#[component]
pub fn Claimed(seat: ClaimedSeat) -> impl IntoView {
    let has_benefits = !seat.benefits.is_empty();
    view! {
        <section class="card success" role="status" aria-live="polite">
            <h1>"Your seat is ready"</h1>
            <p>{format!("{} now has a seat for {} from {}.", seat.email, seat.product_name, seat.organization_name)}</p>
        </section>
        <section class="card" aria-labelledby="benefits-heading">
            <h2 id="benefits-heading">"Your benefits"</h2>
            {if has_benefits {
                view! {
                    <ul class="benefits">
                        {seat.benefits.into_iter().map(|b| view! { <Benefit benefit=b /> }).collect_view()}
                    </ul>
                }
                .into_any()
            } else {
                view! { <p class="muted">"This product has no benefits to show here."</p> }.into_any()
            }}
        </section>
    }
}

/// One benefit: its description, note and license key (with a copy button).
#[component]
pub fn Benefit(benefit: GrantedBenefit) -> impl IntoView {
    let copied = RwSignal::new(false);
    let summary = benefit.activation_summary();
    let activations = benefit.activations;
    view! {
        <li>
            <h3>{benefit.description}</h3>
            {benefit.note.map(|note| view! { <p>{note}</p> })}
            {benefit.license_key.map(|key| {
                let to_copy = key.clone();
                view! {
                    <p class="license">
                        <span class="muted">"License key "</span>
                        <code data-testid="license-key">{key}</code>
                        <button
                            type="button"
                            class="secondary"
                            on:click=move |_| {
                                copy_to_clipboard(&to_copy);
                                copied.set(true);
                            }
                        >
                            "Copy"
                        </button>
                        <span aria-live="polite" class="muted">{move || copied.get().then_some("Copied")}</span>
                    </p>
                    {summary.map(|summary| view! { <p class="muted" data-testid="activations">{summary}</p> })}
                    {activations
                        .filter(|activations| !activations.is_empty())
                        .map(|activations| {
                            view! {
                                <ul class="activations">
                                    {activations
                                        .into_iter()
                                        .map(|activation| {
                                            let since = activation.since_text();
                                            view! { <li>{activation.label}" · "{since}</li> }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                        })}
                }
            })}
        </li>
    }
}

/// Puts `text` on the clipboard (in the browser; nothing on the server).
fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}
