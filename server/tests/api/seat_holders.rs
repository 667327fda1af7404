//! Every way `SeatAssign` names a seat holder (email, external member id alone or with an email,
//! member id, customer id, external customer id) and pool (subscription, order, checkout), with
//! their errors; metadata; one active seat per member and pool; reading one seat; the list's
//! `status` filter.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::seats::{assign_body, buy, pool_query, seat_path, seats},
    helpers::*,
};

const SEATS: &str = "/v1/customer-seats";

/// The pool of `paid` (its subscription or order) with the holder fields of `holder`.
fn pool_with(paid: &Value, holder: Value) -> Value {
    let mut body = match paid["subscription_id"].as_str() {
        Some(id) => json!({"subscription_id": id}),
        None => json!({"order_id": paid["order_id"]}),
    };
    body.as_object_mut()
        .unwrap()
        .extend(holder.as_object().unwrap().clone());
    body
}

async fn assign(app: &TestApp, org: &TestOrg, body: &Value) -> reqwest::Response {
    app.post_as(&org.token, SEATS, body).await
}

/// Assigns and expects a 200; returns the seat.
async fn assigned(app: &TestApp, org: &TestOrg, body: &Value) -> Value {
    let (status, seat) = json(assign(app, org, body).await).await;
    assert_eq!(status, 200, "assigning {body}: {seat}");
    seat
}

async fn count_events(app: &TestApp, org: &TestOrg, kind: &str) -> usize {
    app.store()
        .events(org.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .count()
}

/// An open (unpaid) checkout of a new seat-based product.
async fn open_checkout(app: &TestApp, org: &TestOrg, interval: Option<&str>) -> Value {
    let product = json!({
        "name": "Team plan",
        "recurring_interval": interval,
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (status, product) = json(app.post_as(&org.token, "/v1/products", &product).await).await;
    assert_eq!(status, 201, "{product}");
    let body = json!({"products": [product["id"]], "seats": 2, "customer_email": "billing@globex.example"});
    let (status, checkout) = json(app.post_as(&org.token, "/v1/checkouts", &body).await).await;
    assert_eq!(status, 201, "{checkout}");
    checkout
}

async fn an_email_creates_a_new_member_and_an_existing_members_email_reuses_that_member(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let members_before = count_events(&app, &org, "member.created").await;

    let jane = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"email": "Jane@Globex.example"})),
    )
    .await;
    assert_eq!(jane["member"]["role"], "member");
    assert_eq!(jane["member"]["email"], "jane@globex.example");
    assert_eq!(jane["member"]["customer_id"], paid["customer_id"]);
    assert_eq!(jane["member_id"], jane["member"]["id"]);
    assert_eq!(
        count_events(&app, &org, "member.created").await,
        members_before + 1
    );

    let bob = create_member(
        &app,
        &org,
        &paid["customer_id"],
        json!({"email": "bob@globex.example", "name": "Bob"}),
    )
    .await;
    let members_before = count_events(&app, &org, "member.created").await;
    let seat = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"email": "BOB@globex.example"})),
    )
    .await;
    assert_eq!(
        seat["member_id"], bob["id"],
        "the existing member is reused"
    );
    assert_eq!(seat["member"]["name"], "Bob");
    assert_eq!(seat["email"], "bob@globex.example");
    assert_eq!(
        count_events(&app, &org, "member.created").await,
        members_before,
        "no second member.created"
    );

    // The billing customer's owner may hold a seat too, as themselves.
    let owner = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"email": "billing@globex.example"})),
    )
    .await;
    assert_eq!(owner["member"]["role"], "owner");
    assert_eq!(
        count_events(&app, &org, "member.created").await,
        members_before
    );
    assert_eq!(
        members_of(&app, &org, &paid["customer_id"]).await.len(),
        3,
        "owner, jane, bob"
    );
}

