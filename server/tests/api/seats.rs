//! Customer seats: assign by email, list, revoke, and the capacity guarantee under real parallel
//! requests.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{seats::*, *},
};

async fn a_seat_is_assigned_by_email_as_a_pending_invitation_of_a_new_member(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let (status, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "Jane@Globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");
    assert_eq!(seat["status"], "pending");
    assert_eq!(seat["email"], "jane@globex.example");
    assert_eq!(seat["subscription_id"], paid["subscription_id"]);
    assert_eq!(seat["customer_id"], paid["customer_id"]);
    assert_eq!(seat["customer_email"], "billing@globex.example");
    assert_eq!(seat["member"]["role"], "member");
    assert_eq!(seat["member"]["email"], "jane@globex.example");
    let expires =
        chrono::DateTime::parse_from_rfc3339(seat["invitation_token_expires_at"].as_str().unwrap())
            .unwrap();
    let created =
        chrono::DateTime::parse_from_rfc3339(seat["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::TimeDelta::hours(24));
    assert!(
        !seat.to_string().contains("skp_inv_"),
        "the invitation token is never returned"
    );
    let list = seats(&app, &org, &paid).await;
    assert_eq!(list["total_seats"], 3);
    assert_eq!(list["available_seats"], 2);
    assert_eq!(list["seats"][0]["id"], seat["id"]);
    let events: Vec<String> = app
        .store()
        .events(org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        &events[events.len() - 2..],
        ["member.created", "customer_seat.assigned"]
    );
}

async fn one_email_holds_one_active_seat_per_pool_and_a_full_pool_refuses(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, None).await;
    assert_eq!(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "a@x.example")
        )
        .await
        .status(),
        200
    );
    let again = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "A@X.example"),
        )
        .await;
    assert_error(again, 400, "SeatAlreadyAssigned").await;
    assert_eq!(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "b@x.example")
        )
        .await
        .status(),
        200
    );
    let full = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "c@x.example"),
        )
        .await;
    assert_error(full, 400, "SeatNotAvailable").await;
    let list = seats(&app, &org, &paid).await;
    assert_eq!(list["available_seats"], 0);
    assert_eq!(list["seats"].as_array().unwrap().len(), 2);
}

async fn revoking_is_idempotent_frees_the_seat_and_keeps_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 1, Some("month")).await;
    let (_, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "a@x.example"),
        )
        .await,
    )
    .await;
    let path = format!("/v1/customer-seats/{}", seat["id"].as_str().unwrap());
    let (status, revoked) = json(
        app.client
            .delete(app.url(&path))
            .bearer_auth(&org.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    let before = app.store().events(org.id).await.unwrap().len();
    let (status, twice) = json(
        app.client
            .delete(app.url(&path))
            .bearer_auth(&org.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(twice["revoked_at"], revoked["revoked_at"]);
    assert_eq!(
        app.store().events(org.id).await.unwrap().len(),
        before,
        "a second revoke emits nothing"
    );
    assert_eq!(seats(&app, &org, &paid).await["available_seats"], 1);
    let (status, fresh) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "a@x.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{fresh}");
    assert_ne!(fresh["id"], seat["id"], "a revoked row is never reused");
    assert_eq!(fresh["member_id"], seat["member_id"]);
    let list = seats(&app, &org, &paid).await;
    let statuses: Vec<&str> = list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["revoked", "pending"]);
}

async fn pools_must_be_named_once_exist_and_belong_to_the_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 1, Some("month")).await;
    assert_error(
        app.get_as(&org.token, "/v1/customer-seats").await,
        400,
        "InvalidSeatAssignmentRequest",
    )
    .await;
    let unknown = format!(
        "/v1/customer-seats?subscription_id={}",
        uuid::Uuid::now_v7()
    );
    assert_error(
        app.get_as(&org.token, &unknown).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let both = json!({"subscription_id": paid["subscription_id"], "order_id": uuid::Uuid::now_v7(), "email": "a@x.example"});
    assert_error(
        app.post_as(&org.token, "/v1/customer-seats", &both).await,
        422,
        "RequestValidationError",
    )
    .await;
    let other = app.create_org("other").await;
    let theirs = format!("/v1/customer-seats?{}", pool_query(&paid));
    assert_error(
        app.get_as(&other.token, &theirs).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.post_as(
            &other.token,
            "/v1/customer-seats",
            &assign_body(&paid, "a@x.example"),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "a@x.example"),
        )
        .await,
    )
    .await;
    let path = format!("/v1/customer-seats/{}", seat["id"].as_str().unwrap());
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "ResourceNotFound").await;
}

