//! Paying a checkout safely: who gets a portal session (the identity rule), a session only from the
//! confirmation that bought, races between confirmations and edits, and payments a crash or a lost
//! client left unsettled (the sweeper completes them or refunds them; nothing is charged without a
//! purchase, nothing twice).

use std::time::Duration;

use serde_json::{Value, json};

use crate::{both_backends, helpers::*};

/// The test payment provider's ledger (test mode).
async fn ledger(app: &TestApp) -> Vec<Value> {
    let (status, charges) = json(app.get("/v1/_test/payments").await).await;
    assert_eq!(status, 200, "{charges}");
    charges.as_array().unwrap().clone()
}

/// Whether a portal session token works.
async fn session_works(app: &TestApp, token: &str) -> bool {
    app.get_as(token, "/v1/customer-portal/seats/subscriptions")
        .await
        .status()
        == 200
}

async fn checkout_now(app: &TestApp, checkout: &Value) -> Value {
    json(app.get(&client_path(checkout)).await).await.1
}

async fn advance(app: &TestApp, seconds: i64) {
    let response = app.advance_clock(&json!({ "seconds": seconds })).await;
    assert_eq!(response.status(), 200);
}

/// Starts a confirmation with the slow test card and drops it once the charge is in the ledger, as a
/// client that goes away (or a server that dies) between the charge and the purchase would.
async fn charge_then_vanish(app: &TestApp, checkout: &Value) {
    let url = app.url(&format!("{}/confirm", client_path(checkout)));
    let client = reqwest::Client::new();
    let request = tokio::spawn(async move {
        let _ = client
            .post(url)
            .json(&json!({"confirmation_token_id": "tok_visa_slow"}))
            .send()
            .await;
    });
    for _ in 0..100 {
        if !ledger(app).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    request.abort();
    // The server notices the closed connection and drops the confirmation mid-way.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(ledger(app).await.len(), 1, "the slow charge was recorded");
}

async fn a_buyer_typing_an_existing_customers_email_buys_for_it_but_gets_no_session(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (_, victim) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "owner@team.example"}),
        )
        .await,
    )
    .await;
    let product = product(&app, &org, Some("month")).await;
    let open = checkout(&app, &org, &product, json!({"seats": 1})).await;

    let body = json!({"confirmation_token_id": "tok_visa", "customer_email": "OWNER@team.example"});
    let (status, paid) = json(confirm(&app, &open, body).await).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(
        paid["customer_id"], victim["id"],
        "the purchase lands on the existing customer"
    );
    assert!(
        paid["customer_session_token"].is_null(),
        "typing an email proves nothing: {paid}"
    );
    assert_eq!(count(&app, &org, "/v1/customers").await, 1);
}

async fn a_checkout_bound_by_the_merchant_gives_its_customers_owner_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (_, customer) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "owner@team.example", "external_id": "team-7"}),
        )
        .await,
    )
    .await;
    let product = product(&app, &org, Some("month")).await;
    for binding in [
        json!({"customer_id": customer["id"]}),
        json!({"external_customer_id": "team-7"}),
    ] {
        let open = checkout(&app, &org, &product, binding.clone()).await;
        let body =
            json!({"confirmation_token_id": "tok_visa", "customer_email": "someone@else.example"});
        let (status, paid) = json(confirm(&app, &open, body).await).await;
        assert_eq!(status, 200, "{paid}");
        assert_eq!(paid["customer_id"], customer["id"], "{binding}");
        let token = paid["customer_session_token"].as_str().unwrap();
        assert!(session_works(&app, token).await, "{binding}");
    }
}

async fn a_new_buyer_gets_one_session_and_a_repeated_confirmation_gets_none(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("month")).await;
    let open = checkout(
        &app,
        &org,
        &product,
        json!({"customer_email": "new@buyer.example"}),
    )
    .await;
    let (_, paid) =
        json(confirm(&app, &open, json!({"confirmation_token_id": "tok_visa"})).await).await;
    let token = paid["customer_session_token"].as_str().unwrap();
    assert!(session_works(&app, token).await);

    let (status, again) =
        json(confirm(&app, &open, json!({"confirmation_token_id": "tok_visa"})).await).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["status"], "confirmed");
    assert!(again["customer_session_token"].is_null(), "{again}");
    assert_eq!(ledger(&app).await.len(), 1);
}

