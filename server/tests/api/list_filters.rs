//! Every filter the official SDK sends filters (never an unfiltered list), list values are
//! alternatives, an unknown filter or sort name is a 422 naming it, and seat lists and audit logs
//! are paged.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::seats::{assign_body, buy, pool_query},
    helpers::*,
};

/// The ids of a list's items, in order.
async fn ids(app: &TestApp, org: &TestOrg, path: &str) -> Vec<String> {
    let (status, list) = json(app.get_as(&org.token, path).await).await;
    assert_eq!(status, 200, "{path}: {list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Buys `product` for a customer (created with `external_id` when given) and returns the
/// confirmed checkout.
async fn sale(
    app: &TestApp,
    org: &TestOrg,
    product: &Value,
    email: &str,
    external_id: Option<&str>,
    metadata: Value,
) -> Value {
    let mut extra = json!({"customer_email": email, "metadata": metadata});
    if let Some(external) = external_id {
        extra["external_customer_id"] = json!(external);
    }
    let open = checkout(app, org, product, extra).await;
    let (status, paid) =
        json(confirm(app, &open, json!({"confirmation_token_id": "tok_visa"})).await).await;
    assert_eq!(status, 200, "{paid}");
    paid
}

async fn order_and_subscription_filters_the_sdk_sends_all_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let monthly = product(&app, &org, Some("month")).await;
    let lifetime = product(&app, &org, None).await;
    let a = sale(
        &app,
        &org,
        &monthly,
        "a@example.com",
        Some("cust-a"),
        json!({"plan": "pro"}),
    )
    .await;
    let b = sale(
        &app,
        &org,
        &monthly,
        "b@example.com",
        Some("cust-b"),
        json!({"plan": "team"}),
    )
    .await;
    let c = sale(
        &app,
        &org,
        &lifetime,
        "c@example.com",
        None,
        json!({"plan": "pro"}),
    )
    .await;

    // The leak this fixes: external_customer_id used to be ignored and return every order.
    let only_a = ids(&app, &org, "/v1/orders?external_customer_id=cust-a").await;
    assert_eq!(only_a.len(), 1);
    let (_, order_a) = json(
        app.get_as(&org.token, &format!("/v1/orders/{}", only_a[0]))
            .await,
    )
    .await;
    assert_eq!(order_a["customer_id"], a["customer_id"]);
    assert_eq!(
        ids(
            &app,
            &org,
            "/v1/orders?external_customer_id=cust-a&external_customer_id=cust-b"
        )
        .await
        .len(),
        2
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?external_customer_id=nobody")
            .await
            .len(),
        0
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!("/v1/orders?checkout_id={}", b["id"].as_str().unwrap())
        )
        .await
        .len(),
        1
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!(
                "/v1/orders?subscription_id={}",
                a["subscription_id"].as_str().unwrap()
            )
        )
        .await,
        only_a
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?product_billing_type=one_time")
            .await
            .len(),
        1
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?product_billing_type=recurring")
            .await
            .len(),
        2
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?status=paid").await.len(),
        3,
        "an order status, not a subscription's"
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?status=refunded&status=void")
            .await
            .len(),
        0
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?discount_id=SUMMER").await.len(),
        0,
        "nothing here has a discount"
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?metadata[plan]=pro").await.len(),
        2
    );
    assert_eq!(
        ids(
            &app,
            &org,
            "/v1/orders?metadata[plan]=pro&metadata[plan]=team"
        )
        .await
        .len(),
        3
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?created_after=2000-01-01T00:00:00Z")
            .await
            .len(),
        3
    );
    assert_eq!(
        ids(&app, &org, "/v1/orders?created_before=2000-01-01T00:00:00")
            .await
            .len(),
        0
    );
    let newest_first = ids(&app, &org, "/v1/orders?sorting=-created_at").await;
    let mut oldest_first = ids(&app, &org, "/v1/orders?sorting=created_at").await;
    oldest_first.reverse();
    assert_eq!(newest_first, oldest_first);
    let other = app.create_org("other").await;
    assert_eq!(
        ids(
            &app,
            &org,
            &format!("/v1/orders?organization_id={}", other.id)
        )
        .await
        .len(),
        0
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!("/v1/orders?organization_id={}", org.id)
        )
        .await
        .len(),
        3
    );

    assert_eq!(
        ids(&app, &org, "/v1/subscriptions?external_customer_id=cust-b")
            .await
            .len(),
        1
    );
    assert_eq!(
        ids(&app, &org, "/v1/subscriptions?active=true").await.len(),
        2
    );
    assert_eq!(
        ids(&app, &org, "/v1/subscriptions?active=false")
            .await
            .len(),
        0
    );
    assert_eq!(
        ids(&app, &org, "/v1/subscriptions?cancel_at_period_end=true")
            .await
            .len(),
        0
    );
    assert_eq!(
        ids(&app, &org, "/v1/subscriptions?started_after=2000-01-01")
            .await
            .len(),
        2
    );
    assert_eq!(
        ids(&app, &org, "/v1/subscriptions?canceled_at_after=2000-01-01")
            .await
            .len(),
        0
    );
    assert_eq!(
        ids(
            &app,
            &org,
            "/v1/subscriptions?customer_cancellation_reason=too_expensive"
        )
        .await
        .len(),
        0
    );
    assert_eq!(
        ids(&app, &org, "/v1/subscriptions?metadata[plan]=team")
            .await
            .len(),
        1
    );
    assert_eq!(
        ids(
            &app,
            &org,
            "/v1/subscriptions?sorting=-started_at&sorting=amount"
        )
        .await
        .len(),
        2
    );
    assert!(c["subscription_id"].is_null());
}