async fn an_external_member_id_alone_finds_an_existing_member_of_the_billing_customer(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let bob = create_member(
        &app,
        &org,
        &paid["customer_id"],
        json!({"email": "bob@globex.example", "external_id": "u_bob"}),
    )
    .await;
    let seat = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"external_member_id": "u_bob"})),
    )
    .await;
    assert_eq!(seat["member_id"], bob["id"]);
    assert_eq!(seat["email"], "bob@globex.example");
    assert_eq!(seat["member"]["external_id"], "u_bob");

    let unknown = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"external_member_id": "u_nobody"})),
    )
    .await;
    assert_error(unknown, 404, "MemberNotFound").await;
    // External member ids are per customer: another customer's member is not found either.
    let other = create_customer(&app, &org, json!({"email": "other@initech.example"})).await;
    create_member(
        &app,
        &org,
        &other["id"],
        json!({"email": "carl@initech.example", "external_id": "u_carl"}),
    )
    .await;
    let theirs = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"external_member_id": "u_carl"})),
    )
    .await;
    assert_error(theirs, 404, "MemberNotFound").await;
    let blank = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"external_member_id": "  "})),
    )
    .await;
    assert_validation(blank, json!(["body", "external_member_id"]), "value_error").await;
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn an_external_member_id_with_an_email_creates_the_member_and_refuses_a_different_email(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let first = buy(&app, &org, 3, Some("month")).await;
    let second = buy(&app, &org, 3, Some("month")).await;
    assert_eq!(
        first["customer_id"], second["customer_id"],
        "one billing customer, two pools"
    );

    let jane = assigned(
        &app,
        &org,
        &pool_with(
            &first,
            json!({"external_member_id": "u_jane", "email": "jane@globex.example"}),
        ),
    )
    .await;
    assert_eq!(jane["member"]["external_id"], "u_jane");
    assert_eq!(jane["member"]["email"], "jane@globex.example");
    assert_eq!(jane["member"]["role"], "member");

    let mismatch = assign(
        &app,
        &org,
        &pool_with(
            &second,
            json!({"external_member_id": "u_jane", "email": "janet@globex.example"}),
        ),
    )
    .await;
    assert_error(mismatch, 400, "MemberEmailMismatch").await;
    // The same pair finds the member again.
    let again = assigned(
        &app,
        &org,
        &pool_with(
            &second,
            json!({"external_member_id": "u_jane", "email": "Jane@Globex.example"}),
        ),
    )
    .await;
    assert_eq!(again["member_id"], jane["member_id"]);

    create_member(
        &app,
        &org,
        &first["customer_id"],
        json!({"email": "bob@globex.example", "external_id": "u_bob"}),
    )
    .await;
    let taken = assign(
        &app,
        &org,
        &pool_with(
            &first,
            json!({"external_member_id": "u_robert", "email": "bob@globex.example"}),
        ),
    )
    .await;
    assert_error(taken, 400, "MemberEmailMismatch").await;

    let list = seats(&app, &org, &first).await;
    assert_eq!(
        list["seats"].as_array().unwrap().len(),
        1,
        "refusals assign nothing: {list}"
    );
    assert!(
        members_of(&app, &org, &first["customer_id"])
            .await
            .iter()
            .all(|m| m["external_id"] != "u_robert")
    );
}

async fn a_member_id_assigns_to_that_member_and_another_customers_or_an_unknown_member_is_404(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, None).await;
    let bob = create_member(
        &app,
        &org,
        &paid["customer_id"],
        json!({"email": "bob@globex.example"}),
    )
    .await;
    let seat = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"member_id": bob["id"]})),
    )
    .await;
    assert_eq!(seat["member_id"], bob["id"]);
    assert_eq!(seat["email"], "bob@globex.example");
    assert_eq!(seat["order_id"], paid["order_id"]);

    let other = create_customer(&app, &org, json!({"email": "other@initech.example"})).await;
    let their_owner = members_of(&app, &org, &other["id"]).await[0]["id"].clone();
    let theirs = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"member_id": their_owner})),
    )
    .await;
    assert_error(theirs, 404, "MemberNotFound").await;
    let unknown = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"member_id": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_error(unknown, 404, "MemberNotFound").await;
    let malformed = assign(&app, &org, &pool_with(&paid, json!({"member_id": "nope"}))).await;
    assert_error(malformed, 422, "RequestValidationError").await;
}

