//! Changing a subscription after its purchase through `PATCH`/`DELETE /v1/subscriptions/{id}` and
//! the portal's subscription API: seat counts (prorated now, scheduled for the renewal), the rules
//! that refuse a change, cancellation at the period's end and its undoing, revocation now, and the
//! race between decreases and assignments.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::seats::{assign_body, pay_for, pool_query},
    helpers::*,
};

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, month, day, 0, 0, 0).unwrap()
}

/// A server whose clock stands at 2027-01-01T00:00:00Z.
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

/// The acceptance example's product: volume tiers 1–5 @ $10, 6–10 @ $8, 11+ @ $5, monthly.
async fn tiered_product(app: &TestApp, org: &TestOrg) -> Value {
    let body = json!({
        "name": "Team plan",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [
            {"min_seats": 1, "max_seats": 5, "price_per_seat": 1000},
            {"min_seats": 6, "max_seats": 10, "price_per_seat": 800},
            {"min_seats": 11, "price_per_seat": 500}
        ]}}]
    });
    let (status, product) = json(app.post_as(&org.token, "/v1/products", &body).await).await;
    assert_eq!(status, 201, "{product}");
    product
}

/// A monthly subscription of `seats` seats of the tiered product; its path.
async fn subscribe(app: &TestApp, org: &TestOrg, seats: u32) -> (Value, String) {
    let product = tiered_product(app, org).await;
    let paid = pay_for(app, org, &product, seats).await;
    let path = format!(
        "/v1/subscriptions/{}",
        paid["subscription_id"].as_str().unwrap()
    );
    (paid, path)
}

async fn patch(app: &TestApp, org: &TestOrg, path: &str, body: Value) -> (u16, Value) {
    json(app.patch_as(&org.token, path, &body).await).await
}

async fn assign_n(app: &TestApp, org: &TestOrg, paid: &Value, n: usize) {
    for i in 0..n {
        let (status, seat) = json(
            app.post_as(
                &org.token,
                "/v1/customer-seats",
                &assign_body(paid, &format!("person{i}@globex.example")),
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{seat}");
    }
}

async fn prorations(app: &TestApp) -> Vec<i64> {
    app.integers("SELECT amount FROM billing_entries ORDER BY created_at")
        .await
}

async fn an_increase_with_prorate_applies_now_and_keeps_the_prorated_debit_for_the_renewal(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (_, path) = subscribe(&app, &org, 3).await;
    app.advance_clock(&json!({"to": at(1, 16)})).await;

    let (status, changed) = patch(
        &app,
        &org,
        &path,
        json!({"seats": 8, "proration_behavior": "prorate"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["seats"], 8);
    assert_eq!(changed["amount"], 6400);
    assert_eq!(changed["pending_update"], Value::Null);
    // int(3400 × 16/31): January has 31 days, 16 of them left.
    assert_eq!(prorations(&app).await, vec![1754]);
    let (_, read) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(read["seats"], 8);
    assert!(
        app.event_kinds(&org)
            .await
            .contains(&"subscription.updated".to_owned())
    );
}

async fn a_decrease_with_prorate_credits_the_rest_of_the_period(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (_, path) = subscribe(&app, &org, 8).await;
    app.advance_clock(&json!({"to": at(1, 16)})).await;
    let (status, changed) = patch(
        &app,
        &org,
        &path,
        json!({"seats": 4, "proration_behavior": "prorate"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["seats"].clone(), changed["amount"].clone()),
        (json!(4), json!(4000))
    );
    // int(-2400 × 16/31), truncated toward zero.
    assert_eq!(prorations(&app).await, vec![-1238]);
}

async fn a_next_period_decrease_is_scheduled_and_caps_assignments_until_the_renewal(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (paid, path) = subscribe(&app, &org, 8).await;
    assign_n(&app, &org, &paid, 2).await;
    let (status, changed) = patch(
        &app,
        &org,
        &path,
        json!({"seats": 3, "proration_behavior": "next_period"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["seats"], 8, "the count stays until the renewal");
    let pending = &changed["pending_update"];
    assert_eq!(pending["seats"], 3);
    assert_eq!(pending["product_id"], Value::Null);
    assert_eq!(pending["applies_at"], changed["current_period_end"]);
    assert!(prorations(&app).await.is_empty(), "no proration");

    // One more seat fits under the scheduled 3; the fourth does not.
    assign_n_from(&app, &org, &paid, 2, 1).await;
    let (_, list) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customer-seats?{}", pool_query(&paid)),
        )
        .await,
    )
    .await;
    assert_eq!(list["available_seats"], 0, "{list}");
    let refused = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "fourth@globex.example"),
        )
        .await;
    assert_eq!(refused.status(), 400);

    // The same count as now drops the scheduled change.
    let (status, kept) = patch(&app, &org, &path, json!({"seats": 8})).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["pending_update"], Value::Null);
    assign_n_from(&app, &org, &paid, 10, 1).await;
}

/// Assigns `n` seats to new people numbered from `from`.
async fn assign_n_from(app: &TestApp, org: &TestOrg, paid: &Value, from: usize, n: usize) {
    for i in from..from + n {
        let (status, seat) = json(
            app.post_as(
                &org.token,
                "/v1/customer-seats",
                &assign_body(paid, &format!("person{i}@globex.example")),
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{seat}");
    }
}

async fn a_decrease_below_the_seats_given_out_names_both_numbers_and_changes_nothing(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (paid, path) = subscribe(&app, &org, 5).await;
    assign_n(&app, &org, &paid, 4).await;
    for behavior in ["prorate", "next_period", "invoice"] {
        let (status, body) = patch(
            &app,
            &org,
            &path,
            json!({"seats": 2, "proration_behavior": behavior}),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "SeatsAlreadyAssigned");
        assert_eq!(
            body["detail"],
            "Cannot decrease seats to 2. Currently 4 seats are assigned. Revoke seats first."
        );
    }
    let (_, read) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(
        (read["seats"].clone(), read["pending_update"].clone()),
        (json!(5), Value::Null)
    );
}

async fn seat_counts_outside_the_tiers_are_refused(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let body = json!({
        "name": "Small teams",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [
            {"min_seats": 2, "max_seats": 6, "price_per_seat": 1000}
        ]}}]
    });
    let (_, product) = json(app.post_as(&org.token, "/v1/products", &body).await).await;
    let paid = pay_for(&app, &org, &product, 3).await;
    let path = format!(
        "/v1/subscriptions/{}",
        paid["subscription_id"].as_str().unwrap()
    );
    let (status, body) = patch(&app, &org, &path, json!({"seats": 1})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("BelowMinimumSeats"))
    );
    assert_eq!(body["detail"], "Minimum 2 seats required.");
    let (status, body) = patch(&app, &org, &path, json!({"seats": 7})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("AboveMaximumSeats"))
    );
    assert_eq!(body["detail"], "Maximum 6 seats allowed.");
    assert_validation(
        app.patch_as(&org.token, &path, &json!({"seats": 0})).await,
        json!(["body", "seats"]),
        "value_error",
    )
    .await;
}