async fn an_unknown_filter_sort_or_value_is_a_422_naming_it_never_an_unfiltered_list(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    for (path, loc, kind) in [
        (
            "/v1/orders?colour=red",
            json!(["query", "colour"]),
            "extra_forbidden",
        ),
        (
            "/v1/subscriptions?customer=x",
            json!(["query", "customer"]),
            "extra_forbidden",
        ),
        (
            "/v1/orders?sorting=-customer",
            json!(["query", "sorting"]),
            "enum",
        ),
        (
            "/v1/products?sorting=price_amount",
            json!(["query", "sorting"]),
            "enum",
        ),
        (
            "/v1/checkouts?metadata[plan]=pro",
            json!(["query", "metadata"]),
            "extra_forbidden",
        ),
        (
            "/v1/customers?metadata[bad\"key]=x",
            json!(["query", "metadata"]),
            "value_error",
        ),
        (
            "/v1/orders?created_after=yesterday",
            json!(["query", "created_after"]),
            "value_error",
        ),
        (
            "/v1/benefit-grants?is_granted=maybe",
            json!(["query", "is_granted"]),
            "value_error",
        ),
        (
            "/v1/customer-seats?subscription_id=00000000-0000-0000-0000-000000000000&limit=1001",
            json!(["query", "limit"]),
            "less_than_equal",
        ),
    ] {
        assert_validation(app.get_as(&org.token, path).await, loc, kind).await;
    }
    let unknown = app
        .get_as(
            &org.token,
            "/v1/customer-seats?subscription_id=00000000-0000-0000-0000-000000000000&colour=red",
        )
        .await;
    assert_eq!(unknown.status(), 422);
}

