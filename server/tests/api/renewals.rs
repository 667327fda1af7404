//! Renewals through the HTTP API and the test clock: the acceptance example to the cent,
//! scheduled decreases applied at the renewal, cancellation at the period's end, a failing saved
//! card (past due, grace period, end), and two server processes renewing the same subscription.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::{both_backends, helpers::*};

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, month, day, 0, 0, 0).unwrap()
}

async fn app_on_new_year(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        AppOptions {
            clock_start: Some(at(1, 1)),
            ..AppOptions::default()
        },
    )
    .await
}

/// Volume tiers 1–5 @ $10, 6–10 @ $8, 11+ @ $5, monthly; `seats` seats bought with `token`. Answers
/// the subscription's path and the paid checkout.
async fn subscribe(app: &TestApp, org: &TestOrg, seats: u32, token: &str) -> (String, Value) {
    let body = json!({
        "name": "Team plan",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [
            {"min_seats": 1, "max_seats": 5, "price_per_seat": 1000},
            {"min_seats": 6, "max_seats": 10, "price_per_seat": 800},
            {"min_seats": 11, "price_per_seat": 500}
        ]}}]
    });
    let (_, product) = json(app.post_as(&org.token, "/v1/products", &body).await).await;
    let checkout = json!({"products": [product["id"]], "seats": seats, "customer_email": "billing@globex.example"});
    let (_, checkout) = json(app.post_as(&org.token, "/v1/checkouts", &checkout).await).await;
    let secret = checkout["client_secret"].as_str().unwrap();
    let (status, confirmed) = json(
        app.post_json(
            &format!("/v1/checkouts/client/{secret}/confirm"),
            &json!({"confirmation_token_id": token}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    let (_, paid) = json(app.get(&format!("/v1/checkouts/client/{secret}")).await).await;
    let path = format!(
        "/v1/subscriptions/{}",
        paid["subscription_id"].as_str().unwrap()
    );
    (path, paid)
}

async fn advance_to(app: &TestApp, to: DateTime<Utc>) {
    let (status, body) = json(app.advance_clock(&json!({ "to": to })).await).await;
    assert_eq!(status, 200, "{body}");
}

async fn patch(app: &TestApp, org: &TestOrg, path: &str, body: Value) -> Value {
    let (status, changed) = json(app.patch_as(&org.token, path, &body).await).await;
    assert_eq!(status, 200, "{changed}");
    changed
}

/// The organization's orders, oldest first: (billing reason, total).
async fn orders(app: &TestApp, org: &TestOrg) -> Vec<(String, i64)> {
    let (status, page) = json(
        app.get_as(&org.token, "/v1/orders?limit=100&sorting=created_at")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["billing_reason"].as_str().unwrap().to_owned(),
                o["total_amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The billing emails in the outbox, oldest first: (kind, to, text).
async fn billing_emails(app: &TestApp) -> Vec<(String, String, String)> {
    let mut emails: Vec<_> = app
        .store()
        .recent_emails(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind != "seat_invitation")
        .map(|e| (e.kind, e.to, e.text_body))
        .collect();
    emails.reverse();
    emails
}

async fn read(app: &TestApp, org: &TestOrg, path: &str) -> Value {
    let (status, subscription) = json(app.get_as(&org.token, path).await).await;
    assert_eq!(status, 200, "{subscription}");
    subscription
}

async fn the_acceptance_example_bills_every_renewal_to_the_cent(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa").await;
    assert_eq!(
        orders(&app, &org).await,
        [("subscription_create".into(), 3000)]
    );

    advance_to(&app, at(1, 16)).await;
    patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "prorate"}),
    )
    .await;

    advance_to(&app, at(2, 1)).await;
    let renewed = read(&app, &org, &path).await;
    assert_eq!(renewed["seats"], 8);
    assert_eq!(renewed["current_period_start"], json!(at(2, 1)));
    assert_eq!(renewed["current_period_end"], json!(at(3, 1)));
    assert_eq!(
        orders(&app, &org).await[1..],
        [("subscription_cycle".into(), 6400 + 1754)]
    );

    advance_to(&app, at(2, 15)).await;
    patch(
        &app,
        &org,
        &path,
        json!({"seats": 4, "proration_behavior": "prorate"}),
    )
    .await;
    advance_to(&app, at(3, 1)).await;
    assert_eq!(
        orders(&app, &org).await[2..],
        [("subscription_cycle".into(), 4000 - 1200)]
    );
    let march = read(&app, &org, &path).await;
    assert_eq!(
        (march["seats"].clone(), march["amount"].clone()),
        (json!(4), json!(4000))
    );
    assert_eq!(march["current_period_end"], json!(at(4, 1)));

    let kinds = app.event_kinds(&org).await;
    for kind in ["subscription.cycled", "order.created", "order.paid"] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            2 + usize::from(kind != "subscription.cycled"),
            "{kind} in {kinds:?}"
        );
    }
}

