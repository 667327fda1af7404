//! Server-rendered pages and the server function behind the home page.

use serde_json::json;

use crate::{both_backends, helpers::*};

async fn the_home_page_is_rendered_on_the_server_with_the_live_status(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_org("acme").await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("Seatkeeper"), "{html}");
    let database = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    assert!(html.contains(&format!("{database} — reachable")), "{html}");
    assert!(
        html.contains("/pkg/seatkeeper.js"),
        "hydration script missing: {html}"
    );
}

async fn the_status_server_function_answers_json(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_org("acme").await;
    app.create_org("globex").await;
    let response = app
        .client
        .post(app.url("/api/system_status"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["database_reachable"], true);
    assert_eq!(body["organizations"], 2);
    assert!(body["demo"].is_null());
}

async fn a_server_function_answers_a_users_mistake_with_its_4xx_status_not_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = json!({
        "name": "Team plan", "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (_, product) = json(app.post_as(&org.token, "/v1/products", &product).await).await;
    let (_, checkout) = json(
        app.post_as(
            &org.token,
            "/v1/checkouts",
            &json!({"products": [product["id"]], "seats": 2}),
        )
        .await,
    )
    .await;
    let secret = checkout["client_secret"].as_str().unwrap();
    let pay = |email: &str, token: &str| {
        let form = [
            ("client_secret", secret),
            ("seats", "2"),
            ("email", email),
            ("token", token),
        ];
        app.client
            .post(app.url("/api/checkout_pay"))
            .form(&form)
            .send()
    };
    let (status, body) = json(
        pay("buyer@globex.example", "tok_chargeDeclined")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("PaymentError")),
        "{body}"
    );
    let (status, body) = json(pay("not an email", "tok_visa").await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("RequestValidationError")),
        "{body}"
    );
    let (status, body) = json(pay("buyer@globex.example", "tok_visa").await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
}

async fn a_page_keeps_its_own_status_when_its_server_side_data_is_an_error(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_org("acme").await;
    for _ in 0..5 {
        let response = app.get("/acme/portal/claim?token=skp_inv_dead").await;
        assert_eq!(
            response.status(),
            200,
            "the dead-link page is a page, not a failed request"
        );
    }
}

async fn an_unknown_page_is_a_404_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

both_backends!(
    the_home_page_is_rendered_on_the_server_with_the_live_status,
    the_status_server_function_answers_json,
    a_server_function_answers_a_users_mistake_with_its_4xx_status_not_500,
    a_page_keeps_its_own_status_when_its_server_side_data_is_an_error,
    an_unknown_page_is_a_404_page,
);