async fn the_same_count_changes_nothing_and_tells_nobody(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (_, path) = subscribe(&app, &org, 3).await;
    let before = app.event_kinds(&org).await.len();
    let (status, same) = patch(&app, &org, &path, json!({"seats": 3})).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["modified_at"], Value::Null);
    assert_eq!(app.event_kinds(&org).await.len(), before);
}

async fn the_organization_default_bills_a_change_that_names_no_behavior(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (status, body) = patch(
        &app,
        &org,
        &format!("/v1/organizations/{}", org.id),
        json!({"subscription_settings": {"proration_behavior": "next_period"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, path) = subscribe(&app, &org, 3).await;
    let (status, changed) = patch(&app, &org, &path, json!({"seats": 6})).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            changed["seats"].clone(),
            changed["pending_update"]["seats"].clone()
        ),
        (json!(3), json!(6))
    );
    // Dropping the scheduled change; a second drop has nothing to drop.
    let (status, cleared) = patch(&app, &org, &path, json!({"pending_update": null})).await;
    assert_eq!(
        (status, cleared["pending_update"].clone()),
        (200, Value::Null)
    );
    assert_validation(
        app.patch_as(&org.token, &path, &json!({"pending_update": null}))
            .await,
        json!(["body", "pending_update"]),
        "value_error",
    )
    .await;
}

async fn cancelling_at_period_end_can_be_taken_back_and_blocks_seat_changes_meanwhile(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (paid, path) = subscribe(&app, &org, 3).await;
    let (status, cancelled) = patch(
        &app,
        &org,
        &path,
        json!({"cancel_at_period_end": true, "customer_cancellation_reason": "too_expensive",
               "customer_cancellation_comment": "Budget cuts"}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["cancel_at_period_end"], true);
    assert_eq!(
        cancelled["status"], "active",
        "still active until the period ends"
    );
    assert_eq!(cancelled["ends_at"], cancelled["current_period_end"]);
    assert_eq!(cancelled["canceled_at"], json!(at(1, 1)));
    assert_eq!(cancelled["customer_cancellation_reason"], "too_expensive");
    assert_eq!(cancelled["customer_cancellation_comment"], "Budget cuts");
    // Seats may still be given out while it runs, but its count may not change.
    assign_n(&app, &org, &paid, 1).await;
    let (status, body) = patch(&app, &org, &path, json!({"seats": 5})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (403, json!("AlreadyCanceledSubscription"))
    );
    let (status, body) = patch(&app, &org, &path, json!({"cancel_at_period_end": true})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (403, json!("AlreadyCanceledSubscription"))
    );

    let (status, restored) = patch(&app, &org, &path, json!({"cancel_at_period_end": false})).await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["cancel_at_period_end"], false);
    assert_eq!(restored["ends_at"], Value::Null);
    assert_eq!(restored["canceled_at"], Value::Null);
    assert_eq!(restored["customer_cancellation_reason"], Value::Null);
    let (status, body) = patch(&app, &org, &path, json!({"cancel_at_period_end": false})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (409, json!("SubscriptionNotScheduledToCancel"))
    );
    let kinds = app.event_kinds(&org).await;
    assert!(
        kinds.contains(&"subscription.canceled".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"subscription.uncanceled".to_owned()),
        "{kinds:?}"
    );
}

async fn revoking_ends_the_subscription_now_and_revokes_its_seats(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (paid, path) = subscribe(&app, &org, 3).await;
    assign_n(&app, &org, &paid, 2).await;
    let (status, ended) = json(app.delete_as(&org.token, &path).await).await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["status"], "canceled");
    assert_eq!(ended["ended_at"], json!(at(1, 1)));
    assert_eq!(ended["ends_at"], json!(at(1, 1)));
    let (_, list) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customer-seats?{}", pool_query(&paid)),
        )
        .await,
    )
    .await;
    let statuses: Vec<&str> = list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["revoked", "revoked"], "{list}");
    let refused = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "late@globex.example"),
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_error(
        app.delete_as(&org.token, &path).await,
        403,
        "AlreadyCanceledSubscription",
    )
    .await;
    let (status, body) = patch(&app, &org, &path, json!({"revoke": true})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (403, json!("AlreadyCanceledSubscription"))
    );
    let kinds = app.event_kinds(&org).await;
    for kind in [
        "subscription.revoked",
        "subscription.canceled",
        "customer_seat.revoked",
    ] {
        assert!(
            kinds.contains(&kind.to_owned()),
            "{kind} missing from {kinds:?}"
        );
    }
}