async fn a_next_period_decrease_keeps_eight_seats_until_the_renewal_then_bills_four(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa").await;
    advance_to(&app, at(1, 16)).await;
    patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "prorate"}),
    )
    .await;
    advance_to(&app, at(2, 1)).await;

    advance_to(&app, at(2, 15)).await;
    let scheduled = patch(
        &app,
        &org,
        &path,
        json!({"seats": 4, "proration_behavior": "next_period"}),
    )
    .await;
    assert_eq!(scheduled["seats"], 8);
    advance_to(&app, at(2, 28)).await;
    assert_eq!(
        read(&app, &org, &path).await["seats"],
        8,
        "still 8 before the renewal"
    );

    advance_to(&app, at(3, 1)).await;
    let march = read(&app, &org, &path).await;
    assert_eq!(march["seats"], 4);
    assert_eq!(march["pending_update"], Value::Null);
    assert_eq!(
        orders(&app, &org).await[2..],
        [("subscription_cycle".into(), 4000)]
    );
}

async fn a_subscription_cancelled_at_period_end_ends_then_and_its_seats_are_revoked(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, paid) = subscribe(&app, &org, 3, "tok_visa").await;
    let (status, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &json!({"subscription_id": paid["subscription_id"], "email": "jane@globex.example"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");
    patch(&app, &org, &path, json!({"cancel_at_period_end": true})).await;
    advance_to(&app, at(1, 31)).await;
    assert_eq!(read(&app, &org, &path).await["status"], "active");

    advance_to(&app, at(2, 1)).await;
    let ended = read(&app, &org, &path).await;
    assert_eq!(ended["status"], "canceled");
    assert_eq!(ended["ended_at"], json!(at(2, 1)));
    let (_, seat) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customer-seats/{}", seat["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(seat["status"], "revoked");
    assert_eq!(orders(&app, &org).await.len(), 1, "nothing billed");
}

async fn a_failing_saved_card_leaves_it_past_due_with_its_seats_until_the_grace_period_ends(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, paid) = subscribe(&app, &org, 3, "tok_visa_renewal_declined").await;
    let assign = |email: &str| json!({"subscription_id": paid["subscription_id"], "email": email});
    let (status, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign("jane@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");

    advance_to(&app, at(2, 1)).await;
    let due = read(&app, &org, &path).await;
    assert_eq!(due["status"], "past_due");
    assert_eq!(due["past_due_at"], json!(at(2, 1)));
    assert_eq!(
        due["current_period_end"],
        json!(at(2, 1)),
        "the period does not move unpaid"
    );
    let seat_path = format!("/v1/customer-seats/{}", seat["id"].as_str().unwrap());
    let (_, held) = json(app.get_as(&org.token, &seat_path).await).await;
    assert_eq!(
        held["status"], "pending",
        "seats stay during the grace period"
    );
    let refused = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign("late@globex.example"),
        )
        .await;
    assert_eq!(refused.status(), 400, "no new seat while past due");
    let (status, body) = json(app.patch_as(&org.token, &path, &json!({"seats": 4})).await).await;
    assert_eq!(
        (status, body["error"].clone()),
        (403, json!("InactiveSubscription")),
        "{body}"
    );
    let notices = billing_emails(&app).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(
        (notices[0].0.as_str(), notices[0].1.as_str()),
        ("renewal_past_due", "billing@globex.example")
    );
    assert!(
        notices[0].2.contains("$30.00") && notices[0].2.contains("February 8, 2027"),
        "{}",
        notices[0].2
    );

    // Tried again every day; still past due on the sixth day.
    advance_to(&app, at(2, 7)).await;
    assert_eq!(read(&app, &org, &path).await["status"], "past_due");
    advance_to(&app, at(2, 8)).await;
    let ended = read(&app, &org, &path).await;
    assert_eq!(ended["status"], "canceled", "{ended}");
    let (_, gone) = json(app.get_as(&org.token, &seat_path).await).await;
    assert_eq!(gone["status"], "revoked");
    assert_eq!(orders(&app, &org).await.len(), 1, "no renewal was billed");
    let kinds = app.event_kinds(&org).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "subscription.past_due")
            .count(),
        1,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"subscription.revoked".to_owned()));
    let notices: Vec<String> = billing_emails(&app)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        notices,
        ["renewal_past_due", "subscription_ended_unpaid"],
        "one email per step"
    );
}

