//! `/{org_slug}/portal`: the billing manager's seat console. Each pool (subscription or one-time
//! order) with its seats used, its renewal or end, and its seat table: invite by email, resend an
//! invitation, revoke access (after a confirmation step), filter by status.
//!
//! The session is the HttpOnly cookie a sign-in link (`?customer_session_token=...`, moved into the
//! cookie by the server before the page renders), a claim, or a code from a sign-in email left
//! (signed out, the page asks for an email, then for the code; the email's link fills the code in
//! with `?code=`). A member who manages no seats
//! gets a link to their own seats. Everything works without JavaScript (forms post and come back);
//! hydrated, actions run in place and announce their result in a live region.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Form,
    hooks::{use_params_map, use_query_map},
};

use crate::{
    api::portal::{
        PortalCancellation, PortalChangeSeats, PortalCodeSignIn, PortalInvite, PortalReassign,
        PortalRequestCode, PortalResend, PortalRevoke, PortalSignOut, get_portal_overview,
        portal_invite_many, portal_preview_seats,
    },
    components::hydration::HydrationMarker,
    model::{
        AppError,
        portal_view::{
            InviteList, InviteOutcome, PortalHistoryEntry, PortalOrder, PortalOverview, PortalPool,
            PortalSeat, SeatTerms, SeatView, preview_text, short_day, short_moment,
        },
        subscription_update::SeatChangePreview,
    },
    server_fn_error_text,
};

/// The page's actions, shared by every pool.
#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<PortalInvite>,
    revoke: ServerAction<PortalRevoke>,
    resend: ServerAction<PortalResend>,
    reassign: ServerAction<PortalReassign>,
    change_seats: ServerAction<PortalChangeSeats>,
    cancellation: ServerAction<PortalCancellation>,
    /// Moved when a list of invitations is done: the tables are read again.
    reload: RwSignal<u32>,
    /// What the last action did, said in the page's live region.
    outcome: RwSignal<Option<Result<String, String>>>,
}

/// A seat-count change asked for by the page's address (`?preview={subscription}&seats=N`, what
/// the "Preview change" form sends, with or without JavaScript) and the server's answer.
type Preview = Option<(String, u32, Result<SeatChangePreview, AppError>)>;

