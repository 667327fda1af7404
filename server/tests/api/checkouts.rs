//! Checkouts through to subscriptions and orders: pay, decline, retry, idempotency under races,
//! expiry, and the customer the purchase lands on.

use serde_json::json;

use crate::{both_backends, helpers::*};

async fn a_paid_recurring_checkout_creates_an_active_subscription_and_its_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("month")).await;
    let checkout = checkout(&app, &org, &product, json!({"seats": 5})).await;
    assert_eq!(checkout["status"], "open");
    assert_eq!(checkout["amount"], 5000);
    assert_eq!(checkout["seats"], 5);
    assert_eq!(
        checkout["url"],
        app.url(&format!(
            "/checkout/{}",
            checkout["client_secret"].as_str().unwrap()
        ))
    );

    let (status, public) = json(app.get(&client_path(&checkout)).await).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["organization"]["slug"], "acme");
    let (status, updated) = json(
        app.client
            .patch(app.url(&client_path(&checkout)))
            .json(&json!({"seats": 12}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["amount"], 12 * 800);

    let (status, paid) = json(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa", "customer_email": "Buyer@Example.com"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "confirmed");
    assert!(
        paid["customer_session_token"]
            .as_str()
            .unwrap()
            .starts_with("skp_cst_")
    );
    let (_, fulfilled) = json(app.get(&client_path(&checkout)).await).await;
    assert_eq!(fulfilled["status"], "succeeded");
    let subscription_id = paid["subscription_id"].as_str().unwrap();
    let (_, subscription) = json(
        app.get_as(&org.token, &format!("/v1/subscriptions/{subscription_id}"))
            .await,
    )
    .await;
    assert_eq!(subscription["status"], "active");
    assert_eq!(subscription["seats"], 12);
    assert_eq!(subscription["amount"], 9600);
    assert_eq!(subscription["recurring_interval"], "month");
    assert_eq!(subscription["customer"]["type"], "team");
    assert_eq!(subscription["customer"]["email"], "buyer@example.com");
    assert_eq!(subscription["checkout_id"], checkout["id"]);
    let (_, orders) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/orders?customer_id={}",
                paid["customer_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    let order = &orders["items"][0];
    assert_eq!(order["billing_reason"], "subscription_create");
    assert_eq!(order["status"], "paid");
    assert_eq!(order["total_amount"], 9600);
    assert_eq!(order["seats"], 12);
    assert_eq!(order["subscription_id"], subscription["id"]);

    let events: Vec<String> = app
        .store()
        .events(org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        events,
        [
            "product.created",
            "checkout.created",
            "checkout.updated",
            "checkout.updated",
            "customer.created",
            "member.created",
            "checkout.updated",
            "subscription.created",
            "subscription.active",
            "order.created",
            "order.paid",
        ]
    );
}

async fn a_paid_one_time_checkout_creates_a_paid_purchase_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let checkout = checkout(
        &app,
        &org,
        &product,
        json!({"seats": 3, "customer_email": "buyer@example.com"}),
    )
    .await;
    let (status, paid) = json(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    assert!(paid["subscription_id"].is_null());
    let order_id = paid["order_id"].as_str().unwrap();
    let (_, order) = json(
        app.get_as(&org.token, &format!("/v1/orders/{order_id}"))
            .await,
    )
    .await;
    assert_eq!(order["billing_reason"], "purchase");
    assert_eq!(order["status"], "paid");
    assert_eq!(order["paid"], true);
    assert_eq!(order["seats"], 3);
    assert_eq!(order["total_amount"], 3000);
    assert_eq!(order["customer"]["type"], "team");
    assert_eq!(count(&app, &org, "/v1/subscriptions").await, 0);
}

async fn a_declined_payment_creates_nothing_and_can_be_retried(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("year")).await;
    let checkout = checkout(
        &app,
        &org,
        &product,
        json!({"seats": 2, "customer_email": "buyer@example.com"}),
    )
    .await;
    let response = confirm(
        &app,
        &checkout,
        json!({"confirmation_token_id": "tok_chargeDeclined"}),
    )
    .await;
    let error = assert_error(response, 400, "PaymentError").await;
    assert!(error["detail"].as_str().unwrap().contains("declined"));
    assert_eq!(count(&app, &org, "/v1/subscriptions").await, 0);
    assert_eq!(count(&app, &org, "/v1/orders").await, 0);
    assert_eq!(count(&app, &org, "/v1/customers").await, 0);
    let (_, still) = json(app.get(&client_path(&checkout)).await).await;
    assert_eq!(still["status"], "open");

    let (status, paid) = json(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "confirmed");
    assert_eq!(count(&app, &org, "/v1/subscriptions").await, 1);
}

async fn confirming_twice_or_in_parallel_buys_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("month")).await;
    let checkout = checkout(
        &app,
        &org,
        &product,
        json!({"seats": 4, "customer_email": "buyer@example.com"}),
    )
    .await;
    let url = app.url(&format!("{}/confirm", client_path(&checkout)));
    let attempts = (0..10).map(|_| {
        let client = app.client.clone();
        let url = url.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"confirmation_token_id": "tok_visa"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let statuses: Vec<u16> = futures_collect(attempts).await;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200));
    let (status, again) = json(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["status"], "confirmed");
    let (_, current) = json(app.get(&client_path(&checkout)).await).await;
    assert_eq!(current["status"], "succeeded");
    assert_eq!(count(&app, &org, "/v1/subscriptions").await, 1);
    assert_eq!(count(&app, &org, "/v1/orders").await, 1);
}