async fn the_client_secret_of_a_paid_checkout_reads_it_and_does_nothing_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let open = checkout(
        &app,
        &org,
        &product,
        json!({"customer_email": "buyer@example.com", "seats": 2}),
    )
    .await;
    let (status, _) =
        json(confirm(&app, &open, json!({"confirmation_token_id": "tok_visa"})).await).await;
    assert_eq!(status, 200);

    let (status, read) = json(app.get(&client_path(&open)).await).await;
    assert_eq!((status, read["status"].as_str()), (200, Some("succeeded")));
    let edit = app
        .client
        .patch(app.url(&client_path(&open)))
        .json(&json!({"seats": 3}))
        .send()
        .await
        .unwrap();
    assert_error(edit, 400, "CheckoutNotOpen").await;
    let body = json!({"confirmation_token_id": "tok_visa", "seats": 4, "customer_email": "thief@example.com"});
    let (status, again) = json(confirm(&app, &open, body).await).await;
    assert_eq!(status, 200);
    assert!(again["customer_session_token"].is_null());
    assert_eq!(checkout_now(&app, &open).await["seats"], 2);
    assert_eq!(count(&app, &org, "/v1/orders").await, 1);
}

async fn parallel_confirmations_with_changes_buy_once_charge_once_and_never_fail_with_a_5xx(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("month")).await;
    let open = checkout(&app, &org, &product, json!({"seats": 1})).await;
    let url = app.url(&format!("{}/confirm", client_path(&open)));
    let attempts: Vec<_> = (1..=12u32)
        .map(|seats| {
            let client = app.client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let body = json!({"confirmation_token_id": "tok_visa", "seats": seats, "customer_email": format!("buyer{seats}@example.com")});
                let response = client.post(url).json(&body).send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut sessions = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        assert!(status == 200 || status == 409, "{status}: {body}");
        if status == 409 {
            assert_eq!(body["error"], "CheckoutNotOpen", "{body}");
        }
        if body["customer_session_token"].is_string() {
            sessions += 1;
        }
    }
    assert_eq!(
        sessions, 1,
        "exactly one confirmation bought, and only it got a session"
    );
    assert_eq!(count(&app, &org, "/v1/orders").await, 1);
    assert_eq!(count(&app, &org, "/v1/subscriptions").await, 1);
    let charges = ledger(&app).await;
    assert_eq!(charges.len(), 1, "{charges:?}");
    let paid = checkout_now(&app, &open).await;
    assert_eq!(paid["status"], "succeeded");
    let (_, orders) = json(app.get_as(&org.token, "/v1/orders").await).await;
    let order = &orders["items"][0];
    assert_eq!(
        order["total_amount"], charges[0]["amount"],
        "the charge is what the order says"
    );
    assert_eq!(order["seats"], paid["seats"]);
    assert_eq!(order["total_amount"], paid["amount"]);
}

async fn an_edit_racing_a_confirmation_never_changes_what_was_paid(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let open = checkout(
        &app,
        &org,
        &product,
        json!({"seats": 2, "customer_email": "buyer@example.com"}),
    )
    .await;
    let edit_url = app.url(&client_path(&open));
    let editor = {
        let client = app.client.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for seats in 3..40u32 {
                let response = client
                    .patch(&edit_url)
                    .json(&json!({"seats": seats}))
                    .send()
                    .await
                    .unwrap();
                statuses.push(response.status().as_u16());
            }
            statuses
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, _) =
        json(confirm(&app, &open, json!({"confirmation_token_id": "tok_visa"})).await).await;
    assert_eq!(status, 200);
    let statuses = editor.await.unwrap();
    assert!(
        statuses.iter().all(|s| [200, 400, 409].contains(s)),
        "{statuses:?}"
    );
    let paid = checkout_now(&app, &open).await;
    let (_, orders) = json(app.get_as(&org.token, "/v1/orders").await).await;
    let order = &orders["items"][0];
    assert_eq!(
        order["seats"], paid["seats"],
        "the checkout shows what was bought"
    );
    assert_eq!(order["total_amount"], paid["amount"]);
    assert_eq!(ledger(&app).await[0]["amount"], paid["amount"]);
}

async fn a_payment_whose_client_vanished_after_the_charge_is_completed_by_the_sweeper(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, Some("month")).await;
    let open = checkout(
        &app,
        &org,
        &product,
        json!({"customer_email": "buyer@example.com", "seats": 3}),
    )
    .await;
    charge_then_vanish(&app, &open).await;
    assert_eq!(checkout_now(&app, &open).await["status"], "confirmed");
    assert_eq!(
        count(&app, &org, "/v1/orders").await,
        0,
        "charged, not bought yet"
    );

    // Within the grace period the sweeper leaves it alone; after it, it finishes the purchase.
    advance(&app, 30).await;
    assert_eq!(checkout_now(&app, &open).await["status"], "confirmed");
    advance(&app, 120).await;
    assert_eq!(checkout_now(&app, &open).await["status"], "succeeded");
    assert_eq!(count(&app, &org, "/v1/orders").await, 1);
    let charges = ledger(&app).await;
    assert_eq!(charges.len(), 1);
    assert!(charges[0]["refunded_at"].is_null(), "{charges:?}");
}