#[component]
pub fn PortalPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org = move || params.read().get("org_slug").unwrap_or_default();
    let actions = Actions {
        invite: ServerAction::<PortalInvite>::new(),
        revoke: ServerAction::<PortalRevoke>::new(),
        resend: ServerAction::<PortalResend>::new(),
        reassign: ServerAction::<PortalReassign>::new(),
        change_seats: ServerAction::<PortalChangeSeats>::new(),
        cancellation: ServerAction::<PortalCancellation>::new(),
        reload: RwSignal::new(0),
        outcome: RwSignal::new(None),
    };
    let sign_out = ServerAction::<PortalSignOut>::new();
    let sign_in = SignIn {
        request_code: ServerAction::<PortalRequestCode>::new(),
        with_code: ServerAction::<PortalCodeSignIn>::new(),
    };
    // Read again after every action, so the tables show what the server now holds.
    let overview = Resource::new(
        move || {
            (
                org(),
                actions.invite.version().get(),
                actions.revoke.version().get(),
                actions.resend.version().get(),
                actions.reassign.version().get(),
                actions.change_seats.version().get(),
                actions.cancellation.version().get(),
                actions.reload.get(),
                sign_out.version().get(),
                sign_in.with_code.version().get(),
            )
        },
        |(org, ..)| get_portal_overview(org),
    );
    let asked = move || {
        let query = query.read();
        let subscription = query.get("preview")?;
        let seats = query.get("seats")?.trim().parse::<u32>().ok()?;
        Some((subscription, seats))
    };
    let preview = Resource::new(
        move || (org(), asked()),
        |(org, asked)| async move {
            let (subscription, seats) = asked?;
            let answer = portal_preview_seats(org, subscription.clone(), seats).await;
            Some((subscription, seats, answer))
        },
    );
    let outcome = actions.outcome;
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
    Effect::new(move |_| {
        if let Some(said) = said(
            "Seat reassigned: invitation sent to",
            "Could not reassign the seat",
            actions.reassign.value().get(),
        ) {
            outcome.set(Some(said));
        }
    });
    Effect::new(move |_| {
        if let Some(said) = said(
            "Seat count changed for",
            "Could not change the seat count",
            actions.change_seats.value().get(),
        ) {
            outcome.set(Some(said));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = actions.cancellation.value().get() {
            outcome.set(Some(match result {
                Ok((name, true)) => Ok(format!(
                    "{name} is cancelled: its seats last until the period ends."
                )),
                Ok((name, false)) => Ok(format!("{name} renews again.")),
                Err(err) => Err(format!(
                    "Could not change the cancellation: {}",
                    server_fn_error_text(&err)
                )),
            }));
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
                                let preview = preview.get().flatten();
                                view! {
                                    <Console overview org=org() actions sign_out outcome preview failed=failed_without_script() />
                                }
                                    .into_any()
                            }
                            Ok(overview) => view! { <MemberOnly overview org=org() /> }.into_any(),
                            Err(err) if err.error == "Unauthorized" => {
                                let query = query.read_untracked();
                                view! {
                                    <SignedOut
                                        org=org()
                                        sign_in
                                        link_expired=link_expired()
                                        code=query.get("code").unwrap_or_default()
                                        code_sent=query.get("code_sent").is_some()
                                        failed=query.get("failed").is_some()
                                    />
                                }
                                    .into_any()
                            }
                            Err(err) => view! { <Unavailable err /> }.into_any(),
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
    preview: Preview,
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
                .map(|(i, pool)| {
                    let preview = preview.clone().filter(|(id, ..)| {
                        pool.subscription_id.is_some_and(|s| s.to_string() == *id)
                    });
                    view! { <Pool pool index=i org=org.clone() actions preview /> }.into_any()
                })
                .collect_view()
                .into_any()
        }}
    }
}