async fn the_order_that_pays_for_a_subscription_is_not_a_second_pool(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let (_, orders) = json(app.get_as(&org.token, "/v1/orders").await).await;
    let order_id = orders["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        orders["items"][0]["subscription_id"],
        paid["subscription_id"]
    );
    // Its seats are the subscription's: naming the order must not double them.
    assert_error(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &json!({"order_id": order_id, "email": "extra@globex.example"}),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.get_as(
            &org.token,
            &format!("/v1/customer-seats?order_id={order_id}"),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    for email in ["a@globex.example", "b@globex.example"] {
        assign(&app, &org, &paid, email).await;
    }
    let list = seats(&app, &org, &paid).await;
    assert_eq!(
        (
            list["total_seats"].as_u64(),
            list["available_seats"].as_u64()
        ),
        (Some(2), Some(0))
    );
}

async fn the_token_is_checked_before_the_body_the_scope_and_the_pool(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let assign = assign_body(&paid, "a@x.example");
    let malformed = app
        .post_raw("/v1/customer-seats", "application/json", "{")
        .await;
    assert_error(malformed, 401, "Unauthorized").await;
    let forged = app
        .client
        .post(app.url("/v1/customer-seats"))
        .bearer_auth("skp_oat_forged")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_error(forged, 401, "Unauthorized").await;
    assert_error(
        app.post_as("skp_oat_forged", "/v1/customer-seats", &assign)
            .await,
        401,
        "Unauthorized",
    )
    .await;
    let unknown_pool = json!({"subscription_id": uuid::Uuid::now_v7(), "email": "a@x.example"});
    assert_error(
        app.post_as("skp_oat_forged", "/v1/customer-seats", &unknown_pool)
            .await,
        401,
        "Unauthorized",
    )
    .await;
    let reader = app.token_with(&org, "customer_seats:read").await;
    assert_error(
        app.post_as(&reader, "/v1/customer-seats", &assign).await,
        403,
        "NotPermitted",
    )
    .await;
    assert_error(
        app.post_as(&reader, "/v1/customer-seats", &unknown_pool)
            .await,
        403,
        "NotPermitted",
    )
    .await;
    assert_error(
        app.post_as(&org.token, "/v1/customer-seats", &unknown_pool)
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    let seats_of = |list: &Value| list["seats"].as_array().unwrap().len();
    assert_eq!(
        seats_of(&seats(&app, &org, &paid).await),
        0,
        "nothing was written"
    );
}

async fn two_hundred_parallel_assigns_into_fifty_seats_give_exactly_fifty(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 50, Some("month")).await;
    let url = app.url("/v1/customer-seats");
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let client = app.client.clone();
            let url = url.clone();
            let token = org.token.clone();
            let body = assign_body(&paid, &format!("person{i}@x.example"));
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                (status, body["error"].as_str().map(str::to_owned))
            })
        })
        .collect();
    let mut ok = 0;
    let mut full = 0;
    for handle in handles {
        match handle.await.unwrap() {
            (200, _) => ok += 1,
            (400, Some(error)) if error == "SeatNotAvailable" => full += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((ok, full), (50, 150));
    let list = seats(&app, &org, &paid).await;
    assert_eq!(list["seats"].as_array().unwrap().len(), 50);
    assert_eq!(list["available_seats"], 0);
}

both_backends!(
    a_seat_is_assigned_by_email_as_a_pending_invitation_of_a_new_member,
    one_email_holds_one_active_seat_per_pool_and_a_full_pool_refuses,
    revoking_is_idempotent_frees_the_seat_and_keeps_history,
    pools_must_be_named_once_exist_and_belong_to_the_caller,
    the_order_that_pays_for_a_subscription_is_not_a_second_pool,
    the_token_is_checked_before_the_body_the_scope_and_the_pool,
    two_hundred_parallel_assigns_into_fifty_seats_give_exactly_fifty,
);