async fn two_servers_renewing_at_once_bill_one_order_and_charge_once(backend: Backend) {
    let first = app_on_new_year(backend).await;
    let org = first.create_org("acme").await;
    let (path, _) = subscribe(&first, &org, 3, "tok_visa").await;
    let second = second_server_with(
        &first,
        AppOptions {
            clock_start: Some(at(1, 1)),
            ..AppOptions::default()
        },
    )
    .await;
    // Both clocks reach the renewal at once, and each server runs its pass.
    let to = json!({ "to": at(2, 1) });
    let (a, b) = tokio::join!(
        first.advance_clock(&to),
        second.post_as(&org.token, "/v1/test-clock/advance", &to)
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    assert_eq!(
        orders(&first, &org).await,
        [
            ("subscription_create".into(), 3000),
            ("subscription_cycle".into(), 3000)
        ]
    );
    assert_eq!(
        read(&first, &org, &path).await["current_period_end"],
        json!(at(3, 1))
    );
    let (_, ledger) = json(first.get("/v1/_test/payments").await).await;
    let renewal_charges = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["idempotency_key"]
                .as_str()
                .unwrap()
                .starts_with("renewal_")
        })
        .count();
    assert_eq!(renewal_charges, 1, "{ledger}");
}

async fn an_invoiced_increase_is_charged_now_as_a_paid_subscription_update_order(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa").await;
    advance_to(&app, at(1, 16)).await;
    let changed = patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "invoice"}),
    )
    .await;
    assert_eq!(
        (changed["seats"].clone(), changed["amount"].clone()),
        (json!(8), json!(6400))
    );
    assert_eq!(
        orders(&app, &org).await,
        [
            ("subscription_create".into(), 3000),
            ("subscription_update".into(), 1754)
        ]
    );
    let (_, ledger) = json(app.get("/v1/_test/payments").await).await;
    let amounts: Vec<i64> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [3000, 1754]);
    // Billed already: the renewal bills only the new period.
    advance_to(&app, at(2, 1)).await;
    assert_eq!(
        orders(&app, &org).await[2..],
        [("subscription_cycle".into(), 6400)]
    );
}