#[component]
fn Pool(
    pool: PortalPool,
    index: usize,
    org: String,
    actions: Actions,
    preview: Preview,
) -> impl IntoView {
    let heading = format!("pool-{index}");
    let labelled_by = heading.clone();
    let invite_org = org.clone();
    let invite_many_org = org.clone();
    let taken: Vec<crate::model::Email> = pool
        .seats
        .iter()
        .filter(|seat| {
            matches!(
                seat.status,
                SeatView::Pending | SeatView::Expired | SeatView::Claimed
            )
        })
        .map(|seat| seat.email.clone())
        .collect();
    let pool_value = match (pool.subscription_id, pool.order_id) {
        (Some(id), _) => format!("subscription:{id}"),
        (None, Some(id)) => format!("order:{id}"),
        (None, None) => String::new(),
    };
    let invite_many_pool = pool_value.clone();
    // A sent invitation empties the field for the next one (if it still holds that email: a
    // person typing the next one keeps it).
    let email_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(invited)) = actions.invite.value().get()
            && let Some(input) = email_input.get()
            && input.value().trim().eq_ignore_ascii_case(&invited)
        {
            input.set_value("");
        }
    });
    let used = pool.used_seats();
    let free = pool.available_seats;
    let usage = format!("{used} of {} seats used · {free} free", pool.total_seats);
    let scheduled = pool
        .scheduled_seats
        .map(|seats| format!("Goes to {seats} seats at the renewal."));
    let filter = RwSignal::new(String::new());
    let seats = StoredValue::new(pool.seats);
    let email_id = format!("invite-{index}");
    let change = match (pool.terms.clone(), pool.subscription_id) {
        (Some(terms), Some(subscription)) => Some(
            view! {
                <ChangeSeats
                    terms
                    scheduled=pool.scheduled_seats
                    subscription=subscription.to_string()
                    index
                    org=org.clone()
                    actions
                    preview
                />
            }
            .into_any(),
        ),
        _ => None,
    };
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
                                node_ref=email_input
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
                    <InviteMany index org=invite_many_org pool=invite_many_pool taken free actions />
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
                    .into_any()
                })}
            <Records orders=pool.orders history=pool.history history_total=pool.history_total />
            {change}
        </section>
    }
    .into_any()
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
                        <th scope="col">"Details"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn SeatRow(seat: PortalSeat, org: String, actions: Actions) -> impl IntoView {
    let status = seat.status;
    let when = seat
        .revoked_at
        .map(|at| format!("Revoked {}", short_day(at)))
        .or_else(|| {
            seat.claimed_at
                .map(|at| format!("Claimed {}", short_day(at)))
        })
        .or_else(|| {
            seat.invitation_expires_at.map(|at| match status {
                SeatView::Expired => format!("Link expired {}", short_moment(at)),
                _ => format!("Link valid until {}", short_moment(at)),
            })
        })
        .unwrap_or_default();
    let email = seat.email.to_string();
    let id = seat.id.to_string();
    let (resend_org, resend_id) = (org.clone(), id.clone());
    let (reassign_org, reassign_id) = (org.clone(), id.clone());
    let reassign_input = format!("reassign-{id}");
    view! {
        <tr data-testid="seat" data-status=status.key()>
            <td data-label="Email">{email.clone()}</td>
            <td data-label="Status"><span class=format!("badge {}", status.key())>{status.label()}</span></td>
            <td data-label="Invited" class="when">{short_day(seat.invited_at)}</td>
            <td data-label="Details">{when}</td>
            <td><div class="row-actions">
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
                            <details class="confirm reassign">
                                <summary>"Reassign…"</summary>
                                <p>{format!("{email} loses access; the new holder is invited in one step.")}</p>
                                <ActionForm action=actions.reassign>
                                    <input type="hidden" name="org" value=reassign_org />
                                    <input type="hidden" name="seat_id" value=reassign_id />
                                    <div class="field">
                                        <label for=reassign_input.clone()>"New holder's email"</label>
                                        <input
                                            id=reassign_input
                                            type="email"
                                            name="email"
                                            required
                                            autocomplete="off"
                                            placeholder="name@example.com"
                                        />
                                    </div>
                                    <button
                                        type="submit"
                                        disabled=move || actions.reassign.pending().get()
                                    >
                                        "Reassign"
                                    </button>
                                </ActionForm>
                            </details>
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
            </div></td>
        </tr>
    }
    .into_any()
}

