//! `/{org_slug}/portal`: the billing manager's seat console. Each pool (subscription or one-time
//! order) with its seats used, its renewal or end, and its seat table: invite by email, resend an
//! invitation, revoke access (after a confirmation step), filter by status.
//!
//! The session is the HttpOnly cookie a sign-in link (`?customer_session_token=...`, moved into the
//! cookie by the server before the page renders) or a claim left. A member who manages no seats is
//! sent to their own seats. Everything works without JavaScript (forms post and come back);
//! hydrated, actions run in place and announce their result in a live region.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::portal::{PortalInvite, PortalResend, PortalRevoke, PortalSignOut, get_portal_overview},
    components::hydration::HydrationMarker,
    model::{
        AppError,
        portal_view::{PortalOverview, PortalPool, PortalSeat, SeatView, moment},
    },
    server_fn_error_text,
};

/// The page's actions, shared by every pool's table.
#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<PortalInvite>,
    revoke: ServerAction<PortalRevoke>,
    resend: ServerAction<PortalResend>,
}

#[component]
pub fn PortalPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org = move || params.read().get("org_slug").unwrap_or_default();
    let actions = Actions {
        invite: ServerAction::<PortalInvite>::new(),
        revoke: ServerAction::<PortalRevoke>::new(),
        resend: ServerAction::<PortalResend>::new(),
    };
    let sign_out = ServerAction::<PortalSignOut>::new();
    // Read again after every action, so the tables show what the server now holds.
    let overview = Resource::new(
        move || {
            (
                org(),
                actions.invite.version().get(),
                actions.revoke.version().get(),
                actions.resend.version().get(),
                sign_out.version().get(),
            )
        },
        |(org, ..)| get_portal_overview(org),
    );
    // What the last action did, said in the live region.
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let said = |done: &str, failed: &str, result: Option<Result<String, AppError>>| {
        result.map(|result| match result {
            Ok(email) => Ok(format!("{done} {email}.")),
            Err(err) => Err(format!("{failed}: {}", server_fn_error_text(&err))),
        })
    };
    Effect::new(move |_| {
        if let Some(said) = said(
            "Invitation sent to",
            "Could not invite",
            actions.invite.value().get(),
        ) {
            outcome.set(Some(said));
        }
    });
    Effect::new(move |_| {
        if let Some(said) = said(
            "Access revoked for",
            "Could not revoke access",
            actions.revoke.value().get(),
        ) {
            outcome.set(Some(said));
        }
    });
    Effect::new(move |_| {
        if let Some(said) = said(
            "Invitation sent again to",
            "Could not resend the invitation",
            actions.resend.value().get(),
        ) {
            outcome.set(Some(said));
        }
    });
    let failed_without_script = move || query.read().get("failed").is_some();
    let link_expired = move || query.read().get("signin").is_some_and(|v| v == "expired");
    view! {
        <Title text="Seats" />
        <HydrationMarker>
            <main class="page portal">
                // A transition keeps the tables while they are read again after an action.
                <Transition fallback=|| view! { <p>"Loading your seats…"</p> }>
                    {move || {
                        overview.get().map(|result| match result {
                            Ok(overview) if overview.manages_seats => {
                                view! {
                                    <Console overview org=org() actions sign_out outcome failed=failed_without_script() />
                                }
                                    .into_any()
                            }
                            Ok(overview) => view! { <MemberOnly overview org=org() /> }.into_any(),
                            Err(_) => view! { <SignedOut link_expired=link_expired() /> }.into_any(),
                        })
                    }}
                </Transition>
            </main>
        </HydrationMarker>
    }
}

