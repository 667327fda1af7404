//! Refunds through `POST`/`GET /v1/refunds`: partial and full, what a full refund of a one-time
//! order does to its seats, the refusals, the filters, and refunds racing each other.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::seats::{assign_body, buy},
    helpers::*,
};

async fn refund(
    app: &TestApp,
    org: &TestOrg,
    order_id: &Value,
    amount: i64,
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({"order_id": order_id, "reason": "customer_request", "amount": amount});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json(app.post_as(&org.token, "/v1/refunds", &body).await).await
}

async fn order_of(app: &TestApp, org: &TestOrg, paid: &Value) -> Value {
    let path = match paid["order_id"].as_str() {
        Some(id) => format!("/v1/orders/{id}"),
        None => {
            let (_, page) = json(
                app.get_as(
                    &org.token,
                    &format!(
                        "/v1/orders?subscription_id={}",
                        paid["subscription_id"].as_str().unwrap()
                    ),
                )
                .await,
            )
            .await;
            format!("/v1/orders/{}", page["items"][0]["id"].as_str().unwrap())
        }
    };
    let (status, order) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(status, 200, "{order}");
    order
}

async fn a_one_time_order_refunded_in_two_parts_loses_its_seats_only_when_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, None).await;
    let order = order_of(&app, &org, &paid).await;
    assert_eq!(
        (
            order["total_amount"].clone(),
            order["refundable_amount"].clone()
        ),
        (json!(3000), json!(3000))
    );
    let (status, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "jane@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");

    let (status, first) = refund(
        &app,
        &org,
        &order["id"],
        1000,
        json!({"comment": "one seat unused"}),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "succeeded");
    assert_eq!(
        (first["amount"].clone(), first["order_id"].clone()),
        (json!(1000), order["id"].clone())
    );
    let partly = order_of(&app, &org, &paid).await;
    assert_eq!(partly["status"], "partially_refunded");
    assert_eq!(
        (
            partly["refunded_amount"].clone(),
            partly["refundable_amount"].clone()
        ),
        (json!(1000), json!(2000))
    );
    let seat_path = format!("/v1/customer-seats/{}", seat["id"].as_str().unwrap());
    assert_eq!(
        json(app.get_as(&org.token, &seat_path).await).await.1["status"],
        "pending"
    );

    let (status, rest) = refund(&app, &org, &order["id"], 2000, json!({})).await;
    assert_eq!(status, 201, "{rest}");
    let whole = order_of(&app, &org, &paid).await;
    assert_eq!(
        (whole["status"].clone(), whole["refundable_amount"].clone()),
        (json!("refunded"), json!(0))
    );
    assert_eq!(
        json(app.get_as(&org.token, &seat_path).await).await.1["status"],
        "revoked"
    );
    let refused = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "late@globex.example"),
        )
        .await;
    assert_eq!(refused.status(), 400, "a refunded order gives no seat");
    assert_error(
        app.post_as(
            &org.token,
            "/v1/refunds",
            &json!({"order_id": order["id"], "reason": "other", "amount": 1}),
        )
        .await,
        403,
        "RefundedAlready",
    )
    .await;

    let kinds = app.event_kinds(&org).await;
    assert_eq!(kinds.iter().filter(|k| *k == "refund.created").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "order.refunded").count(), 2);
    assert!(kinds.contains(&"customer_seat.revoked".to_owned()));
}