async fn a_customer_id_or_external_customer_id_makes_that_customers_email_a_member_of_the_billing_customer(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let carl = create_customer(&app, &org, json!({"email": "carl@initech.example"})).await;
    let dana = create_customer(
        &app,
        &org,
        json!({"email": "dana@initech.example", "external_id": "c_dana"}),
    )
    .await;

    let by_id = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"customer_id": carl["id"]})),
    )
    .await;
    assert_eq!(by_id["email"], "carl@initech.example");
    assert_eq!(
        by_id["customer_id"], paid["customer_id"],
        "the seat stays the billing customer's"
    );
    assert_eq!(by_id["customer_email"], "billing@globex.example");
    assert_eq!(by_id["member"]["customer_id"], paid["customer_id"]);
    assert_eq!(by_id["member"]["role"], "member");
    assert_ne!(
        by_id["member_id"],
        members_of(&app, &org, &carl["id"]).await[0]["id"]
    );

    let by_external = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"external_customer_id": "c_dana"})),
    )
    .await;
    assert_eq!(by_external["email"], "dana@initech.example");
    assert_eq!(by_external["member"]["customer_id"], paid["customer_id"]);
    let emails: Vec<Value> = members_of(&app, &org, &paid["customer_id"])
        .await
        .iter()
        .map(|m| m["email"].clone())
        .collect();
    assert!(
        emails.contains(&json!("carl@initech.example"))
            && emails.contains(&json!("dana@initech.example")),
        "{emails:?}"
    );
    assert_eq!(dana["external_id"], "c_dana");

    let unknown = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"customer_id": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_error(unknown, 404, "CustomerNotFound").await;
    let unknown = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"external_customer_id": "c_nobody"})),
    )
    .await;
    assert_error(unknown, 404, "CustomerNotFound").await;
    // Another organization's customer does not exist for this one.
    let other_org = app.create_org("other").await;
    let stranger = create_customer(
        &app,
        &other_org,
        json!({"email": "eve@umbrella.example", "external_id": "c_eve"}),
    )
    .await;
    let theirs = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"customer_id": stranger["id"]})),
    )
    .await;
    assert_error(theirs, 404, "CustomerNotFound").await;
    let theirs = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"external_customer_id": "c_eve"})),
    )
    .await;
    assert_error(theirs, 404, "CustomerNotFound").await;
    // A deleted customer is not found either.
    let gone = create_customer(
        &app,
        &org,
        json!({"email": "gone@initech.example", "external_id": "c_gone"}),
    )
    .await;
    let path = format!("/v1/customers/{}", gone["id"].as_str().unwrap());
    let deleted = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let response = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"customer_id": gone["id"]})),
    )
    .await;
    assert_error(response, 404, "CustomerNotFound").await;
    let response = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"external_customer_id": "c_gone"})),
    )
    .await;
    assert_error(response, 404, "CustomerNotFound").await;
}

async fn invalid_holder_and_pool_combinations_are_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let member_id = uuid::Uuid::now_v7();
    let customer_id = uuid::Uuid::now_v7();
    let cases = [
        (
            json!({"email": "a@x.example", "member_id": member_id}),
            "member_id",
        ),
        (
            json!({"member_id": member_id, "customer_id": customer_id}),
            "customer_id",
        ),
        (
            json!({"customer_id": customer_id, "external_customer_id": "c_1"}),
            "external_customer_id",
        ),
        (
            json!({"email": "a@x.example", "customer_id": customer_id}),
            "customer_id",
        ),
        (
            json!({"external_member_id": "u_1", "member_id": member_id}),
            "member_id",
        ),
        (json!({}), "email"),
    ];
    for (holder, field) in cases {
        let response = assign(&app, &org, &pool_with(&paid, holder)).await;
        assert_validation(response, json!(["body", field]), "value_error").await;
    }
    let both = json!({"subscription_id": paid["subscription_id"], "order_id": uuid::Uuid::now_v7(), "email": "a@x.example"});
    assert_error(
        assign(&app, &org, &both).await,
        422,
        "RequestValidationError",
    )
    .await;
    let with_checkout = json!({"subscription_id": paid["subscription_id"], "checkout_id": paid["id"], "email": "a@x.example"});
    assert_error(
        assign(&app, &org, &with_checkout).await,
        422,
        "RequestValidationError",
    )
    .await;
    let no_pool = json!({"email": "a@x.example"});
    assert_error(
        assign(&app, &org, &no_pool).await,
        422,
        "RequestValidationError",
    )
    .await;
    let bad_email = pool_with(&paid, json!({"email": "not-an-email"}));
    assert_validation(
        assign(&app, &org, &bad_email).await,
        json!(["body", "email"]),
        "value_error",
    )
    .await;
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

