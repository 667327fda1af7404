//! What the merchant's app and the seat holder ask once a seat is claimed, beyond the keys
//! themselves: the grants of one benefit, and who a portal session signs in.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{seats::*, *},
};

both_backends!(
    the_grants_of_one_benefit_filter_by_member_customer_and_state,
    a_session_says_when_it_ends_and_who_it_signs_in,
);

/// A monthly pool whose product gives a note and a license key; (paid checkout, note benefit id,
/// key benefit id).
async fn pool_with_two_benefits(app: &TestApp, org: &TestOrg) -> (Value, String, String) {
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

async fn claimed(app: &TestApp, org: &TestOrg, paid: &Value, email: &str) -> Value {
    let mut body = assign_body(paid, email);
    body["immediate_claim"] = json!(true);
    let (status, seat) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    assert_eq!(status, 200, "{seat}");
    seat
}

async fn grants_of(app: &TestApp, token: &str, benefit: &str, query: &str) -> (u16, Value) {
    json(
        app.get_as(token, &format!("/v1/benefits/{benefit}/grants?{query}"))
            .await,
    )
    .await
}

async fn the_grants_of_one_benefit_filter_by_member_customer_and_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (paid, note, keys) = pool_with_two_benefits(&app, &org).await;
    let jane = claimed(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed(&app, &org, &paid, "john@globex.example").await;

    let (status, all) = grants_of(&app, &org.token, &keys, "").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["pagination"]["total_count"], 2);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["benefit_id"] == keys.as_str())
    );
    assert_eq!(
        all["items"][0]["member_id"], john["member_id"],
        "newest first"
    );

    let member = jane["member_id"].as_str().unwrap();
    let (_, janes) = grants_of(&app, &org.token, &note, &format!("member_id={member}")).await;
    assert_eq!(janes["pagination"]["total_count"], 1);
    assert_eq!(janes["items"][0]["properties"]["note"], "Hi");

    let customer = paid["customer_id"].as_str().unwrap();
    let (_, team) = grants_of(&app, &org.token, &keys, &format!("customer_id={customer}")).await;
    assert_eq!(team["pagination"]["total_count"], 2);

    let response = app.delete_as(&org.token, &seat_path(&jane)).await;
    assert_eq!(response.status().as_u16(), 200);
    let (_, live) = grants_of(&app, &org.token, &keys, "is_granted=true").await;
    assert_eq!(live["pagination"]["total_count"], 1);
    assert_eq!(live["items"][0]["member_id"], john["member_id"]);
    let (_, revoked) = grants_of(&app, &org.token, &keys, "is_granted=false").await;
    assert_eq!(revoked["items"][0]["member_id"], jane["member_id"]);

    assert_error(
        app.get_as(
            &org.token,
            &format!("/v1/benefits/{}/grants", uuid::Uuid::now_v7()),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    let other = app.create_org("globex").await;
    assert_error(
        app.get_as(&other.token, &format!("/v1/benefits/{keys}/grants"))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (status, body) = grants_of(&app, &org.token, &keys, "sorting=-created_at").await;
    assert_eq!(status, 422, "an unknown filter is refused: {body}");
}

async fn a_session_says_when_it_ends_and_who_it_signs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (paid, _, _) = pool_with_two_benefits(&app, &org).await;
    let jane = claimed(&app, &org, &paid, "jane@globex.example").await;
    let open = |body: Value| {
        let (app, org) = (&app, &org);
        async move {
            let (status, session) = json(
                app.post_as(&org.token, "/v1/customer-sessions", &body)
                    .await,
            )
            .await;
            assert_eq!(status, 201, "{session}");
            session
        }
    };
    let owner =
        open(json!({"customer_id": paid["customer_id"], "return_url": "https://app.example/back"}))
            .await;
    let token = owner["token"].as_str().unwrap();
    let (status, terms) = json(
        app.get_as(token, "/v1/customer-portal/customer-session/introspect")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{terms}");
    assert_eq!(terms["expires_at"], owner["expires_at"]);
    assert_eq!(terms["return_url"], "https://app.example/back");
    let (_, user) = json(
        app.get_as(token, "/v1/customer-portal/customer-session/user")
            .await,
    )
    .await;
    assert_eq!(user["type"], "member");
    assert_eq!(user["role"], "owner");
    assert_eq!(user["email"], "billing@globex.example");
    assert_eq!(user["customer_id"], paid["customer_id"]);

    let member =
        open(json!({"customer_id": paid["customer_id"], "member_id": jane["member_id"]})).await;
    let (_, user) = json(
        app.get_as(
            member["token"].as_str().unwrap(),
            "/v1/customer-portal/customer-session/user",
        )
        .await,
    )
    .await;
    assert_eq!(user["role"], "member");
    assert_eq!(user["member_id"], jane["member_id"]);
    assert_eq!(user["email"], "jane@globex.example");

    for path in [
        "/v1/customer-portal/customer-session/introspect",
        "/v1/customer-portal/customer-session/user",
    ] {
        assert_error(
            app.get_as("skp_cst_unknown", path).await,
            401,
            "Unauthorized",
        )
        .await;
        assert_error(app.get_as(&org.token, path).await, 401, "Unauthorized").await;
    }
}