async fn refunds_beyond_the_order_of_nothing_or_of_a_subscriptions_seats_are_refused(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let one_time = buy(&app, &org, 2, None).await;
    let order = order_of(&app, &org, &one_time).await;
    for (amount, extra, loc) in [
        (2001, json!({}), json!(["body", "amount"])),
        (0, json!({}), json!(["body", "amount"])),
        (5, json!({"reason": "because"}), json!(["body", "reason"])),
    ] {
        let mut body =
            json!({"order_id": order["id"], "reason": "customer_request", "amount": amount});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_validation(
            app.post_as(&org.token, "/v1/refunds", &body).await,
            loc,
            "value_error",
        )
        .await;
    }
    let monthly = buy(&app, &org, 2, Some("month")).await;
    let subscription_order = order_of(&app, &org, &monthly).await;
    assert_validation(
        app.post_as(
            &org.token,
            "/v1/refunds",
            &json!({"order_id": subscription_order["id"], "reason": "other", "amount": 100, "revoke_benefits": true}),
        )
        .await,
        json!(["body", "revoke_benefits"]),
        "value_error",
    )
    .await;
    assert_error(
        app.post_as(
            &org.token,
            "/v1/refunds",
            &json!({"order_id": "0190b5a4-0000-7000-8000-000000000000", "reason": "other", "amount": 1}),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    let reader = app.token_with(&org, "refunds:read orders:read").await;
    assert_error(
        app.post_as(
            &reader,
            "/v1/refunds",
            &json!({"order_id": order["id"], "reason": "other", "amount": 1}),
        )
        .await,
        403,
        "NotPermitted",
    )
    .await;
    let other = app.create_org("other").await;
    assert_error(
        app.post_as(
            &other.token,
            "/v1/refunds",
            &json!({"order_id": order["id"], "reason": "other", "amount": 1}),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_eq!(
        order_of(&app, &org, &one_time).await["refunded_amount"],
        0,
        "nothing refunded"
    );
}

async fn a_subscription_orders_partial_refund_keeps_its_seats_and_the_lists_filter(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let monthly = buy(&app, &org, 2, Some("month")).await;
    let one_time = buy(&app, &org, 1, None).await;
    let order = order_of(&app, &org, &monthly).await;
    let (status, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&monthly, "jane@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");
    let (status, made) = refund(
        &app,
        &org,
        &order["id"],
        500,
        json!({"reason": "service_disruption"}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["subscription_id"], monthly["subscription_id"]);
    let (_, other) = refund(
        &app,
        &org,
        &order_of(&app, &org, &one_time).await["id"],
        1000,
        json!({}),
    )
    .await;

    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect()
    };
    let (_, by_order) = json(
        app.get_as(
            &org.token,
            &format!("/v1/refunds?order_id={}", order["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(ids(&by_order), [made["id"].clone()]);
    let (_, by_subscription) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/refunds?subscription_id={}",
                monthly["subscription_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(ids(&by_subscription), [made["id"].clone()]);
    let (_, all) = json(
        app.get_as(&org.token, "/v1/refunds?succeeded=true&sorting=-amount")
            .await,
    )
    .await;
    assert_eq!(ids(&all), [other["id"].clone(), made["id"].clone()]);
    assert_eq!(all["pagination"]["total_count"], 2);
    let (_, by_id) = json(
        app.get_as(
            &org.token,
            &format!("/v1/refunds?id={}", made["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(ids(&by_id), [made["id"].clone()]);
    let (_, by_customer) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/refunds?customer_id={}",
                made["customer_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(by_customer["pagination"]["total_count"], 2);
    let (_, by_external) = json(
        app.get_as(&org.token, "/v1/refunds?external_customer_id=nobody")
            .await,
    )
    .await;
    assert_eq!(ids(&by_external), Vec::<Value>::new());
    let (_, failed) = json(app.get_as(&org.token, "/v1/refunds?succeeded=false").await).await;
    assert_eq!(ids(&failed), Vec::<Value>::new());
    let (_, partly) = json(
        app.get_as(&org.token, "/v1/orders?status=partially_refunded")
            .await,
    )
    .await;
    assert_eq!(partly["items"].as_array().unwrap().len(), 1, "{partly}");
    let (_, paid) = json(app.get_as(&org.token, "/v1/orders?status=paid").await).await;
    assert_eq!(paid["items"].as_array().unwrap().len(), 0, "{paid}");
    assert_validation(
        app.get_as(&org.token, "/v1/refunds?sorting=reason").await,
        json!(["query", "sorting"]),
        "enum",
    )
    .await;

    let seat_path = format!("/v1/customer-seats/{}", seat["id"].as_str().unwrap());
    assert_eq!(
        json(app.get_as(&org.token, &seat_path).await).await.1["status"],
        "pending"
    );
    let other_org = app.create_org("other").await;
    let (_, none) = json(app.get_as(&other_org.token, "/v1/refunds").await).await;
    assert_eq!(none["pagination"]["total_count"], 0);
}

async fn refunds_racing_each_other_never_give_back_more_than_was_paid(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, None).await;
    let order = order_of(&app, &org, &paid).await;
    let mut handles = Vec::new();
    for _ in 0..10 {
        let client = app.client.clone();
        let url = app.url("/v1/refunds");
        let token = org.token.clone();
        let body = json!({"order_id": order["id"], "reason": "duplicate", "amount": 500});
        handles.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        6,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 201 | 403 | 422)),
        "{statuses:?}"
    );
    let whole = order_of(&app, &org, &paid).await;
    assert_eq!(
        (whole["status"].clone(), whole["refunded_amount"].clone()),
        (json!("refunded"), json!(3000))
    );
}

both_backends!(
    a_one_time_order_refunded_in_two_parts_loses_its_seats_only_when_whole,
    refunds_beyond_the_order_of_nothing_or_of_a_subscriptions_seats_are_refused,
    a_subscription_orders_partial_refund_keeps_its_seats_and_the_lists_filter,
    refunds_racing_each_other_never_give_back_more_than_was_paid,
);