async fn a_checkout_id_resolves_to_the_subscription_or_order_the_checkout_created(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let recurring = buy(&app, &org, 2, Some("month")).await;
    assert!(recurring["id"].is_string(), "{recurring}");
    let seat = assigned(
        &app,
        &org,
        &json!({"checkout_id": recurring["id"], "email": "a@x.example"}),
    )
    .await;
    assert_eq!(seat["subscription_id"], recurring["subscription_id"]);
    assert!(seat["order_id"].is_null(), "{seat}");

    let one_time = buy(&app, &org, 2, None).await;
    assert!(one_time["subscription_id"].is_null(), "{one_time}");
    let seat = assigned(
        &app,
        &org,
        &json!({"checkout_id": one_time["id"], "email": "a@x.example"}),
    )
    .await;
    assert_eq!(seat["order_id"], one_time["order_id"]);
    assert!(seat["subscription_id"].is_null(), "{seat}");
    assert_eq!(seats(&app, &org, &one_time).await["available_seats"], 1);
}

async fn an_unpaid_checkout_is_400_and_an_unknown_or_foreign_checkout_is_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let open = open_checkout(&app, &org, Some("month")).await;
    assert_eq!(open["status"], "open");
    let response = assign(
        &app,
        &org,
        &json!({"checkout_id": open["id"], "email": "a@x.example"}),
    )
    .await;
    assert_error(response, 400, "InvalidSeatAssignmentRequest").await;
    let unknown = json!({"checkout_id": uuid::Uuid::now_v7(), "email": "a@x.example"});
    assert_error(assign(&app, &org, &unknown).await, 404, "ResourceNotFound").await;
    let other = app.create_org("other").await;
    let paid = buy(&app, &other, 2, Some("month")).await;
    let theirs = json!({"checkout_id": paid["id"], "email": "a@x.example"});
    assert_error(assign(&app, &org, &theirs).await, 404, "ResourceNotFound").await;
}

async fn seat_metadata_with_eleven_keys_is_a_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!(i))).collect();
    let response = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"email": "a@x.example", "metadata": eleven})),
    )
    .await;
    assert_validation(response, json!(["body", "metadata"]), "value_error").await;
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "the refused seat was not assigned"
    );
}

async fn seat_metadata_over_one_kilobyte_is_a_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let big: serde_json::Map<String, Value> = (0..3)
        .map(|i| (format!("k{i}"), json!("x".repeat(400))))
        .collect();
    assert!(Value::Object(big.clone()).to_string().len() > 1024);
    let response = assign(
        &app,
        &org,
        &pool_with(&paid, json!({"email": "a@x.example", "metadata": big})),
    )
    .await;
    assert_validation(response, json!(["body", "metadata"]), "value_error").await;
}