async fn an_invoiced_increase_whose_charge_is_declined_is_a_402_that_changes_nothing(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa_renewal_declined").await;
    let (status, body) = json(
        app.patch_as(
            &org.token,
            &path,
            &json!({"seats": 5, "proration_behavior": "invoice"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (402, json!("PaymentFailed")),
        "{body}"
    );
    assert_eq!(read(&app, &org, &path).await["seats"], 3);
    assert_eq!(orders(&app, &org).await.len(), 1, "no order left behind");
    // A decrease costs nothing now: `invoice` applies it with a credit for the renewal.
    let smaller = patch(
        &app,
        &org,
        &path,
        json!({"seats": 2, "proration_behavior": "invoice"}),
    )
    .await;
    assert_eq!(smaller["seats"], 2);
}

async fn a_preview_shows_exactly_what_the_change_then_charges_and_the_renewal_bills(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, paid) = subscribe(&app, &org, 3, "tok_visa").await;
    let preview_path = format!("{path}/change-preview");
    advance_to(&app, at(1, 16)).await;
    let preview = |body: Value| {
        let app = &app;
        let org = &org;
        let preview_path = preview_path.clone();
        async move { json(app.post_as(&org.token, &preview_path, &body).await).await }
    };

    let (status, invoiced) = preview(json!({"seats": 8, "proration_behavior": "invoice"})).await;
    assert_eq!(status, 200, "{invoiced}");
    assert_eq!(
        (
            invoiced["due_now"].clone(),
            invoiced["next_renewal_amount"].clone()
        ),
        (json!(1754), json!(6400))
    );
    let (_, later) = preview(json!({"seats": 4, "proration_behavior": "next_period"})).await;
    assert_eq!(later["applies_at"], json!(at(2, 1)));
    assert_eq!(
        (later["proration_amount"].clone(), later["amount"].clone()),
        (json!(0), json!(4000))
    );
    let (_, prorated) = preview(json!({"seats": 8, "proration_behavior": "prorate"})).await;
    assert_eq!(prorated["seats"], 8);
    assert_eq!(prorated["applies_at"], json!(at(1, 16)));
    assert_eq!(
        (
            prorated["proration_amount"].clone(),
            prorated["due_now"].clone(),
            prorated["amount"].clone()
        ),
        (json!(1754), json!(0), json!(6400))
    );
    assert_eq!(prorated["next_renewal_amount"], 8154);
    assert_eq!(
        read(&app, &org, &path).await["seats"],
        3,
        "a preview changes nothing"
    );

    patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "prorate"}),
    )
    .await;
    advance_to(&app, at(2, 1)).await;
    assert_eq!(
        orders(&app, &org).await[1..],
        [(
            "subscription_cycle".into(),
            prorated["next_renewal_amount"].as_i64().unwrap()
        )]
    );

    // A preview refuses what the change would refuse.
    for i in 0..3 {
        let body = json!({"subscription_id": paid["subscription_id"], "email": format!("p{i}@globex.example")});
        assert_eq!(
            app.post_as(&org.token, "/v1/customer-seats", &body)
                .await
                .status(),
            200
        );
    }
    let (status, refused) = preview(json!({"seats": 2})).await;
    assert_eq!(
        (status, refused["error"].clone()),
        (400, json!("SeatsAlreadyAssigned"))
    );

    // The portal previews with the organization's default, and may not pick another.
    let (_, subscription) = json(app.get_as(&org.token, &path).await).await;
    let (_, session) = json(
        app.post_as(
            &org.token,
            "/v1/customer-sessions",
            &json!({"customer_id": subscription["customer_id"]}),
        )
        .await,
    )
    .await;
    let portal_token = session["token"].as_str().unwrap();
    let portal_path = format!(
        "/v1/customer-portal/subscriptions/{}/change-preview",
        paid["subscription_id"].as_str().unwrap()
    );
    let (status, portal) = json(
        app.post_as(portal_token, &portal_path, &json!({"seats": 9}))
            .await,
    )
    .await;
    assert_eq!(
        (status, portal["seats"].clone()),
        (200, json!(9)),
        "{portal}"
    );
    assert_validation(
        app.post_as(
            portal_token,
            &portal_path,
            &json!({"seats": 9, "proration_behavior": "invoice"}),
        )
        .await,
        json!(["body", "proration_behavior"]),
        "value_error",
    )
    .await;
}

