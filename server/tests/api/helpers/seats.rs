//! Buying a seat pool and using it through the merchant API, as the seat tests share it.

use serde_json::{Value, json};

use super::{TestApp, TestOrg, json};

/// Buys `seats` seats (a monthly subscription, or a one-time order) and returns the paid checkout.
pub async fn buy(app: &TestApp, org: &TestOrg, seats: u32, interval: Option<&str>) -> Value {
    let product = json!({
        "name": "Team plan",
        "recurring_interval": interval,
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (_, product) = json(app.post_as(&org.token, "/v1/products", &product).await).await;
    pay_for(app, org, &product, seats).await
}

/// Checks out `seats` seats of `product` for billing@globex.example, pays, returns the paid checkout.
pub async fn pay_for(app: &TestApp, org: &TestOrg, product: &Value, seats: u32) -> Value {
    let body = json!({"products": [product["id"]], "seats": seats, "customer_email": "billing@globex.example"});
    let (_, checkout) = json(app.post_as(&org.token, "/v1/checkouts", &body).await).await;
    let confirm = format!(
        "/v1/checkouts/client/{}/confirm",
        checkout["client_secret"].as_str().unwrap()
    );
    let (status, _) = json(
        app.post_json(&confirm, &json!({"confirmation_token_id": "tok_visa"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, paid) = json(
        app.get(&format!(
            "/v1/checkouts/client/{}",
            checkout["client_secret"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    paid
}

pub fn pool_query(paid: &Value) -> String {
    match paid["subscription_id"].as_str() {
        Some(id) => format!("subscription_id={id}"),
        None => format!("order_id={}", paid["order_id"].as_str().unwrap()),
    }
}

pub fn assign_body(paid: &Value, email: &str) -> Value {
    match paid["subscription_id"].as_str() {
        Some(id) => json!({"subscription_id": id, "email": email}),
        None => json!({"order_id": paid["order_id"], "email": email}),
    }
}

/// Assigns a seat of `paid`'s pool to `email` through the merchant API; the seat.
pub async fn assign(app: &TestApp, org: &TestOrg, paid: &Value, email: &str) -> Value {
    let (status, seat) = json(
        app.post_as(&org.token, "/v1/customer-seats", &assign_body(paid, email))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");
    seat
}

pub async fn seats(app: &TestApp, org: &TestOrg, paid: &Value) -> Value {
    let (status, list) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customer-seats?{}", pool_query(paid)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list
}

/// The claim token of the newest invitation email sent to `email` (from the outbox).
pub async fn invitation_token(app: &TestApp, email: &str) -> String {
    let emails = app.store().recent_emails(500).await.unwrap();
    let mail = emails
        .iter()
        .find(|m| m.to == email)
        .unwrap_or_else(|| panic!("no email to {email}"));
    let start = mail.text_body.find("token=").expect("a claim link") + "token=".len();
    mail.text_body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Path of a seat.
pub fn seat_path(seat: &Value) -> String {
    format!("/v1/customer-seats/{}", seat["id"].as_str().unwrap())
}