async fn seat_metadata_of_ten_keys_is_kept_and_comes_back_as_seat_metadata(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let ten: serde_json::Map<String, Value> =
        (0..10).map(|i| (format!("k{i}"), json!(i))).collect();
    let seat = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"email": "b@x.example", "metadata": ten})),
    )
    .await;
    assert_eq!(seat["seat_metadata"].as_object().unwrap().len(), 10);

    let metadata = json!({"team": "core", "level": 3, "admin": true});
    let seat = assigned(
        &app,
        &org,
        &pool_with(&paid, json!({"email": "c@x.example", "metadata": metadata})),
    )
    .await;
    assert_eq!(seat["seat_metadata"], metadata);
    let (status, read) = json(app.get_as(&org.token, &seat_path(&seat)).await).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["seat_metadata"], metadata);
    let list = seats(&app, &org, &paid).await;
    assert_eq!(list["seats"][1]["seat_metadata"], metadata);
    let nested = assign(
        &app,
        &org,
        &pool_with(
            &paid,
            json!({"email": "d@x.example", "metadata": {"a": {"b": 1}}}),
        ),
    )
    .await;
    assert_validation(nested, json!(["body", "metadata"]), "value_error").await;
    let without = assigned(&app, &org, &assign_body(&paid, "e@x.example")).await;
    assert_eq!(without["seat_metadata"], json!({}));
}