async fn seats_added_then_cancelled_are_billed_when_the_subscription_ends(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa").await;
    advance_to(&app, at(1, 16)).await;
    patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "prorate"}),
    )
    .await;
    patch(&app, &org, &path, json!({"cancel_at_period_end": true})).await;
    advance_to(&app, at(2, 1)).await;
    assert_eq!(read(&app, &org, &path).await["status"], "canceled");
    assert_eq!(
        orders(&app, &org).await,
        [
            ("subscription_create".into(), 3000),
            ("subscription_cycle".into(), 1754)
        ],
        "the added seats' prorated debit is billed at the end"
    );
    let (_, page) = json(app.get_as(&org.token, "/v1/orders?status=paid").await).await;
    assert_eq!(page["pagination"]["total_count"], 2);
    let kinds = app.event_kinds(&org).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "subscription.canceled")
            .count(),
        1,
        "announced canceled once, when it was cancelled: {kinds:?}"
    );
}

async fn the_portal_adds_seats_now_and_removes_them_at_the_renewal_whatever_the_default(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    patch(
        &app,
        &org,
        &format!("/v1/organizations/{}", org.id),
        json!({"subscription_settings": {"proration_behavior": "invoice"}}),
    )
    .await;
    let (path, paid) = subscribe(&app, &org, 3, "tok_visa").await;
    // A portal session lasts an hour: made once the clock stands where it is used.
    advance_to(&app, at(1, 16)).await;
    let subscription = read(&app, &org, &path).await;
    let (_, session) = json(
        app.post_as(
            &org.token,
            "/v1/customer-sessions",
            &json!({"customer_id": subscription["customer_id"]}),
        )
        .await,
    )
    .await;
    let portal_token = session["token"].as_str().unwrap().to_owned();
    let portal = format!(
        "/v1/customer-portal/subscriptions/{}",
        paid["subscription_id"].as_str().unwrap()
    );
    let (status, grown) = json(
        app.patch_as(&portal_token, &portal, &json!({"seats": 8}))
            .await,
    )
    .await;
    assert_eq!((status, grown["seats"].clone()), (200, json!(8)), "{grown}");
    assert_eq!(
        orders(&app, &org).await.len(),
        1,
        "prorated to the renewal, not invoiced"
    );
    let (status, shrunk) = json(
        app.patch_as(&portal_token, &portal, &json!({"seats": 4}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{shrunk}");
    assert_eq!(
        (
            shrunk["seats"].clone(),
            shrunk["pending_update"]["seats"].clone()
        ),
        (json!(8), json!(4))
    );
    advance_to(&app, at(2, 1)).await;
    assert_eq!(
        orders(&app, &org).await[1..],
        [("subscription_cycle".into(), 4000 + 1754)]
    );
}

async fn the_billing_manager_is_reminded_a_week_before_a_renewal_that_costs_more(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa").await;
    let (_unchanged, _) = subscribe(&app, &org, 2, "tok_visa").await;
    advance_to(&app, at(1, 16)).await;
    patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "prorate"}),
    )
    .await;
    advance_to(&app, at(1, 24)).await;
    assert!(
        billing_emails(&app).await.is_empty(),
        "not yet: eight days before"
    );
    advance_to(&app, at(1, 25)).await;
    let reminders = billing_emails(&app).await;
    assert_eq!(
        reminders.len(),
        1,
        "only the subscription whose renewal changes: {reminders:?}"
    );
    let (kind, to, text) = &reminders[0];
    assert_eq!(
        (kind.as_str(), to.as_str()),
        ("renewal_reminder", "billing@globex.example")
    );
    assert!(
        text.contains("February 1, 2027")
            && text.contains("with 8 seats")
            && text.contains("$81.54"),
        "{text}"
    );
    advance_to(&app, at(1, 31)).await;
    assert_eq!(
        billing_emails(&app).await.len(),
        1,
        "one reminder per period"
    );
}