async fn catalog_customer_and_checkout_filters_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (_, keys) = json(
        app.post_as(
            &org.token,
            "/v1/benefits",
            &json!({"type": "license_keys", "description": "License key", "properties": {}}),
        )
        .await,
    )
    .await;
    let (_, note) = json(app.post_as(&org.token, "/v1/benefits", &json!({"type": "custom", "description": "Onboarding call", "properties": {"note": "Book a call"}, "metadata": {"team": "success"}})).await).await;
    let monthly = product(&app, &org, Some("month")).await;
    let lifetime = product(&app, &org, None).await;
    let attach = app
        .post_as(
            &org.token,
            &format!("/v1/products/{}/benefits", monthly["id"].as_str().unwrap()),
            &json!({"benefits": [keys["id"]]}),
        )
        .await;
    assert_eq!(attach.status(), 200);

    assert_eq!(
        ids(
            &app,
            &org,
            &format!("/v1/products?benefit_id={}", keys["id"].as_str().unwrap())
        )
        .await,
        [monthly["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!(
                "/v1/products?id={}&id={}",
                monthly["id"].as_str().unwrap(),
                lifetime["id"].as_str().unwrap()
            )
        )
        .await
        .len(),
        2
    );
    assert_eq!(
        ids(&app, &org, "/v1/products?is_recurring=false").await,
        [lifetime["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app, &org, "/v1/products?visibility=draft").await.len(),
        0
    );
    assert_eq!(
        ids(&app, &org, "/v1/products?visibility=public&query=team")
            .await
            .len(),
        2
    );
    let by_name = ids(&app, &org, "/v1/products?sorting=-name&sorting=created_at").await;
    assert_eq!(by_name.len(), 2);

    assert_eq!(
        ids(&app, &org, "/v1/benefits?type=custom").await,
        [note["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!("/v1/benefits?exclude_id={}", note["id"].as_str().unwrap())
        )
        .await,
        [keys["id"].as_str().unwrap()]
    );
    assert_eq!(ids(&app, &org, "/v1/benefits?query=ONBOARD").await.len(), 1);
    assert_eq!(
        ids(&app, &org, "/v1/benefits?metadata[team]=success")
            .await
            .len(),
        1
    );

    sale(&app, &org, &monthly, "active@example.com", None, json!({})).await;
    let (_, idle) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "idle@example.com", "name": "Idle Co", "metadata": {"tier": 2}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        ids(&app, &org, "/v1/customers?active=false").await,
        [idle["id"].as_str().unwrap()]
    );
    assert_eq!(ids(&app, &org, "/v1/customers?active=true").await.len(), 1);
    assert_eq!(
        ids(&app, &org, "/v1/customers?metadata[tier]=2").await,
        [idle["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app, &org, "/v1/customers?query=idle%20co").await.len(),
        1
    );
    assert_eq!(
        ids(&app, &org, "/v1/customers?sorting=email").await.len(),
        2
    );
    let members = format!("/v1/customers/{}/members", idle["id"].as_str().unwrap());
    app.post_as(
        &org.token,
        &members,
        &json!({"email": "manager@example.com", "role": "billing_manager"}),
    )
    .await;
    assert_eq!(
        ids(&app, &org, &format!("{members}?role=billing_manager"))
            .await
            .len(),
        1
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!("{members}?role=owner&role=billing_manager")
        )
        .await
        .len(),
        2
    );

    let open = checkout(
        &app,
        &org,
        &lifetime,
        json!({"customer_email": "shopper@example.com", "external_customer_id": "shopper-1"}),
    )
    .await;
    assert_eq!(
        ids(&app, &org, "/v1/checkouts?status=open").await,
        [open["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app, &org, "/v1/checkouts?status=succeeded")
            .await
            .len(),
        1
    );
    assert_eq!(
        ids(&app, &org, "/v1/checkouts?external_customer_id=shopper-1")
            .await
            .len(),
        1
    );
    assert_eq!(
        ids(&app, &org, "/v1/checkouts?query=SHOPPER").await.len(),
        1
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!(
                "/v1/checkouts?product_id={}",
                monthly["id"].as_str().unwrap()
            )
        )
        .await
        .len(),
        1
    );
    app.advance_clock(&json!({"seconds": 7200})).await;
    assert_eq!(ids(&app, &org, "/v1/checkouts?status=open").await.len(), 0);
    assert_eq!(
        ids(&app, &org, "/v1/checkouts?status=expired").await,
        [open["id"].as_str().unwrap()]
    );
}

async fn seat_lists_and_audit_logs_come_in_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 30, Some("month")).await;
    for i in 0..25 {
        let response = app
            .post_as(
                &org.token,
                "/v1/customer-seats",
                &assign_body(&paid, &format!("p{i:02}@example.com")),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let path = format!("/v1/customer-seats?{}", pool_query(&paid));
    let (_, whole) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(
        whole["seats"].as_array().unwrap().len(),
        25,
        "a whole pool by default"
    );
    assert_eq!(
        whole["pagination"],
        json!({"total_count": 25, "max_page": 1})
    );
    let (_, second) = json(
        app.get_as(&org.token, &format!("{path}&page=2&limit=10"))
            .await,
    )
    .await;
    assert_eq!(second["seats"].as_array().unwrap().len(), 10);
    assert_eq!(second["seats"][0]["email"], "p10@example.com");
    assert_eq!(
        second["pagination"],
        json!({"total_count": 25, "max_page": 3})
    );
    let (_, pending) = json(
        app.get_as(&org.token, &format!("{path}&status=pending&limit=5"))
            .await,
    )
    .await;
    assert_eq!(pending["pagination"]["total_count"], 25);

    let audit = format!("/v1/customer-seats/audit-log?{}", pool_query(&paid));
    let (_, log) = json(app.get_as(&org.token, &audit).await).await;
    assert_eq!(
        log["entries"].as_array().unwrap().len(),
        10,
        "ten entries a page, like every list"
    );
    assert_eq!(log["pagination"], json!({"total_count": 25, "max_page": 3}));
    let (_, last) = json(
        app.get_as(&org.token, &format!("{audit}&page=3&limit=10"))
            .await,
    )
    .await;
    assert_eq!(last["entries"].as_array().unwrap().len(), 5);
}

async fn benefit_grant_filters_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (_, keys) = json(
        app.post_as(
            &org.token,
            "/v1/benefits",
            &json!({"type": "license_keys", "description": "License key", "properties": {}}),
        )
        .await,
    )
    .await;
    let monthly = product(&app, &org, Some("month")).await;
    app.post_as(
        &org.token,
        &format!("/v1/products/{}/benefits", monthly["id"].as_str().unwrap()),
        &json!({"benefits": [keys["id"]]}),
    )
    .await;
    let paid = sale(
        &app,
        &org,
        &monthly,
        "billing@team.example",
        Some("team-1"),
        json!({}),
    )
    .await;
    let mut body = assign_body(&paid, "jane@team.example");
    body["immediate_claim"] = json!(true);
    let (_, seat) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    assert_eq!(
        ids(&app, &org, "/v1/benefit-grants?external_customer_id=team-1")
            .await
            .len(),
        1
    );
    assert_eq!(
        ids(&app, &org, "/v1/benefit-grants?external_customer_id=team-2")
            .await
            .len(),
        0
    );
    assert_eq!(
        ids(
            &app,
            &org,
            &format!(
                "/v1/benefit-grants?member_id={}",
                seat["member_id"].as_str().unwrap()
            )
        )
        .await
        .len(),
        1
    );
    assert_eq!(
        ids(&app, &org, "/v1/benefit-grants?is_granted=false")
            .await
            .len(),
        0
    );
    assert_eq!(
        ids(&app, &org, "/v1/benefit-grants?sorting=-granted_at")
            .await
            .len(),
        1
    );
}

both_backends!(
    order_and_subscription_filters_the_sdk_sends_all_filter,
    an_unknown_filter_sort_or_value_is_a_422_naming_it_never_an_unfiltered_list,
    catalog_customer_and_checkout_filters_filter,
    seat_lists_and_audit_logs_come_in_pages,
    benefit_grant_filters_filter,
);