async fn a_paid_one_time_order_is_a_pool_of_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, None).await;
    assert!(paid["subscription_id"].is_null(), "{paid}");
    let order_id = paid["order_id"].as_str().unwrap();
    let (status, order) = json(
        app.get_as(&org.token, &format!("/v1/orders/{order_id}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "paid");

    let a = assigned(
        &app,
        &org,
        &json!({"order_id": order_id, "email": "a@x.example"}),
    )
    .await;
    assert_eq!(a["order_id"], order_id);
    assert!(a["subscription_id"].is_null());
    assigned(
        &app,
        &org,
        &json!({"order_id": order_id, "email": "b@x.example"}),
    )
    .await;
    let full = assign(
        &app,
        &org,
        &json!({"order_id": order_id, "email": "c@x.example"}),
    )
    .await;
    assert_error(full, 400, "SeatNotAvailable").await;

    let (status, list) = json(
        app.get_as(&org.token, &format!("{SEATS}?order_id={order_id}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total_seats"], 2);
    assert_eq!(list["available_seats"], 0);
    let listed: Vec<&Value> = list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["order_id"])
        .collect();
    assert_eq!(listed, [&json!(order_id), &json!(order_id)]);
    // An order id is not a subscription id.
    let wrong = format!("{SEATS}?subscription_id={order_id}");
    assert_error(
        app.get_as(&org.token, &wrong).await,
        404,
        "ResourceNotFound",
    )
    .await;

    // A second one-time purchase is another, independent pool.
    let more = buy(&app, &org, 1, None).await;
    assert_ne!(more["order_id"], paid["order_id"]);
    assigned(&app, &org, &assign_body(&more, "c@x.example")).await;
    assert_eq!(seats(&app, &org, &more).await["available_seats"], 0);
}

async fn a_member_holds_one_active_seat_per_pool_but_may_hold_seats_in_several_pools(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let first = buy(&app, &org, 3, Some("month")).await;
    let second = buy(&app, &org, 3, None).await;
    let bob = create_member(
        &app,
        &org,
        &first["customer_id"],
        json!({"email": "bob@globex.example"}),
    )
    .await;
    let seat = assigned(
        &app,
        &org,
        &pool_with(&first, json!({"member_id": bob["id"]})),
    )
    .await;
    let again = assign(
        &app,
        &org,
        &pool_with(&first, json!({"member_id": bob["id"]})),
    )
    .await;
    assert_error(again, 400, "SeatAlreadyAssigned").await;
    let by_email = assign(
        &app,
        &org,
        &pool_with(&first, json!({"email": "Bob@Globex.example"})),
    )
    .await;
    assert_error(by_email, 400, "SeatAlreadyAssigned").await;
    let other_pool = assigned(
        &app,
        &org,
        &pool_with(&second, json!({"member_id": bob["id"]})),
    )
    .await;
    assert_eq!(other_pool["member_id"], bob["id"]);
    assert_eq!(seats(&app, &org, &first).await["available_seats"], 2);

    // Once revoked, the member may be assigned in that pool again.
    let response = app
        .client
        .delete(app.url(&seat_path(&seat)))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let back = assigned(
        &app,
        &org,
        &pool_with(&first, json!({"member_id": bob["id"]})),
    )
    .await;
    assert_ne!(back["id"], seat["id"]);
}

async fn a_seat_is_read_by_id_only_by_its_organization_with_a_seat_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let seat = assigned(&app, &org, &assign_body(&paid, "a@x.example")).await;
    let (status, read) = json(app.get_as(&org.token, &seat_path(&seat)).await).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read, seat);

    let reader = app.token_with(&org, "customer_seats:read").await;
    assert_eq!(app.get_as(&reader, &seat_path(&seat)).await.status(), 200);
    let no_scope = app.token_with(&org, "customers:read").await;
    assert_error(
        app.get_as(&no_scope, &seat_path(&seat)).await,
        403,
        "NotPermitted",
    )
    .await;
    let other = app.create_org("other").await;
    assert_error(
        app.get_as(&other.token, &seat_path(&seat)).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let unknown = format!("{SEATS}/{}", uuid::Uuid::now_v7());
    assert_error(
        app.get_as(&org.token, &unknown).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_validation(
        app.get_as(&org.token, &format!("{SEATS}/nope")).await,
        json!(["path", "seat_id"]),
        "uuid_parsing",
    )
    .await;
    assert_error(app.get(&seat_path(&seat)).await, 401, "Unauthorized").await;
}

async fn the_status_filter_lists_only_seats_in_that_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    let pending = assigned(&app, &org, &assign_body(&paid, "pending@x.example")).await;
    let claimed = assigned(
        &app,
        &org,
        &pool_with(
            &paid,
            json!({"email": "claimed@x.example", "immediate_claim": true}),
        ),
    )
    .await;
    assert_eq!(claimed["status"], "claimed");
    let revoked = assigned(&app, &org, &assign_body(&paid, "revoked@x.example")).await;
    let response = app
        .client
        .delete(app.url(&seat_path(&revoked)))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    for (status, seat) in [
        ("pending", &pending),
        ("claimed", &claimed),
        ("revoked", &revoked),
    ] {
        let path = format!("{SEATS}?{}&status={status}", pool_query(&paid));
        let (code, list) = json(app.get_as(&org.token, &path).await).await;
        assert_eq!(code, 200, "{list}");
        let ids: Vec<&Value> = list["seats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["id"])
            .collect();
        assert_eq!(ids, [&seat["id"]], "status={status}: {list}");
        assert_eq!(list["seats"][0]["status"], status);
        assert_eq!(
            list["total_seats"], 5,
            "the counts are the pool's, not the filter's"
        );
        assert_eq!(list["available_seats"], 3);
    }
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let bogus = format!("{SEATS}?{}&status=bogus", pool_query(&paid));
    assert_error(
        app.get_as(&org.token, &bogus).await,
        422,
        "RequestValidationError",
    )
    .await;
}

both_backends!(
    an_email_creates_a_new_member_and_an_existing_members_email_reuses_that_member,
    an_external_member_id_alone_finds_an_existing_member_of_the_billing_customer,
    an_external_member_id_with_an_email_creates_the_member_and_refuses_a_different_email,
    a_member_id_assigns_to_that_member_and_another_customers_or_an_unknown_member_is_404,
    a_customer_id_or_external_customer_id_makes_that_customers_email_a_member_of_the_billing_customer,
    invalid_holder_and_pool_combinations_are_422,
    a_checkout_id_resolves_to_the_subscription_or_order_the_checkout_created,
    an_unpaid_checkout_is_400_and_an_unknown_or_foreign_checkout_is_404,
    seat_metadata_with_eleven_keys_is_a_422,
    seat_metadata_over_one_kilobyte_is_a_422,
    seat_metadata_of_ten_keys_is_kept_and_comes_back_as_seat_metadata,
    a_paid_one_time_order_is_a_pool_of_its_own,
    a_member_holds_one_active_seat_per_pool_but_may_hold_seats_in_several_pools,
    a_seat_is_read_by_id_only_by_its_organization_with_a_seat_scope,
    the_status_filter_lists_only_seats_in_that_status,
);