/// Invites a pasted list: sorted out as it is typed (valid, not emails, already there), then sent
/// one email at a time with a progress bar, stopping when the pool is full, and summed up. Without
/// JavaScript the form posts the whole list to the same server function.
#[component]
fn InviteMany(
    index: usize,
    org: String,
    pool: String,
    taken: Vec<crate::model::Email>,
    free: u32,
    actions: Actions,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let list = Memo::new(move |_| InviteList::parse(&text.get(), &taken));
    let progress = RwSignal::new(None::<(usize, usize)>);
    let running = move || progress.get().is_some();
    let list_id = format!("invite-many-{index}");
    let file_id = format!("invite-file-{index}");
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // A picked file's text joins the list, which sorts it out as if it had been pasted.
    let read_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                leptos::task::spawn_local(async move {
                    if let Ok(read) = wasm_bindgen_futures::JsFuture::from(file.text()).await
                        && let Some(content) = read.as_string()
                    {
                        text.update(|list| {
                            if !list.trim().is_empty() {
                                list.push('\n');
                            }
                            list.push_str(&content);
                        });
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let (org, pool) = (StoredValue::new(org), StoredValue::new(pool));
    let plan = move || {
        let list = list.get();
        let count = list.valid.len();
        if count == 0 && list.invalid.is_empty() && list.duplicates.is_empty() {
            return String::new();
        }
        let mut said = format!(
            "{count} to invite · {} not emails · {} already there or repeated.",
            list.invalid.len(),
            list.duplicates.len()
        );
        if count > free as usize {
            said.push_str(&format!(
                " Only {free} seats are free: the first {free} are invited."
            ));
        }
        if !list.invalid.is_empty() {
            said.push_str(&format!(" Not emails: {}.", list.invalid.join(", ")));
        }
        said
    };
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let emails = list.get_untracked().valid;
        if emails.is_empty() || running() {
            return;
        }
        let total = emails.len();
        progress.set(Some((0, total)));
        actions.outcome.set(None);
        leptos::task::spawn_local(async move {
            let mut outcome = InviteOutcome {
                skipped: {
                    let list = list.get_untracked();
                    list.invalid.into_iter().chain(list.duplicates).collect()
                },
                ..InviteOutcome::default()
            };
            let mut left = emails.into_iter();
            for email in left.by_ref() {
                match portal_invite_many(org.get_value(), pool.get_value(), email.to_string()).await
                {
                    Ok(part) => {
                        let full = !part.no_seat_left.is_empty();
                        outcome.extend(part);
                        if full {
                            break;
                        }
                    }
                    Err(err) => outcome.failed.push((email, server_fn_error_text(&err))),
                }
                progress.update(|p| {
                    if let Some((done, _)) = p {
                        *done += 1;
                    }
                });
            }
            outcome.no_seat_left.extend(left);
            progress.set(None);
            actions.outcome.set(Some(Ok(outcome.summary())));
            text.set(String::new());
            actions.reload.update(|n| *n += 1);
        });
    };
    view! {
        <details class="invite-many">
            <summary>"Invite many"</summary>
            <form method="post" action="/api/portal_invite_many" on:submit=send>
                <input type="hidden" name="org" value=org.get_value() />
                <input type="hidden" name="pool" value=pool.get_value() />
                <div class="field">
                    <label for=list_id.clone()>"Emails: one per line, or pasted from a spreadsheet or CSV"</label>
                    <textarea
                        id=list_id
                        name="emails"
                        rows="5"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                </div>
                // Reading a file needs the browser's script: without it, pasting works.
                {move || {
                    hydrated
                        .get()
                        .then(|| {
                            view! {
                                <div class="field">
                                    <label for=file_id.clone()>"Or add the emails of a CSV file"</label>
                                    <input
                                        id=file_id.clone()
                                        type="file"
                                        accept=".csv,text/csv,text/plain"
                                        on:change=read_file
                                    />
                                </div>
                            }
                        })
                }}
                <p class="muted" data-testid="invite-plan" aria-live="polite">{plan}</p>
                <button type="submit" disabled=running>
                    {move || match list.get().valid.len() {
                        0 => "Invite everyone listed".to_owned(),
                        1 => "Invite 1 person".to_owned(),
                        n => format!("Invite {n} people"),
                    }}
                </button>
            </form>
            {move || {
                progress
                    .get()
                    .map(|(done, total)| {
                        view! {
                            <p class="live" role="status">{format!("Inviting {done} of {total}…")}</p>
                            <progress max=total value=done aria-label="Invitations sent"></progress>
                        }
                    })
            }}
        </details>
    }
    .into_any()
}

/// A pool's orders and the newest entries of its seat history, each behind a disclosure.
#[component]
fn Records(
    orders: Vec<PortalOrder>,
    history: Vec<PortalHistoryEntry>,
    history_total: u64,
) -> impl IntoView {
    let order_count = orders.len();
    let shown = history.len();
    let orders = (!orders.is_empty()).then(|| {
        view! {
            <details class="records">
                <summary>{format!("Orders ({order_count})")}</summary>
                <div class="table-scroll">
                    <table class="data">
                        <thead>
                            <tr>
                                <th scope="col">"Date"</th>
                                <th scope="col">"Reason"</th>
                                <th scope="col">"Seats"</th>
                                <th scope="col">"Total"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {orders
                                .into_iter()
                                .map(|order| {
                                    view! {
                                        <tr data-testid="order">
                                            <td data-label="Date" class="when">{short_day(order.created_at)}</td>
                                            <td data-label="Reason">{order.reason}</td>
                                            <td data-label="Seats">{order.seats}</td>
                                            <td data-label="Total">{order.total}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        }
    });
    let history = (!history.is_empty()).then(|| {
        view! {
            <details class="records">
                <summary>"Seat history"</summary>
                <p class="muted">{format!("The newest {shown} of {history_total} changes.")}</p>
                <ul class="history">
                    {history
                        .into_iter()
                        .map(|entry| {
                            view! {
                                <li data-testid="history-entry">
                                    <span class="when">{short_moment(entry.at)}</span>
                                    {format!(
                                        " {}: {}{} {}",
                                        entry.action,
                                        entry.email,
                                        entry.to.map(|to| format!(" → {to}")).unwrap_or_default(),
                                        entry.by,
                                    )}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </details>
        }
    });
    view! {
        {orders}
        {history}
    }
    .into_any()
}

/// The subscription's seat count (priced live as it is typed, previewed exactly by the server
/// before it is confirmed) and its cancellation.
#[component]
fn ChangeSeats(
    terms: SeatTerms,
    scheduled: Option<u32>,
    subscription: String,
    index: usize,
    org: String,
    actions: Actions,
    preview: Preview,
) -> impl IntoView {
    let current = terms.seats;
    let asked = preview.as_ref().map(|(_, seats, _)| *seats);
    // A preview of what is already in place (done, or scheduled) has nothing left to confirm.
    let preview = preview.filter(|(_, seats, _)| *seats != current && Some(*seats) != scheduled);
    let open = preview.is_some();
    let count = RwSignal::new(asked.unwrap_or(current));
    let cancelled = terms.cancel_at_period_end;
    let terms = StoredValue::new(terms);
    let live_price = move || terms.with_value(|terms| terms.price_text(count.get()));
    let seats_id = format!("seats-{index}");
    let action = format!("/{org}/portal");
    let (confirm_org, confirm_subscription) = (org.clone(), subscription.clone());
    let preview_subscription = subscription.clone();
    let confirm = preview.map(|(_, seats, answer)| match answer {
        Ok(preview) => {
            let text = preview_text(&preview);
            view! {
                <div class="preview" data-testid="seat-preview">
                    <p>{text}</p>
                    <ActionForm action=actions.change_seats>
                        <input type="hidden" name="org" value=confirm_org />
                        <input type="hidden" name="subscription_id" value=confirm_subscription />
                        <input type="hidden" name="seats" value=seats.to_string() />
                        <button type="submit" disabled=move || actions.change_seats.pending().get()>
                            {move || if actions.change_seats.pending().get() { "Changing…" } else { "Confirm change" }}
                        </button>
                    </ActionForm>
                </div>
            }
            .into_any()
        }
        Err(err) => view! {
            <p class="error" role="alert">
                {format!("That change is not possible: {}", server_fn_error_text(&err))}
            </p>
        }
        .into_any(),
    });
    let cancel_label = if cancelled {
        "Resume subscription"
    } else {
        "Cancel subscription"
    };
    let count_form = (!cancelled).then(|| {
        view! {
            <Form method="get" action=action noscroll=true replace=true attr:class="seat-count">
                <input type="hidden" name="preview" value=preview_subscription />
                <div class="field">
                    <label for=seats_id.clone()>"Seats"</label>
                    <input
                        id=seats_id
                        name="seats"
                        type="number"
                        min="1"
                        required
                        value=count.get_untracked().to_string()
                        on:input=move |ev| {
                            if let Ok(seats) = event_target_value(&ev).trim().parse() {
                                count.set(seats);
                            }
                        }
                    />
                </div>
                <p class="price" data-testid="live-price" aria-live="polite">{live_price}</p>
                <button type="submit" class="secondary">"Preview change"</button>
            </Form>
        }
    });
    view! {
        <details class="change" open=open>
            <summary>"Change seats or cancel"</summary>
            {count_form}
            {confirm}
            <ActionForm action=actions.cancellation attr:class="cancellation">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="subscription_id" value=subscription />
                <input type="hidden" name="cancel" value=(!cancelled).to_string() />
                <p class="muted">
                    {if cancelled {
                        "Resuming keeps the subscription and its seats renewing as before."
                    } else {
                        "Cancelling keeps every seat until the period ends; nothing renews after."
                    }}
                </p>
                <button
                    type="submit"
                    class=if cancelled { "secondary" } else { "danger" }
                    disabled=move || actions.cancellation.pending().get()
                >
                    {cancel_label}
                </button>
            </ActionForm>
        </details>
    }
    .into_any()
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
fn Unavailable(err: AppError) -> impl IntoView {
    view! {
        <section class="card" role="alert">
            <h1>"Your seats could not be loaded"</h1>
            <p>{server_fn_error_text(&err)}</p>
            <p>"Try again in a moment."</p>
        </section>
    }
}

/// The sign-in forms' actions.
#[derive(Clone, Copy)]
struct SignIn {
    request_code: ServerAction<PortalRequestCode>,
    with_code: ServerAction<PortalCodeSignIn>,
}

/// Signed out: a sign-in link from the merchant's app, or a code by email (asked for with the
/// email, then typed or filled in by the email's link).
#[component]
fn SignedOut(
    org: String,
    sign_in: SignIn,
    link_expired: bool,
    /// The code from the email's link.
    code: String,
    /// A plain form asked for a code.
    code_sent: bool,
    /// A plain form's sign-in failed.
    failed: bool,
) -> impl IntoView {
    let sent = move || match sign_in.request_code.value().get() {
        Some(Ok(email)) => Some(Ok(format!(
            "If {email} can manage or holds seats here, a code is on its way. It works once, for \
             30 minutes."
        ))),
        Some(Err(err)) => Some(Err(format!(
            "Could not send a code: {}",
            server_fn_error_text(&err)
        ))),
        None if code_sent => Some(Ok(
            "If that email can manage or holds seats here, a code is on its way.".to_owned(),
        )),
        None => None,
    };
    let refused = move || match sign_in.with_code.value().get() {
        Some(Err(err)) if err.error == "CustomerSessionCodeInvalidOrExpired" => Some(
            "That code is not valid any more: it works once, for 30 minutes. Ask for a new one."
                .to_owned(),
        ),
        Some(Err(err)) => Some(format!("Could not sign in: {}", server_fn_error_text(&err))),
        Some(Ok(())) => None,
        None => failed.then(|| {
            "That did not work: check the email or the code, or ask for a new code.".to_owned()
        }),
    };
    let has_code = !code.is_empty();
    let request_org = org.clone();
    view! {
        <section class="card sign-in" data-testid="portal-signed-out">
            <h1>"Sign in to your seats"</h1>
            {link_expired
                .then(|| view! { <p class="error">"That sign-in link has expired or was already replaced."</p> })}
            <p>
                "Open the seat management link in the app you bought from, or get a sign-in code "
                "by email."
            </p>
            <ActionForm action=sign_in.request_code attr:class="invite">
                <input type="hidden" name="org" value=request_org />
                <div class="field">
                    <label for="sign-in-email">"Your email"</label>
                    <input
                        id="sign-in-email"
                        type="email"
                        name="email"
                        required
                        autocomplete="email"
                        placeholder="name@example.com"
                    />
                </div>
                <button
                    type="submit"
                    class=if has_code { "secondary" } else { "" }
                    disabled=move || sign_in.request_code.pending().get()
                >
                    {move || if sign_in.request_code.pending().get() { "Sending…" } else { "Email me a code" }}
                </button>
            </ActionForm>
            <p role="status" aria-live="polite" class="outcome">
                {move || sent().map(|said| match said {
                    Ok(text) => view! { <span class="ok">{text}</span> }.into_any(),
                    Err(text) => view! { <span class="error">{text}</span> }.into_any(),
                })}
            </p>
            <ActionForm action=sign_in.with_code attr:class="invite">
                <input type="hidden" name="org" value=org />
                <div class="field">
                    <label for="sign-in-code">"Code from the email"</label>
                    <input
                        id="sign-in-code"
                        name="code"
                        required
                        autocomplete="one-time-code"
                        autocapitalize="characters"
                        spellcheck="false"
                        maxlength="20"
                        value=code
                    />
                </div>
                <button type="submit" disabled=move || sign_in.with_code.pending().get()>
                    {move || if sign_in.with_code.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p role="alert" class="outcome error">{refused}</p>
        </section>
    }
    .into_any()
}