async fn a_charged_payment_that_can_no_longer_be_bought_is_refunded_and_the_checkout_reopens(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let open = checkout(
        &app,
        &org,
        &product,
        json!({"customer_email": "buyer@example.com"}),
    )
    .await;
    charge_then_vanish(&app, &open).await;
    // The price changes before the sweeper gets to it: the checkout cannot be bought at the
    // price that was charged any more.
    let new_price = json!({"prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [{"min_seats": 1, "price_per_seat": 2500}]}}]});
    let response = app
        .patch_as(
            &org.token,
            &format!("/v1/products/{}", product["id"].as_str().unwrap()),
            &new_price,
        )
        .await;
    assert_eq!(response.status(), 200);

    advance(&app, 180).await;
    let charges = ledger(&app).await;
    assert!(
        charges[0]["refunded_at"].is_string(),
        "refunded: {charges:?}"
    );
    assert_eq!(count(&app, &org, "/v1/orders").await, 0);
    assert_eq!(checkout_now(&app, &open).await["status"], "open");
}

both_backends!(
    a_buyer_typing_an_existing_customers_email_buys_for_it_but_gets_no_session,
    a_checkout_bound_by_the_merchant_gives_its_customers_owner_a_session,
    a_new_buyer_gets_one_session_and_a_repeated_confirmation_gets_none,
    the_client_secret_of_a_paid_checkout_reads_it_and_does_nothing_else,
    parallel_confirmations_with_changes_buy_once_charge_once_and_never_fail_with_a_5xx,
    an_edit_racing_a_confirmation_never_changes_what_was_paid,
    a_payment_whose_client_vanished_after_the_charge_is_completed_by_the_sweeper,
    a_charged_payment_that_can_no_longer_be_bought_is_refunded_and_the_checkout_reopens,
);

/// `seatkeeper serve --test-clock` on `database_url`, answering on `port`.
fn serve_binary(database_url: &str, port: u16) -> std::process::Child {
    serve_binary_with(database_url, port, &[])
}

async fn a_server_killed_between_the_charge_and_the_purchase_settles_the_payment_after_a_restart(
    backend: Backend,
) {
    let db = TestDatabase::new(backend).await;
    let token = acme_token_from_cli(&db.url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = serve_binary(&db.url, port);
    wait_ready(&client, &base).await;

    let product: Value = client.post(format!("{base}/v1/products")).bearer_auth(&token)
        .json(&json!({"name": "Team plan", "recurring_interval": "month", "prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]}))
        .send().await.unwrap().json().await.unwrap();
    let open: Value = client.post(format!("{base}/v1/checkouts")).bearer_auth(&token)
        .json(&json!({"products": [product["id"]], "seats": 4, "customer_email": "buyer@example.com"}))
        .send().await.unwrap().json().await.unwrap();
    let secret = open["client_secret"].as_str().unwrap().to_owned();
    let confirm_url = format!("{base}/v1/checkouts/client/{secret}/confirm");
    let paying = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .post(confirm_url)
                .json(&json!({"confirmation_token_id": "tok_visa_slow"}))
                .send()
                .await
        }
    });
    // Kill -9 as soon as the provider has charged (the slow card answers only seconds later).
    let mut charged = false;
    for _ in 0..200 {
        let charges: Vec<Value> = client
            .get(format!("{base}/v1/_test/payments"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !charges.is_empty() {
            charged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(charged);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(paying.await.unwrap().is_err(), "the buyer got no answer");

    let mut server = serve_binary(&db.url, port);
    wait_ready(&client, &base).await;
    let stuck: Value = client
        .get(format!("{base}/v1/checkouts/client/{secret}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stuck["status"], "confirmed", "charged, never bought");
    let response = client
        .post(format!("{base}/v1/test-clock/advance"))
        .bearer_auth(&token)
        .json(&json!({"seconds": 180}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let settled: Value = client
        .get(format!("{base}/v1/checkouts/client/{secret}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settled["status"], "succeeded", "{settled}");
    let orders: Value = client
        .get(format!("{base}/v1/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders["pagination"]["total_count"], 1);
    assert_eq!(orders["items"][0]["total_amount"], 4000);
    let charges: Vec<Value> = client
        .get(format!("{base}/v1/_test/payments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(charges.len(), 1, "charged once: {charges:?}");
    assert!(charges[0]["refunded_at"].is_null());
    server.kill().unwrap();
    server.wait().unwrap();
}

/// `seatkeeper serve --test-clock --dev-mailbox` whose clock starts at 2027-01-01, on
/// `database_url`.
fn serve_binary_on_new_year(database_url: &str, port: u16) -> std::process::Child {
    serve_binary_with(
        database_url,
        port,
        &[
            "--dev-mailbox",
            "--test-clock-start",
            "2027-01-01T00:00:00Z",
        ],
    )
}

async fn a_server_killed_between_a_renewal_charge_and_its_order_renews_once_after_a_restart(
    backend: Backend,
) {
    let db = TestDatabase::new(backend).await;
    let token = acme_token_from_cli(&db.url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = serve_binary_on_new_year(&db.url, port);
    wait_ready(&client, &base).await;
    let ledger = |client: reqwest::Client, base: String| async move {
        client
            .get(format!("{base}/v1/_test/payments"))
            .send()
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
    };

    let product: Value = client.post(format!("{base}/v1/products")).bearer_auth(&token)
        .json(&json!({"name": "Team plan", "recurring_interval": "month", "prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]}))
        .send().await.unwrap().json().await.unwrap();
    let open: Value = client.post(format!("{base}/v1/checkouts")).bearer_auth(&token)
        .json(&json!({"products": [product["id"]], "seats": 2, "customer_email": "buyer@example.com"}))
        .send().await.unwrap().json().await.unwrap();
    let secret = open["client_secret"].as_str().unwrap().to_owned();
    // The slow card saves a payment method whose charges answer seconds after they are made.
    let bought = client
        .post(format!("{base}/v1/checkouts/client/{secret}/confirm"))
        .json(&json!({"confirmation_token_id": "tok_visa_slow"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bought.status(), 200);
    assert_eq!(ledger(client.clone(), base.clone()).await.len(), 1);

    let advancing = tokio::spawn({
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            client
                .post(format!("{base}/v1/test-clock/advance"))
                .bearer_auth(token)
                .json(&json!({"to": "2027-02-01T00:00:00Z"}))
                .send()
                .await
        }
    });
    // Kill -9 as soon as the renewal is charged (its answer comes only seconds later).
    let mut charged = false;
    for _ in 0..300 {
        if ledger(client.clone(), base.clone()).await.len() == 2 {
            charged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(charged, "the renewal was charged");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        advancing.await.unwrap().is_err(),
        "the advance got no answer"
    );

    let mut server = serve_binary_on_new_year(&db.url, port);
    wait_ready(&client, &base).await;
    let orders = |client: reqwest::Client, base: String, token: String| async move {
        let page: Value = client
            .get(format!("{base}/v1/orders?sorting=created_at"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["billing_reason"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        orders(client.clone(), base.clone(), token.clone()).await,
        ["subscription_create"],
        "charged, never written"
    );
    let response = client
        .post(format!("{base}/v1/test-clock/advance"))
        .bearer_auth(&token)
        .json(&json!({"to": "2027-02-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        orders(client.clone(), base.clone(), token.clone()).await,
        ["subscription_create", "subscription_cycle"]
    );
    let charges = ledger(client.clone(), base.clone()).await;
    assert_eq!(
        charges.len(),
        2,
        "the renewal was charged once: {charges:?}"
    );
    assert!(charges.iter().all(|c| c["refunded_at"].is_null()));
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The outbox's emails of `kind`, with whether each was sent.
async fn outbox(database_url: &str, kind: &str) -> Vec<String> {
    let sql = format!("SELECT status FROM email_outbox WHERE kind = '{kind}'");
    if database_url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .unwrap()
    }
}

async fn a_test_clock_advance_sends_the_emails_its_work_queued_before_it_answers(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let token = acme_token_from_cli(&db.url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = serve_binary_on_new_year(&db.url, port);
    wait_ready(&client, &base).await;
    let product: Value = client.post(format!("{base}/v1/products")).bearer_auth(&token)
        .json(&json!({"name": "Team plan", "recurring_interval": "month", "prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]}))
        .send().await.unwrap().json().await.unwrap();
    let open: Value = client.post(format!("{base}/v1/checkouts")).bearer_auth(&token)
        .json(&json!({"products": [product["id"]], "seats": 2, "customer_email": "buyer@example.com"}))
        .send().await.unwrap().json().await.unwrap();
    let secret = open["client_secret"].as_str().unwrap();
    let bought = client
        .post(format!("{base}/v1/checkouts/client/{secret}/confirm"))
        .json(&json!({"confirmation_token_id": "tok_visa_renewal_declined"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bought.status(), 200);
    let advanced = client
        .post(format!("{base}/v1/test-clock/advance"))
        .bearer_auth(&token)
        .json(&json!({"to": "2027-02-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    assert_eq!(outbox(&db.url, "renewal_past_due").await, ["sent"]);
    server.kill().unwrap();
    server.wait().unwrap();
}

both_backends!(
    a_test_clock_advance_sends_the_emails_its_work_queued_before_it_answers,
    a_server_killed_between_the_charge_and_the_purchase_settles_the_payment_after_a_restart,
    a_server_killed_between_a_renewal_charge_and_its_order_renews_once_after_a_restart,
);