#[component]
fn Console(
    overview: PortalOverview,
    org: String,
    actions: Actions,
    sign_out: ServerAction<PortalSignOut>,
    outcome: RwSignal<Option<Result<String, String>>>,
    failed: bool,
) -> impl IntoView {
    let PortalOverview {
        organization_name,
        email,
        pools,
        ..
    } = overview;
    let message = move || match outcome.get() {
        Some(Ok(text)) => Some(view! { <span class="ok">{text}</span> }.into_any()),
        Some(Err(text)) => Some(view! { <span class="error">{text}</span> }.into_any()),
        None => failed.then(|| {
            view! {
                <span class="error">
                    "That did not go through. The tables below show where things stand now."
                </span>
            }
            .into_any()
        }),
    };
    let sign_out_org = org.clone();
    view! {
        <header class="dashboard-header">
            <div>
                <p class="muted">{organization_name}</p>
                <h1>"Your team's seats"</h1>
                <p class="muted">{format!("Signed in as {email}.")}</p>
            </div>
            <ActionForm action=sign_out>
                <input type="hidden" name="org" value=sign_out_org />
                <button type="submit" class="secondary">"Sign out"</button>
            </ActionForm>
        </header>
        <p class="live" role="status" aria-live="polite" data-testid="portal-outcome">{message}</p>
        {if pools.is_empty() {
            view! {
                <section class="card">
                    <p>"Your team has no seats yet. Once you buy a plan, its seats show here."</p>
                </section>
            }
            .into_any()
        } else {
            pools
                .into_iter()
                .enumerate()
                .map(|(i, pool)| view! { <Pool pool index=i org=org.clone() actions /> })
                .collect_view()
                .into_any()
        }}
    }
}

#[component]
fn Pool(pool: PortalPool, index: usize, org: String, actions: Actions) -> impl IntoView {
    let heading = format!("pool-{index}");
    let labelled_by = heading.clone();
    let invite_org = org.clone();
    let pool_value = match (pool.subscription_id, pool.order_id) {
        (Some(id), _) => format!("subscription:{id}"),
        (None, Some(id)) => format!("order:{id}"),
        (None, None) => String::new(),
    };
    let used = pool.used_seats();
    let free = pool.available_seats;
    let usage = format!("{used} of {} seats used · {free} free", pool.total_seats);
    let scheduled = pool
        .scheduled_seats
        .map(|seats| format!("Goes to {seats} seats at the renewal."));
    let filter = RwSignal::new(String::new());
    let seats = StoredValue::new(pool.seats);
    let email_id = format!("invite-{index}");
    let filter_id = format!("filter-{index}");
    view! {
        <section class="card pool" aria-labelledby=labelled_by data-testid="pool">
            <div class="pool-head">
                <h2 id=heading>{pool.product_name}</h2>
                <p class="muted">{pool.state.text()}</p>
            </div>
            <p class="usage" data-testid="pool-usage">{usage.clone()}</p>
            <progress max=pool.total_seats value=used aria-label=usage></progress>
            {scheduled.map(|text| view! { <p class="muted">{text}</p> })}
            {if free > 0 {
                view! {
                    <ActionForm action=actions.invite attr:class="invite">
                        <input type="hidden" name="org" value=invite_org />
                        <input type="hidden" name="pool" value=pool_value />
                        <div class="field">
                            <label for=email_id.clone()>"Email of the person to invite"</label>
                            <input
                                id=email_id
                                name="email"
                                type="email"
                                autocomplete="off"
                                required
                                placeholder="name@example.com"
                            />
                        </div>
                        <button type="submit" disabled=move || actions.invite.pending().get()>
                            {move || if actions.invite.pending().get() { "Inviting…" } else { "Invite" }}
                        </button>
                    </ActionForm>
                }
                .into_any()
            } else {
                view! {
                    <p class="muted">"Every seat is taken: revoke one to invite someone else."</p>
                }
                .into_any()
            }}
            {seats
                .with_value(|seats| !seats.is_empty())
                .then(|| {
                    view! {
                        <div class="field filter">
                            <label for=filter_id.clone()>"Show"</label>
                            <select
                                id=filter_id
                                on:change=move |ev| filter.set(event_target_value(&ev))
                            >
                                <option value="">"All seats"</option>
                                {SeatView::ALL
                                    .into_iter()
                                    .map(|view| view! { <option value=view.key()>{view.label()}</option> })
                                    .collect_view()}
                            </select>
                        </div>
                        <SeatTable seats filter org actions />
                    }
                })}
        </section>
    }
}