async fn an_organization_that_sets_no_reminder_days_sends_no_reminders(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    patch(
        &app,
        &org,
        &format!("/v1/organizations/{}", org.id),
        json!({"subscription_settings": {"renewal_reminder_days": 0}}),
    )
    .await;
    assert_validation(
        app.patch_as(
            &org.token,
            &format!("/v1/organizations/{}", org.id),
            &json!({"subscription_settings": {"renewal_reminder_days": 61}}),
        )
        .await,
        json!(["body", "subscription_settings", "renewal_reminder_days"]),
        "value_error",
    )
    .await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa").await;
    advance_to(&app, at(1, 16)).await;
    patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "prorate"}),
    )
    .await;
    advance_to(&app, at(1, 31)).await;
    assert!(billing_emails(&app).await.is_empty());
}

async fn the_organizations_grace_period_decides_when_a_past_due_subscription_ends(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    patch(
        &app,
        &org,
        &format!("/v1/organizations/{}", org.id),
        json!({"subscription_settings": {"benefit_revocation_grace_period": 2}}),
    )
    .await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa_renewal_declined").await;
    advance_to(&app, at(2, 2)).await;
    assert_eq!(read(&app, &org, &path).await["status"], "past_due");
    let (_, settings) = json(
        app.get_as(&org.token, &format!("/v1/organizations/{}", org.id))
            .await,
    )
    .await;
    assert_eq!(
        settings["subscription_settings"]["benefit_revocation_grace_period"],
        2
    );
    advance_to(&app, at(2, 3)).await;
    let ended = read(&app, &org, &path).await;
    assert_eq!(ended["status"], "canceled", "{ended}");
    assert_eq!(ended["ended_at"], json!(at(2, 3)));
}

async fn a_past_due_subscription_whose_retry_pays_is_active_again_for_its_new_period(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (path, _) = subscribe(&app, &org, 3, "tok_visa_renewal_declined_once").await;
    advance_to(&app, at(2, 1)).await;
    assert_eq!(read(&app, &org, &path).await["status"], "past_due");
    advance_to(&app, at(2, 2)).await;
    let recovered = read(&app, &org, &path).await;
    assert_eq!(recovered["status"], "active", "{recovered}");
    assert_eq!(recovered["past_due_at"], Value::Null);
    assert_eq!(
        (
            recovered["current_period_start"].clone(),
            recovered["current_period_end"].clone()
        ),
        (json!(at(2, 1)), json!(at(3, 1))),
        "the period it paid for, anchored as ever"
    );
    assert_eq!(
        orders(&app, &org).await,
        [
            ("subscription_create".into(), 3000),
            ("subscription_cycle".into(), 3000)
        ]
    );
    let notices: Vec<String> = billing_emails(&app)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(notices, ["renewal_past_due"]);
    let kinds = app.event_kinds(&org).await;
    let position = |kind: &str| kinds.iter().rposition(|k| k == kind);
    assert_eq!(
        kinds.iter().filter(|k| *k == "subscription.active").count(),
        2,
        "active at the purchase and again on recovery: {kinds:?}"
    );
    assert!(position("subscription.past_due") < position("subscription.active"));
}

both_backends!(
    a_past_due_subscription_whose_retry_pays_is_active_again_for_its_new_period,
    an_organization_that_sets_no_reminder_days_sends_no_reminders,
    the_organizations_grace_period_decides_when_a_past_due_subscription_ends,
    seats_added_then_cancelled_are_billed_when_the_subscription_ends,
    the_portal_adds_seats_now_and_removes_them_at_the_renewal_whatever_the_default,
    the_billing_manager_is_reminded_a_week_before_a_renewal_that_costs_more,
    a_preview_shows_exactly_what_the_change_then_charges_and_the_renewal_bills,
    an_invoiced_increase_is_charged_now_as_a_paid_subscription_update_order,
    an_invoiced_increase_whose_charge_is_declined_is_a_402_that_changes_nothing,
    the_acceptance_example_bills_every_renewal_to_the_cent,
    a_next_period_decrease_keeps_eight_seats_until_the_renewal_then_bills_four,
    a_subscription_cancelled_at_period_end_ends_then_and_its_seats_are_revoked,
    a_failing_saved_card_leaves_it_past_due_with_its_seats_until_the_grace_period_ends,
    two_servers_renewing_at_once_bill_one_order_and_charge_once,
);