async fn seats_outside_the_tiers_are_refused_at_creation_and_update(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("month")).await;
    let body = json!({"products": [product["id"]], "seats": 1001});
    let error = assert_error(
        app.post_as(&org.token, "/v1/checkouts", &body).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "seats"]));
    let narrowed = checkout(
        &app,
        &org,
        &product,
        json!({"seats": 5, "min_seats": 3, "max_seats": 20}),
    )
    .await;
    assert_eq!(narrowed["min_seats"], 3);
    assert_eq!(narrowed["max_seats"], 20);
    let response = app
        .client
        .patch(app.url(&client_path(&narrowed)))
        .json(&json!({"seats": 21}))
        .send()
        .await
        .unwrap();
    let error = assert_error(response, 422, "RequestValidationError").await;
    assert!(
        error["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("between 3 and 20"),
        "{error}"
    );
    let (_, unchanged) = json(app.get(&client_path(&narrowed)).await).await;
    assert_eq!(unchanged["seats"], 5);
}

async fn unknown_archived_or_wrong_currency_products_cannot_be_sold(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let unknown = json!({"products": [uuid::Uuid::now_v7()]});
    assert_error(
        app.post_as(&org.token, "/v1/checkouts", &unknown).await,
        422,
        "RequestValidationError",
    )
    .await;
    let euros = json!({"products": [product["id"]], "currency": "eur"});
    let error = assert_error(
        app.post_as(&org.token, "/v1/checkouts", &euros).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "currency"]));
    app.patch_as(
        &org.token,
        &format!("/v1/products/{}", product["id"].as_str().unwrap()),
        &json!({"is_archived": true}),
    )
    .await;
    let archived = json!({"products": [product["id"]]});
    let error = assert_error(
        app.post_as(&org.token, "/v1/checkouts", &archived).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert!(
        error["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("archived")
    );
    let other = app.create_org("other").await;
    assert_error(
        app.post_as(&other.token, "/v1/checkouts", &archived).await,
        422,
        "RequestValidationError",
    )
    .await;
}

async fn an_expired_checkout_cannot_be_paid(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let checkout = checkout(
        &app,
        &org,
        &product,
        json!({"customer_email": "buyer@example.com"}),
    )
    .await;
    app.advance_clock(&json!({"seconds": 7200})).await;
    let (_, expired) = json(app.get(&client_path(&checkout)).await).await;
    assert_eq!(expired["status"], "expired");
    assert_error(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa"}),
        )
        .await,
        400,
        "CheckoutExpired",
    )
    .await;
    assert_eq!(count(&app, &org, "/v1/orders").await, 0);
}

async fn an_existing_customer_with_the_email_buys_and_becomes_a_team(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (_, customer) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "buyer@example.com"}),
        )
        .await,
    )
    .await;
    assert_eq!(customer["type"], "individual");
    let product = product(&app, &org, None).await;
    let checkout = checkout(&app, &org, &product, json!({})).await;
    let (status, paid) = json(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa", "customer_email": "BUYER@example.com"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["customer_id"], customer["id"]);
    let (_, after) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customers/{}", customer["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(after["type"], "team");
    assert_eq!(count(&app, &org, "/v1/customers").await, 1);
}

