//! Entitlements: pools whose seats give benefits (a note, a license key), seats claimed at once,
//! the key a member holds, and a portal session of a member.

use serde_json::{Value, json};

use super::{
    TestApp, TestOrg, json,
    seats::{assign_body, pay_for},
};

/// A product whose seats give a license key with `properties`, bought with `seats` seats
/// (`interval` none: a one-time order).
pub async fn keyed_pool(
    app: &TestApp,
    org: &TestOrg,
    properties: Value,
    seats: u32,
    interval: Option<&str>,
) -> Value {
    let benefit =
        json!({"type": "license_keys", "description": "Desktop app", "properties": properties});
    let (status, benefit) = json(app.post_as(&org.token, "/v1/benefits", &benefit).await).await;
    assert_eq!(status, 201, "{benefit}");
    let product = json!({
        "name": "Team plan",
        "recurring_interval": interval,
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (_, product) = json(app.post_as(&org.token, "/v1/products", &product).await).await;
    let path = format!("/v1/products/{}/benefits", product["id"].as_str().unwrap());
    let (status, _) = json(
        app.post_as(&org.token, &path, &json!({"benefits": [benefit["id"]]}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    pay_for(app, org, &product, seats).await
}

/// Assigns a seat to `email`, claimed at once; the seat.
pub async fn claimed_seat(app: &TestApp, org: &TestOrg, paid: &Value, email: &str) -> Value {
    let mut body = assign_body(paid, email);
    body["immediate_claim"] = json!(true);
    let (status, seat) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    assert_eq!(status, 200, "{seat}");
    seat
}

/// The license key a member holds (through the merchant's list).
pub async fn key_of(app: &TestApp, org: &TestOrg, seat: &Value) -> Value {
    let (status, list) = json(app.get_as(&org.token, "/v1/license-keys?limit=100").await).await;
    assert_eq!(status, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["member_id"] == seat["member_id"] && k["status"] != "revoked")
        .cloned()
        .unwrap_or_else(|| panic!("no key for {seat} in {list}"))
}

/// A monthly pool whose product gives a note and a license key; (paid checkout, note benefit id,
/// key benefit id).
pub async fn pool_with_two_benefits(app: &TestApp, org: &TestOrg) -> (Value, String, String) {
    let note = json!({"type": "custom", "description": "Onboarding", "properties": {"note": "Hi"}});
    let (_, note) = json(app.post_as(&org.token, "/v1/benefits", &note).await).await;
    let keys = json!({"type": "license_keys", "description": "Key", "properties": {}});
    let (_, keys) = json(app.post_as(&org.token, "/v1/benefits", &keys).await).await;
    let product = json!({
        "name": "Team plan",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (_, product) = json(app.post_as(&org.token, "/v1/products", &product).await).await;
    let path = format!("/v1/products/{}/benefits", product["id"].as_str().unwrap());
    let (status, _) = json(
        app.post_as(
            &org.token,
            &path,
            &json!({"benefits": [note["id"], keys["id"]]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let paid = pay_for(app, org, &product, 3).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    (paid, id(&note), id(&keys))
}

/// A portal session of `member` of `customer` (`Value::Null`: its owner); the session's token.
pub async fn session_of(app: &TestApp, org: &TestOrg, customer: &Value, member: &Value) -> String {
    let body = json!({"customer_id": customer, "member_id": member});
    let (status, session) = json(
        app.post_as(&org.token, "/v1/customer-sessions", &body)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{session}");
    session["token"].as_str().unwrap().to_owned()
}
