//! `Idempotency-Key` on the API's `POST`s: a retry answers the first response without doing the work
//! again (also when the retries arrive all at once), a key reused for another request is a 422, keys
//! belong to one caller, stored answers carrying secrets are sealed, and keys expire after 24 hours.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::seats::{assign_body, buy, seats},
    helpers::*,
};

async fn post_with_key(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    key: &str,
    body: &Value,
) -> (u16, Option<String>, String) {
    let mut request = app
        .client
        .post(app.url(path))
        .header("idempotency-key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, replayed, response.text().await.unwrap())
}

async fn a_retried_assign_answers_the_first_seat_and_assigns_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    let body = assign_body(&paid, "jane@example.com");
    let (status, replayed, first) = post_with_key(
        &app,
        Some(&org.token),
        "/v1/customer-seats",
        "assign-jane-1",
        &body,
    )
    .await;
    assert_eq!((status, replayed), (200, None), "{first}");
    let (status, replayed, again) = post_with_key(
        &app,
        Some(&org.token),
        "/v1/customer-seats",
        "assign-jane-1",
        &body,
    )
    .await;
    assert_eq!((status, replayed.as_deref()), (200, Some("true")));
    assert_eq!(again, first, "the same answer, byte for byte");
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Without a key, the same request is a new one (and here a refusal).
    let plain = app.post_as(&org.token, "/v1/customer-seats", &body).await;
    assert_error(plain, 400, "SeatAlreadyAssigned").await;
}

async fn parallel_retries_of_one_assign_get_identical_answers_and_one_seat(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    let body = assign_body(&paid, "jane@example.com");
    let retries: Vec<_> = (0..8)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/v1/customer-seats");
            let token = org.token.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .header("idempotency-key", "one-assign")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for retry in retries {
        answers.push(retry.await.unwrap());
    }
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|(_, body)| *body == answers[0].1),
        "identical answers"
    );
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn a_key_reused_for_another_request_is_a_422_and_keys_belong_to_one_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    let (status, _, _) = post_with_key(
        &app,
        Some(&org.token),
        "/v1/customer-seats",
        "k",
        &assign_body(&paid, "a@example.com"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, body) = post_with_key(
        &app,
        Some(&org.token),
        "/v1/customer-seats",
        "k",
        &assign_body(&paid, "b@example.com"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["detail"][0]["type"], "idempotency_key_reused");
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["header", "Idempotency-Key"])
    );

    // Another token's "k" is another key.
    let other = app.token_with(&org, "customer_seats:write").await;
    let (status, replayed, _) = post_with_key(
        &app,
        Some(&other),
        "/v1/customer-seats",
        "k",
        &assign_body(&paid, "b@example.com"),
    )
    .await;
    assert_eq!((status, replayed), (200, None));
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let (status, _, _) = post_with_key(
        &app,
        Some(&org.token),
        "/v1/customer-seats",
        &"x".repeat(256),
        &assign_body(&paid, "c@example.com"),
    )
    .await;
    assert_eq!(status, 422, "a key is at most 255 characters");
}

async fn a_replayed_confirmation_returns_its_session_which_is_not_stored_in_the_clear(
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
    let path = format!("{}/confirm", client_path(&open));
    let body = json!({"confirmation_token_id": "tok_visa"});
    let (status, _, first) = post_with_key(&app, None, &path, "pay-once", &body).await;
    assert_eq!(status, 200, "{first}");
    let (status, replayed, again) = post_with_key(&app, None, &path, "pay-once", &body).await;
    assert_eq!((status, replayed.as_deref()), (200, Some("true")));
    assert_eq!(again, first);
    let token: Value = serde_json::from_str(&first).unwrap();
    let token = token["customer_session_token"].as_str().unwrap().to_owned();

    let stored: Vec<Vec<u8>> = match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
            sqlx::query_scalar("SELECT response FROM idempotency_keys")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
            sqlx::query_scalar("SELECT response FROM idempotency_keys")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0]
            .windows(token.len())
            .any(|w| w == token.as_bytes()),
        "the session token is sealed"
    );
}

async fn a_key_expires_after_24_hours(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    let (status, _, _) = post_with_key(
        &app,
        Some(&org.token),
        "/v1/customer-seats",
        "daily",
        &assign_body(&paid, "a@example.com"),
    )
    .await;
    assert_eq!(status, 200);
    app.advance_clock(&json!({"seconds": 25 * 3600})).await;
    let (status, replayed, _) = post_with_key(
        &app,
        Some(&org.token),
        "/v1/customer-seats",
        "daily",
        &assign_body(&paid, "b@example.com"),
    )
    .await;
    assert_eq!(
        (status, replayed),
        (200, None),
        "a day later the key is free again"
    );
}

both_backends!(
    a_retried_assign_answers_the_first_seat_and_assigns_once,
    parallel_retries_of_one_assign_get_identical_answers_and_one_seat,
    a_key_reused_for_another_request_is_a_422_and_keys_belong_to_one_caller,
    a_replayed_confirmation_returns_its_session_which_is_not_stored_in_the_clear,
    a_key_expires_after_24_hours,
);