async fn an_email_and_a_payment_token_are_required(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let checkout = checkout(&app, &org, &product, json!({})).await;
    let error = assert_error(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa"}),
        )
        .await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "customer_email"]));
    let error = assert_error(
        confirm(&app, &checkout, json!({"customer_email": "a@example.com"})).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "confirmation_token_id"])
    );
    assert_error(
        app.get("/v1/checkouts/client/nope").await,
        404,
        "ResourceNotFound",
    )
    .await;
}

both_backends!(
    a_paid_recurring_checkout_creates_an_active_subscription_and_its_order,
    a_paid_one_time_checkout_creates_a_paid_purchase_order,
    a_declined_payment_creates_nothing_and_can_be_retried,
    confirming_twice_or_in_parallel_buys_once,
    seats_outside_the_tiers_are_refused_at_creation_and_update,
    unknown_archived_or_wrong_currency_products_cannot_be_sold,
    an_expired_checkout_cannot_be_paid,
    an_existing_customer_with_the_email_buys_and_becomes_a_team,
    an_email_and_a_payment_token_are_required,
);

async fn futures_collect(handles: impl Iterator<Item = tokio::task::JoinHandle<u16>>) -> Vec<u16> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

async fn subscriptions_and_orders_are_filtered_by_customer_product_and_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let monthly = product(&app, &org, Some("month")).await;
    let lifetime = product(&app, &org, None).await;
    for (product, email) in [
        (&monthly, "a@example.com"),
        (&monthly, "b@example.com"),
        (&lifetime, "a@example.com"),
    ] {
        let checkout = checkout(&app, &org, product, json!({"customer_email": email})).await;
        let (status, _) = json(
            confirm(
                &app,
                &checkout,
                json!({"confirmation_token_id": "tok_visa"}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(count(&app, &org, "/v1/subscriptions").await, 2);
    assert_eq!(
        count(&app, &org, "/v1/subscriptions?status=active").await,
        2
    );
    assert_eq!(
        count(&app, &org, "/v1/subscriptions?status=canceled").await,
        0
    );
    assert_eq!(
        count(
            &app,
            &org,
            &format!("/v1/orders?product_id={}", lifetime["id"].as_str().unwrap())
        )
        .await,
        1
    );
    let (_, customers) = json(
        app.get_as(&org.token, "/v1/customers?email=a@example.com")
            .await,
    )
    .await;
    let a = customers["items"][0]["id"].as_str().unwrap();
    assert_eq!(
        count(&app, &org, &format!("/v1/orders?customer_id={a}")).await,
        2
    );
    assert_eq!(
        count(&app, &org, &format!("/v1/subscriptions?customer_id={a}")).await,
        1
    );
    // Filters take lists (`?status=a&status=b`): a bad item is located by its index.
    assert_validation(
        app.get_as(&org.token, "/v1/subscriptions?status=sleeping")
            .await,
        json!(["query", "status", 0]),
        "value_error",
    )
    .await;
    assert_validation(
        app.get_as(&org.token, "/v1/orders?customer_id=nope").await,
        json!(["query", "customer_id", 0]),
        "uuid_parsing",
    )
    .await;
    let other = app.create_org("other").await;
    assert_eq!(count(&app, &other, "/v1/orders").await, 0);
}

both_backends!(subscriptions_and_orders_are_filtered_by_customer_product_and_status,);

async fn a_deleted_customers_subscription_still_shows_who_bought_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("month")).await;
    let checkout = checkout(
        &app,
        &org,
        &product,
        json!({"customer_email": "gone@example.com"}),
    )
    .await;
    let (_, paid) = json(
        confirm(
            &app,
            &checkout,
            json!({"confirmation_token_id": "tok_visa"}),
        )
        .await,
    )
    .await;
    let customer = paid["customer_id"].as_str().unwrap();
    let response = app
        .client
        .delete(app.url(&format!("/v1/customers/{customer}")))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, subscription) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/subscriptions/{}",
                paid["subscription_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{subscription}");
    assert_eq!(subscription["customer"]["email"], "gone@example.com");
    assert!(subscription["customer"]["deleted_at"].is_string());
}

both_backends!(a_deleted_customers_subscription_still_shows_who_bought_it,);