async fn a_body_naming_two_changes_or_one_seatkeeper_has_no_such_thing_for_is_a_422(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (_, path) = subscribe(&app, &org, 3).await;
    for (body, loc) in [
        (
            json!({"seats": 4, "cancel_at_period_end": true}),
            json!(["body", "cancel_at_period_end"]),
        ),
        (
            json!({"product_id": "0190b5a4-0000-7000-8000-000000000000"}),
            json!(["body", "product_id"]),
        ),
        (json!({"trial_end": "now"}), json!(["body", "trial_end"])),
        (json!({"revoke": false}), json!(["body", "revoke"])),
        (
            json!({"seats": 4, "customer_cancellation_reason": "unused"}),
            json!(["body", "customer_cancellation_reason"]),
        ),
        (
            json!({"cancel_at_period_end": true, "proration_behavior": "prorate"}),
            json!(["body", "proration_behavior"]),
        ),
        (
            json!({"seats": 4, "proration_behavior": "sometimes"}),
            json!(["body", "proration_behavior"]),
        ),
    ] {
        assert_validation(
            app.patch_as(&org.token, &path, &body).await,
            loc,
            "value_error",
        )
        .await;
    }
    let (_, read) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(read["seats"], 3);
}

async fn a_token_without_subscriptions_write_or_of_another_organization_changes_nothing(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (_, path) = subscribe(&app, &org, 3).await;
    let reader = app.token_with(&org, "subscriptions:read").await;
    assert_error(
        app.patch_as(&reader, &path, &json!({"seats": 4})).await,
        403,
        "NotPermitted",
    )
    .await;
    assert_error(app.delete_as(&reader, &path).await, 403, "NotPermitted").await;
    let other = app.create_org("other").await;
    assert_error(
        app.patch_as(&other.token, &path, &json!({"seats": 4}))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.delete_as(&other.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, read) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(
        (read["seats"].clone(), read["status"].clone()),
        (json!(3), json!("active"))
    );
}

async fn parallel_decreases_and_assignments_never_leave_more_active_seats_than_seats(
    backend: Backend,
) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (paid, path) = subscribe(&app, &org, 10).await;
    assign_n(&app, &org, &paid, 2).await;
    let mut handles = Vec::new();
    for i in 0..12 {
        let client = app.client.clone();
        let token = org.token.clone();
        let (url, body, method) = if i % 3 == 0 {
            (
                app.url(&path),
                json!({"seats": 3 + i / 3, "proration_behavior": if i % 2 == 0 { "prorate" } else { "next_period" }}),
                reqwest::Method::PATCH,
            )
        } else {
            (
                app.url("/v1/customer-seats"),
                assign_body(&paid, &format!("racer{i}@globex.example")),
                reqwest::Method::POST,
            )
        };
        handles.push(tokio::spawn(async move {
            client
                .request(method, url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for handle in handles {
        let status = handle.await.unwrap();
        assert!(matches!(status, 200 | 400 | 409), "unexpected {status}");
    }
    let (_, read) = json(app.get_as(&org.token, &path).await).await;
    let seats = read["seats"].as_i64().unwrap();
    let capacity = read["pending_update"]["seats"]
        .as_i64()
        .map_or(seats, |p| p.min(seats));
    let active = app
        .integers("SELECT COUNT(*) FROM customer_seats WHERE status IN ('pending', 'claimed')")
        .await[0];
    let used = app.integers("SELECT used_seats FROM subscriptions").await[0];
    assert_eq!(active, used, "the counter matches the seats");
    assert!(
        active <= capacity,
        "{active} active seats in a pool of {capacity}"
    );
}

async fn the_portal_changes_seats_and_cancels_but_a_member_may_not(backend: Backend) {
    let app = app_on_new_year(backend).await;
    let org = app.create_org("acme").await;
    let (paid, path) = subscribe(&app, &org, 3).await;
    let (_, subscription) = json(app.get_as(&org.token, &path).await).await;
    let customer_id = subscription["customer_id"].clone();
    let portal = format!(
        "/v1/customer-portal/subscriptions/{}",
        paid["subscription_id"].as_str().unwrap()
    );
    let owner = portal_session(&app, &org, &customer_id, None).await;
    let member = create_member(
        &app,
        &org,
        &customer_id,
        json!({"email": "m@globex.example", "role": "member"}),
    )
    .await;
    let member = portal_session(&app, &org, &customer_id, Some(&member["id"])).await;

    assert_error(
        app.patch_as(&member, &portal, &json!({"seats": 5})).await,
        403,
        "NotPermitted",
    )
    .await;
    assert_error(app.delete_as(&member, &portal).await, 403, "NotPermitted").await;

    let (status, grown) = json(app.patch_as(&owner, &portal, &json!({"seats": 5})).await).await;
    assert_eq!(status, 200, "{grown}");
    assert_eq!(grown["seats"], 5);
    assert!(
        grown["product"]["organization"].is_object(),
        "a CustomerSubscription"
    );
    let (status, cancelled) = json(app.delete_as(&owner, &portal).await).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(
        (
            cancelled["cancel_at_period_end"].clone(),
            cancelled["status"].clone()
        ),
        (json!(true), json!("active"))
    );
    let (status, restored) = json(
        app.patch_as(&owner, &portal, &json!({"cancel_at_period_end": false}))
            .await,
    )
    .await;
    assert_eq!(
        (status, restored["cancel_at_period_end"].clone()),
        (200, json!(false))
    );

    // Another customer's session does not find it.
    let other = create_customer(&app, &org, json!({"email": "boss@initech.example"})).await;
    let other = portal_session(&app, &org, &other["id"], None).await;
    assert_error(
        app.patch_as(&other, &portal, &json!({"seats": 4})).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.delete_as(&other, &portal).await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn portal_session(
    app: &TestApp,
    org: &TestOrg,
    customer_id: &Value,
    member_id: Option<&Value>,
) -> String {
    let mut body = json!({"customer_id": customer_id});
    if let Some(member_id) = member_id {
        body["member_id"] = member_id.clone();
    }
    let (status, session) = json(
        app.post_as(&org.token, "/v1/customer-sessions", &body)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{session}");
    session["token"].as_str().unwrap().to_owned()
}

both_backends!(
    an_increase_with_prorate_applies_now_and_keeps_the_prorated_debit_for_the_renewal,
    a_decrease_with_prorate_credits_the_rest_of_the_period,
    a_next_period_decrease_is_scheduled_and_caps_assignments_until_the_renewal,
    a_decrease_below_the_seats_given_out_names_both_numbers_and_changes_nothing,
    seat_counts_outside_the_tiers_are_refused,
    the_same_count_changes_nothing_and_tells_nobody,
    the_organization_default_bills_a_change_that_names_no_behavior,
    cancelling_at_period_end_can_be_taken_back_and_blocks_seat_changes_meanwhile,
    revoking_ends_the_subscription_now_and_revokes_its_seats,
    a_body_naming_two_changes_or_one_seatkeeper_has_no_such_thing_for_is_a_422,
    a_token_without_subscriptions_write_or_of_another_organization_changes_nothing,
    parallel_decreases_and_assignments_never_leave_more_active_seats_than_seats,
    the_portal_changes_seats_and_cancels_but_a_member_may_not,
);
