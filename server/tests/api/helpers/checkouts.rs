//! Buying through the API: a seat-based product, a checkout of it, its public confirmation, and
//! counting what a list holds.

use serde_json::{Value, json};

use super::{TestApp, TestOrg, json};

/// Tiers 1–10 @ $10, 11+ @ $8 (volume).
pub async fn product(app: &TestApp, org: &TestOrg, interval: Option<&str>) -> Value {
    let body = json!({
        "name": "Team plan",
        "recurring_interval": interval,
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [
            {"min_seats": 1, "max_seats": 10, "price_per_seat": 1000},
            {"min_seats": 11, "price_per_seat": 800}
        ]}}]
    });
    let (status, product) = json(app.post_as(&org.token, "/v1/products", &body).await).await;
    assert_eq!(status, 201, "{product}");
    product
}

pub async fn checkout(app: &TestApp, org: &TestOrg, product: &Value, extra: Value) -> Value {
    let mut body = json!({"products": [product["id"]]});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, checkout) = json(app.post_as(&org.token, "/v1/checkouts", &body).await).await;
    assert_eq!(status, 201, "{checkout}");
    checkout
}

pub fn client_path(checkout: &Value) -> String {
    format!(
        "/v1/checkouts/client/{}",
        checkout["client_secret"].as_str().unwrap()
    )
}

pub async fn confirm(app: &TestApp, checkout: &Value, body: Value) -> reqwest::Response {
    app.post_json(&format!("{}/confirm", client_path(checkout)), &body)
        .await
}

pub async fn count(app: &TestApp, org: &TestOrg, path: &str) -> u64 {
    let (_, list) = json(app.get_as(&org.token, path).await).await;
    list["pagination"]["total_count"].as_u64().unwrap()
}
