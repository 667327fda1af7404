//! Products and benefits through the REST API, with their outbox events.

use serde_json::{Value, json};

use crate::{both_backends, helpers::*};

fn seat_product(name: &str, interval: Option<&str>) -> Value {
    json!({
        "name": name,
        "recurring_interval": interval,
        "prices": [{
            "amount_type": "seat_based",
            "price_currency": "usd",
            "seat_tiers": {"seat_tier_type": "volume", "tiers": [
                {"min_seats": 1, "max_seats": 10, "price_per_seat": 1000},
                {"min_seats": 11, "price_per_seat": 800}
            ]}
        }]
    })
}

async fn create_product(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, product) = json(app.post_as(token, "/v1/products", body).await).await;
    assert_eq!(status, 201, "{product}");
    product
}

async fn create_benefit(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, benefit) = json(app.post_as(token, "/v1/benefits", body).await).await;
    assert_eq!(status, 201, "{benefit}");
    benefit
}

async fn event_types(app: &TestApp, org: &TestOrg) -> Vec<String> {
    app.store()
        .events(org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn a_recurring_seat_product_is_created_in_polar_shape_with_its_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = create_product(&app, &org.token, &seat_product("Team plan", Some("month"))).await;
    assert_eq!(product["name"], "Team plan");
    assert_eq!(product["is_recurring"], true);
    assert_eq!(product["recurring_interval"], "month");
    assert_eq!(product["organization_id"], org.id.to_string());
    let price = &product["prices"][0];
    assert_eq!(price["amount_type"], "seat_based");
    assert_eq!(price["price_currency"], "usd");
    assert_eq!(price["product_id"], product["id"]);
    assert_eq!(price["seat_tiers"]["minimum_seats"], 1);
    assert!(price["seat_tiers"]["maximum_seats"].is_null());
    assert_eq!(price["seat_tiers"]["tiers"][1]["price_per_seat"], 800);
    for field in [
        "benefits",
        "medias",
        "attached_custom_fields",
        "metadata",
        "visibility",
        "is_archived",
    ] {
        assert!(product.get(field).is_some(), "{field} missing");
    }
    let events = app.store().events(org.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "product.created");
    let payload: Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(payload, product);
    let (status, fetched) = json(
        app.get_as(
            &org.token,
            &format!("/v1/products/{}", product["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fetched, product);
}

async fn a_one_time_product_may_add_a_fixed_price(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let mut body = seat_product("Lifetime", None);
    body["prices"]
        .as_array_mut()
        .unwrap()
        .push(json!({"amount_type": "fixed", "price_amount": 5000}));
    let product = create_product(&app, &org.token, &body).await;
    assert_eq!(product["is_recurring"], false);
    assert!(product["recurring_interval"].is_null());
    let prices = product["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 2);
    assert_eq!(prices[1]["amount_type"], "fixed");
    assert_eq!(prices[1]["price_amount"], 5000);
}

async fn a_gap_in_the_tiers_is_a_422_naming_it_and_nothing_is_created(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let mut body = seat_product("Broken", Some("month"));
    body["prices"][0]["seat_tiers"]["tiers"][1]["min_seats"] = json!(13);
    let response = app.post_as(&org.token, "/v1/products", &body).await;
    let error = assert_error(response, 422, "RequestValidationError").await;
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "prices", 0, "seat_tiers", "tiers"])
    );
    assert!(
        error["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("seats 11 to 12 are not covered"),
        "{error}"
    );
    let (_, list) = json(app.get_as(&org.token, "/v1/products").await).await;
    assert_eq!(list["pagination"]["total_count"], 0);
    assert!(event_types(&app, &org).await.is_empty());
}

async fn prices_that_sell_no_seats_or_mix_currencies_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let fixed_only =
        json!({"name": "x", "prices": [{"amount_type": "fixed", "price_amount": 100}]});
    let error = assert_error(
        app.post_as(&org.token, "/v1/products", &fixed_only).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert!(
        error["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("exactly one seat-based price")
    );
    let mut mixed = seat_product("x", None);
    mixed["prices"]
        .as_array_mut()
        .unwrap()
        .push(json!({"amount_type": "fixed", "price_amount": 5, "price_currency": "eur"}));
    let error = assert_error(
        app.post_as(&org.token, "/v1/products", &mixed).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "prices", 1, "price_currency"])
    );
}

async fn an_unknown_amount_type_or_interval_is_a_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let custom = json!({"name": "x", "prices": [{"amount_type": "custom"}]});
    assert_error(
        app.post_as(&org.token, "/v1/products", &custom).await,
        422,
        "RequestValidationError",
    )
    .await;
    let weekly = seat_product("x", Some("week"));
    let error = assert_error(
        app.post_as(&org.token, "/v1/products", &weekly).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "recurring_interval"])
    );
    let blank = seat_product("   ", Some("month"));
    let error = assert_error(
        app.post_as(&org.token, "/v1/products", &blank).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "name"]));
}