#[component]
fn SeatTable(
    seats: StoredValue<Vec<PortalSeat>>,
    filter: RwSignal<String>,
    org: String,
    actions: Actions,
) -> impl IntoView {
    let org = StoredValue::new(org);
    let rows = move || {
        let wanted = filter.get();
        seats.with_value(|seats| {
            seats
                .iter()
                .filter(|seat| wanted.is_empty() || seat.status.key() == wanted)
                .cloned()
                .map(|seat| view! { <SeatRow seat org=org.get_value() actions /> })
                .collect_view()
        })
    };
    view! {
        <div class="table-scroll">
            <table class="data seats">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Invited"</th>
                        <th scope="col">"Claimed or revoked"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn SeatRow(seat: PortalSeat, org: String, actions: Actions) -> impl IntoView {
    let status = seat.status;
    let when = seat
        .claimed_at
        .map(|at| format!("Claimed {}", moment(at)))
        .or_else(|| seat.revoked_at.map(|at| format!("Revoked {}", moment(at))))
        .or_else(|| {
            seat.invitation_expires_at.map(|at| match status {
                SeatView::Expired => format!("Invitation expired {}", moment(at)),
                _ => format!("Invitation valid until {}", moment(at)),
            })
        })
        .unwrap_or_default();
    let email = seat.email.to_string();
    let id = seat.id.to_string();
    let (resend_org, resend_id) = (org.clone(), id.clone());
    view! {
        <tr data-testid="seat" data-status=status.key()>
            <td data-label="Email">{email.clone()}</td>
            <td data-label="Status"><span class=format!("badge {}", status.key())>{status.label()}</span></td>
            <td data-label="Invited">{moment(seat.invited_at)}</td>
            <td data-label="Claimed or revoked">{when}</td>
            <td class="actions">
                {status
                    .can_resend()
                    .then(|| {
                        view! {
                            <ActionForm action=actions.resend>
                                <input type="hidden" name="org" value=resend_org />
                                <input type="hidden" name="seat_id" value=resend_id />
                                <button
                                    type="submit"
                                    class=if status == SeatView::Expired { "" } else { "secondary" }
                                    disabled=move || actions.resend.pending().get()
                                >
                                    "Resend invitation"
                                </button>
                            </ActionForm>
                        }
                    })}
                {status
                    .can_revoke()
                    .then(|| {
                        view! {
                            <details class="confirm">
                                <summary>"Revoke…"</summary>
                                <p>{format!("{email} loses access at once.")}</p>
                                <ActionForm action=actions.revoke>
                                    <input type="hidden" name="org" value=org />
                                    <input type="hidden" name="seat_id" value=id />
                                    <button
                                        type="submit"
                                        class="danger"
                                        disabled=move || actions.revoke.pending().get()
                                    >
                                        "Revoke access"
                                    </button>
                                </ActionForm>
                            </details>
                        }
                    })}
            </td>
        </tr>
    }
}

/// A member without seat management: their own seats are on `/portal/seats`.
#[component]
fn MemberOnly(overview: PortalOverview, org: String) -> impl IntoView {
    view! {
        <section class="card" data-testid="member-only">
            <h1>"Your seats"</h1>
            <p>{format!("Signed in as {}. Your team's billing manager manages its seats.", overview.email)}</p>
            <a class="button" href=format!("/{org}/portal/seats")>"See your seats and benefits"</a>
        </section>
    }
}

#[component]
fn SignedOut(link_expired: bool) -> impl IntoView {
    view! {
        <section class="card" data-testid="portal-signed-out">
            <h1>"You're not signed in"</h1>
            {link_expired
                .then(|| view! { <p class="error">"That sign-in link has expired or was already replaced."</p> })}
            <p>
                "Open the seat management link in the app you bought from again: it signs you in here "
                "for an hour."
            </p>
        </section>
    }
}