async fn a_read_only_token_cannot_create_products(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let token = app.token_with(&org, "products:read").await;
    assert_error(
        app.post_as(&token, "/v1/products", &seat_product("x", None))
            .await,
        403,
        "NotPermitted",
    )
    .await;
    assert_eq!(app.get_as(&token, "/v1/products").await.status(), 200);
}

async fn another_organizations_product_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let mine = app.create_org("mine").await;
    let theirs = app.create_org("theirs").await;
    let product = create_product(&app, &theirs.token, &seat_product("Theirs", None)).await;
    let path = format!("/v1/products/{}", product["id"].as_str().unwrap());
    assert_error(
        app.get_as(&mine.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, list) = json(app.get_as(&mine.token, "/v1/products").await).await;
    assert_eq!(list["pagination"]["total_count"], 0);
}

async fn products_are_listed_oldest_first_with_filters_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    for (name, interval) in [
        ("Alpha monthly", Some("month")),
        ("Beta lifetime", None),
        ("Gamma yearly", Some("year")),
    ] {
        create_product(&app, &org.token, &seat_product(name, interval)).await;
    }
    let names = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, all) = json(app.get_as(&org.token, "/v1/products").await).await;
    assert_eq!(
        names(&all),
        ["Alpha monthly", "Beta lifetime", "Gamma yearly"]
    );
    let (_, recurring) = json(
        app.get_as(&org.token, "/v1/products?is_recurring=true")
            .await,
    )
    .await;
    assert_eq!(names(&recurring), ["Alpha monthly", "Gamma yearly"]);
    assert_eq!(
        recurring["items"][1]["prices"][0]["amount_type"],
        "seat_based"
    );
    let (_, found) = json(app.get_as(&org.token, "/v1/products?query=LIFE").await).await;
    assert_eq!(names(&found), ["Beta lifetime"]);
    let (_, page) = json(app.get_as(&org.token, "/v1/products?limit=2&page=2").await).await;
    assert_eq!(names(&page), ["Gamma yearly"]);
    assert_eq!(page["pagination"], json!({"total_count": 3, "max_page": 2}));
    let (_, none) = json(app.get_as(&org.token, "/v1/products?query=%25").await).await;
    assert_eq!(
        none["pagination"]["total_count"], 0,
        "a % in the query is literal"
    );
}

async fn updating_prices_replaces_them_and_archiving_hides_the_product(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = create_product(&app, &org.token, &seat_product("Team", Some("month"))).await;
    let path = format!("/v1/products/{}", product["id"].as_str().unwrap());
    let new_prices = json!({"name": "Team v2", "prices": [{"amount_type": "seat_based", "seat_tiers": {
        "seat_tier_type": "graduated", "tiers": [{"min_seats": 2, "max_seats": 50, "price_per_seat": 1200}]}}]});
    let (status, updated) = json(app.patch_as(&org.token, &path, &new_prices).await).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Team v2");
    assert_eq!(updated["prices"].as_array().unwrap().len(), 1);
    assert_ne!(updated["prices"][0]["id"], product["prices"][0]["id"]);
    assert_eq!(
        updated["prices"][0]["seat_tiers"]["seat_tier_type"],
        "graduated"
    );
    assert_eq!(updated["prices"][0]["seat_tiers"]["maximum_seats"], 50);
    let (_, fetched) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(fetched["prices"], updated["prices"]);

    let (_, archived) = json(
        app.patch_as(&org.token, &path, &json!({"is_archived": true}))
            .await,
    )
    .await;
    assert_eq!(archived["is_archived"], true);
    let (_, live) = json(
        app.get_as(&org.token, "/v1/products?is_archived=false")
            .await,
    )
    .await;
    assert_eq!(live["pagination"]["total_count"], 0);
    assert_eq!(
        event_types(&app, &org).await,
        ["product.created", "product.updated", "product.updated"]
    );
}

async fn benefits_are_attached_in_order_and_deleted_ones_leave_the_product(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let note = create_benefit(&app, &org.token, &json!({"type": "custom", "description": "Onboarding call", "properties": {"note": "Book at cal.example"}})).await;
    let keys = create_benefit(&app, &org.token, &json!({"type": "license_keys", "description": "License key", "properties": {"prefix": "ACME"}})).await;
    let product = create_product(&app, &org.token, &seat_product("Team", Some("month"))).await;
    let path = format!("/v1/products/{}/benefits", product["id"].as_str().unwrap());
    let (status, with) = json(
        app.post_as(
            &org.token,
            &path,
            &json!({"benefits": [keys["id"], note["id"]]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{with}");
    let ids: Vec<&Value> = with["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["id"])
        .collect();
    assert_eq!(ids, [&keys["id"], &note["id"]]);
    assert_eq!(with["benefits"][0]["properties"]["prefix"], "ACME");

    let unknown = json!({"benefits": [uuid::Uuid::now_v7()]});
    let error = assert_error(
        app.post_as(&org.token, &path, &unknown).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "benefits", 0]));
    let twice = json!({"benefits": [note["id"], note["id"]]});
    assert_error(
        app.post_as(&org.token, &path, &twice).await,
        422,
        "RequestValidationError",
    )
    .await;

    let response = app
        .client
        .delete(app.url(&format!("/v1/benefits/{}", note["id"].as_str().unwrap())))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (_, after) = json(
        app.get_as(
            &org.token,
            &format!("/v1/products/{}", product["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(after["benefits"].as_array().unwrap().len(), 1);
    assert_eq!(after["benefits"][0]["id"], keys["id"]);
}

async fn benefits_are_created_listed_by_type_updated_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let note = create_benefit(
        &app,
        &org.token,
        &json!({"type": "custom", "description": "Welcome note", "properties": {"note": "Hello"}}),
    )
    .await;
    assert_eq!(note["type"], "custom");
    assert_eq!(note["properties"]["note"], "Hello");
    for field in [
        "selectable",
        "deletable",
        "is_deleted",
        "organization_id",
        "metadata",
        "visibility",
        "visibility_configurable",
    ] {
        assert!(note.get(field).is_some(), "{field} missing");
    }
    create_benefit(
        &app,
        &org.token,
        &json!({"type": "license_keys", "description": "Key", "properties": {}}),
    )
    .await;
    let (_, customs) = json(app.get_as(&org.token, "/v1/benefits?type=custom").await).await;
    assert_eq!(customs["pagination"]["total_count"], 1);
    let (_, all) = json(app.get_as(&org.token, "/v1/benefits").await).await;
    assert_eq!(all["pagination"]["total_count"], 2);

    let path = format!("/v1/benefits/{}", note["id"].as_str().unwrap());
    let (status, updated) = json(
        app.patch_as(
            &org.token,
            &path,
            &json!({"type": "custom", "properties": {"note": "Hi again"}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["properties"]["note"], "Hi again");
    let wrong = json!({"type": "license_keys", "description": "Nope"});
    assert_error(
        app.patch_as(&org.token, &path, &wrong).await,
        422,
        "RequestValidationError",
    )
    .await;

    assert_eq!(
        app.client
            .delete(app.url(&path))
            .bearer_auth(&org.token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_error(app.get_as(&org.token, &path).await, 404, "ResourceNotFound").await;
    assert_error(
        app.client
            .delete(app.url(&path))
            .bearer_auth(&org.token)
            .send()
            .await
            .unwrap(),
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, all) = json(app.get_as(&org.token, "/v1/benefits").await).await;
    assert_eq!(all["pagination"]["total_count"], 1);
    assert_eq!(
        event_types(&app, &org).await,
        [
            "benefit.created",
            "benefit.created",
            "benefit.updated",
            "benefit.updated"
        ]
    );
}

async fn a_benefit_description_must_be_3_to_42_characters(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let short = json!({"type": "custom", "description": "ab", "properties": {}});
    let error = assert_error(
        app.post_as(&org.token, "/v1/benefits", &short).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "description"]));
    let bad_prefix = json!({"type": "license_keys", "description": "Keys", "properties": {"prefix": "has space"}});
    assert_error(
        app.post_as(&org.token, "/v1/benefits", &bad_prefix).await,
        422,
        "RequestValidationError",
    )
    .await;
    let unknown_type = json!({"type": "discord", "description": "Chat", "properties": {}});
    assert_error(
        app.post_as(&org.token, "/v1/benefits", &unknown_type).await,
        422,
        "RequestValidationError",
    )
    .await;
}

both_backends!(
    a_recurring_seat_product_is_created_in_polar_shape_with_its_event,
    a_one_time_product_may_add_a_fixed_price,
    a_gap_in_the_tiers_is_a_422_naming_it_and_nothing_is_created,
    prices_that_sell_no_seats_or_mix_currencies_are_refused,
    an_unknown_amount_type_or_interval_is_a_422,
    a_read_only_token_cannot_create_products,
    another_organizations_product_is_not_found,
    products_are_listed_oldest_first_with_filters_and_pages,
    updating_prices_replaces_them_and_archiving_hides_the_product,
    benefits_are_attached_in_order_and_deleted_ones_leave_the_product,
    benefits_are_created_listed_by_type_updated_and_deleted,
    a_benefit_description_must_be_3_to_42_characters,
);
