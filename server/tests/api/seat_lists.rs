//! Seat lists answered from memory: every change a list shows (claim, resend, revoke, a member
//! renamed or removed, the customer's email) is in the very next list, through the merchant API
//! and the portal, and through a second server sharing the database.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::seats::{assign, buy, invitation_token, pool_query, seats},
    helpers::*,
};

/// The seat of `email` in a list.
fn seat_of<'a>(list: &'a Value, email: &str) -> &'a Value {
    list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["email"] == email)
        .unwrap_or_else(|| panic!("no seat for {email} in {list}"))
}

/// Lists twice (the second answer comes from memory) and checks both are the same.
async fn listed(app: &TestApp, org: &TestOrg, paid: &Value) -> Value {
    let first = seats(app, org, paid).await;
    assert_eq!(seats(app, org, paid).await, first);
    first
}

async fn every_change_to_a_pool_is_in_the_next_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    for email in [
        "ann@globex.example",
        "bob@globex.example",
        "cy@globex.example",
    ] {
        assign(&app, &org, &paid, email).await;
        assert_eq!(
            seat_of(&listed(&app, &org, &paid).await, email)["status"],
            "pending"
        );
    }
    assert_eq!(listed(&app, &org, &paid).await["available_seats"], 2);

    let token = invitation_token(&app, "ann@globex.example").await;
    let (status, _) = json(
        app.post_json(
            "/v1/customer-seats/claim",
            &json!({"invitation_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        seat_of(&listed(&app, &org, &paid).await, "ann@globex.example")["status"],
        "claimed"
    );

    let bob = seat_of(&listed(&app, &org, &paid).await, "bob@globex.example").clone();
    app.advance_clock(&json!({"seconds": 3600})).await;
    let (status, _) = json(
        app.post_as(
            &org.token,
            &format!("/v1/customer-seats/{}/resend", bob["id"].as_str().unwrap()),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let resent = seat_of(&listed(&app, &org, &paid).await, "bob@globex.example").clone();
    assert_ne!(
        resent["invitation_token_expires_at"],
        bob["invitation_token_expires_at"]
    );

    let cy = seat_of(&listed(&app, &org, &paid).await, "cy@globex.example")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .client
        .delete(app.url(&format!("/v1/customer-seats/{cy}")))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let list = listed(&app, &org, &paid).await;
    assert_eq!(seat_of(&list, "cy@globex.example")["status"], "revoked");
    assert_eq!(list["available_seats"], 3);

    // The list's nested member and the customer's email come from other tables.
    let customer = paid["customer_id"].as_str().unwrap();
    let ann_member = seat_of(&list, "ann@globex.example")["member_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/customers/{customer}/members/{ann_member}");
    let (status, _) = json(
        app.patch_as(&org.token, &path, &json!({"name": "Ann Lee"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        seat_of(&listed(&app, &org, &paid).await, "ann@globex.example")["member"]["name"],
        "Ann Lee"
    );

    let (status, _) = json(
        app.patch_as(
            &org.token,
            &format!("/v1/customers/{customer}"),
            &json!({"email": "finance@globex.example"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        seat_of(&listed(&app, &org, &paid).await, "ann@globex.example")["customer_email"],
        "finance@globex.example"
    );

    let bob_member = resent["member_id"].as_str().unwrap();
    let removed = app
        .client
        .delete(app.url(&format!("/v1/customers/{customer}/members/{bob_member}")))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let list = listed(&app, &org, &paid).await;
    assert_eq!(seat_of(&list, "bob@globex.example")["status"], "revoked");
    assert_eq!(list["available_seats"], 4);
}

async fn a_list_filtered_by_status_is_kept_apart_from_the_whole_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, None).await;
    assign(&app, &org, &paid, "ann@globex.example").await;
    let path = format!("/v1/customer-seats?{}", pool_query(&paid));
    let (_, claimed) = json(
        app.get_as(&org.token, &format!("{path}&status=claimed"))
            .await,
    )
    .await;
    assert_eq!(claimed["seats"], json!([]));
    let (_, all) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(all["seats"].as_array().unwrap().len(), 1);
    let (_, claimed) = json(
        app.get_as(&org.token, &format!("{path}&status=claimed"))
            .await,
    )
    .await;
    assert_eq!(claimed["seats"], json!([]));
}

async fn a_second_server_on_the_same_database_lists_what_the_first_changed(backend: Backend) {
    let first = spawn_app(backend).await;
    let second = second_server(&first).await;
    let org = first.create_org("acme").await;
    let paid = buy(&first, &org, 5, Some("month")).await;
    assign(&first, &org, &paid, "ann@globex.example").await;
    assert_eq!(
        listed(&second, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assign(&first, &org, &paid, "bob@globex.example").await;
    assert_eq!(listed(&second, &org, &paid).await["available_seats"], 3);
    let ann = seat_of(&listed(&second, &org, &paid).await, "ann@globex.example")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = first
        .client
        .delete(first.url(&format!("/v1/customer-seats/{ann}")))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let list = listed(&second, &org, &paid).await;
    assert_eq!(seat_of(&list, "ann@globex.example")["status"], "revoked");
    assert_eq!(list["available_seats"], 4);
    // And the portal's list, answered from the same memory, agrees.
    let customer = paid["customer_id"].as_str().unwrap();
    let (_, session) = json(
        first
            .post_as(
                &org.token,
                "/v1/customer-sessions",
                &json!({"customer_id": customer}),
            )
            .await,
    )
    .await;
    let portal = format!("/v1/customer-portal/seats?{}", pool_query(&paid));
    let (status, portal_list) = json(
        second
            .get_as(session["token"].as_str().unwrap(), &portal)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{portal_list}");
    assert_eq!(portal_list, list);
}

async fn under_a_flood_of_parallel_lists_each_change_by_another_server_is_in_the_next_list(
    backend: Backend,
) {
    // Identical lists that overlap share one read of the token and the pool's stamp; a list
    // may only share a read that started after it arrived. Sixteen clients list the pool
    // without pause while a second server assigns: each list asked for after an assign
    // returned must show it.
    let app = spawn_app(backend).await;
    let writer = second_server(&app).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 50, Some("month")).await;
    let url = app.url(&format!("/v1/customer-seats?{}", pool_query(&paid)));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood: Vec<_> = (0..16)
        .map(|_| {
            let (client, url, token, stop) = (
                app.client.clone(),
                url.clone(),
                org.token.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut lists = 0_u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    lists += 1;
                }
                lists
            })
        })
        .collect();
    for i in 0..48 {
        let email = format!("p{i}@globex.example");
        assign(&writer, &org, &paid, &email).await;
        let list = seats(&app, &org, &paid).await;
        assert_eq!(seat_of(&list, &email)["status"], "pending");
        assert_eq!(list["available_seats"], 50 - i - 1);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut lists = 0;
    for task in flood {
        lists += task.await.unwrap();
    }
    assert!(lists > 48, "the flood listed {lists} times");
}

async fn a_client_accepting_gzip_gets_the_kept_list_compressed_and_it_reads_the_same(
    backend: Backend,
) {
    use std::io::Read;
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    assign(&app, &org, &paid, "ann@globex.example").await;
    let plain = listed(&app, &org, &paid).await;
    let url = app.url(&format!("/v1/customer-seats?{}", pool_query(&paid)));
    for _ in 0..2 {
        let response = app
            .client
            .get(&url)
            .bearer_auth(&org.token)
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.headers().get_all("vary").iter().any(|v| {
            v.to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding")
        }));
        let compressed = response.bytes().await.unwrap();
        let mut body = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut body)
            .unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), plain);
    }
    // A change is in the next compressed list too; a client refusing gzip gets none.
    assign(&app, &org, &paid, "bob@globex.example").await;
    let response = app
        .client
        .get(&url)
        .bearer_auth(&org.token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let compressed = response.bytes().await.unwrap();
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut body)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["seats"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let refused = app
        .client
        .get(&url)
        .bearer_auth(&org.token)
        .header("accept-encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("content-encoding").is_none());
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        seats(&app, &org, &paid).await
    );
}

async fn a_kept_list_still_checks_the_token_its_scopes_and_its_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let reader = app.token_with(&org, "customer_seats:read").await;
    let path = format!("/v1/customer-seats?{}", pool_query(&paid));
    assert_eq!(app.get_as(&reader, &path).await.status(), 200);
    let no_scope = app.token_with(&org, "products:read").await;
    assert_error(app.get_as(&no_scope, &path).await, 403, "NotPermitted").await;
    assert_error(
        app.get_as("skp_oat_unknown", &path).await,
        401,
        "Unauthorized",
    )
    .await;
    let other = app.create_org("other").await;
    assert_error(
        app.get_as(&other.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn a_kept_portal_list_still_checks_the_session_and_its_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    assign(&app, &org, &paid, "ann@globex.example").await;
    let customer = paid["customer_id"].clone();
    let members = format!("/v1/customers/{}/members", customer.as_str().unwrap());
    let (_, bob) = json(
        app.post_as(
            &org.token,
            &members,
            &json!({"email": "bob@globex.example"}),
        )
        .await,
    )
    .await;
    let new_session = |member: Option<Value>| {
        let mut body = json!({"customer_id": customer});
        if let Some(member) = member {
            body["member_id"] = member;
        }
        let (app, org) = (&app, &org);
        async move {
            let (status, session) = json(
                app.post_as(&org.token, "/v1/customer-sessions", &body)
                    .await,
            )
            .await;
            assert_eq!(status, 201, "{session}");
            session["token"].as_str().unwrap().to_owned()
        }
    };
    let (owner, bob_session) = (
        new_session(None).await,
        new_session(Some(bob["id"].clone())).await,
    );
    let path = format!("/v1/customer-portal/seats?{}", pool_query(&paid));
    let (status, list) = json(app.get_as(&owner, &path).await).await;
    assert_eq!(status, 200, "{list}");
    let (status, again) = json(app.get_as(&bob_session, &path).await).await;
    assert_eq!(
        (status, &again),
        (200, &list),
        "a member reads the same list"
    );
    // A bad session is a 401 before a malformed query's 422.
    assert_error(
        app.get_as(
            "skp_cst_forged",
            "/v1/customer-portal/seats?subscription_id=x",
        )
        .await,
        401,
        "Unauthorized",
    )
    .await;
    assert_error(
        app.get_as(&owner, "/v1/customer-portal/seats?subscription_id=x")
            .await,
        422,
        "RequestValidationError",
    )
    .await;
    // A removed member's session no longer reads the kept list.
    let removed = app
        .client
        .delete(app.url(&format!("{members}/{}", bob["id"].as_str().unwrap())))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_error(app.get_as(&bob_session, &path).await, 401, "Unauthorized").await;
    // Another customer's session sees no such pool.
    let (_, other) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "other@initech.example"}),
        )
        .await,
    )
    .await;
    let (_, other_session) = json(
        app.post_as(
            &org.token,
            "/v1/customer-sessions",
            &json!({"customer_id": other["id"]}),
        )
        .await,
    )
    .await;
    assert_error(
        app.get_as(other_session["token"].as_str().unwrap(), &path)
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

both_backends!(
    every_change_to_a_pool_is_in_the_next_list,
    a_list_filtered_by_status_is_kept_apart_from_the_whole_list,
    a_second_server_on_the_same_database_lists_what_the_first_changed,
    under_a_flood_of_parallel_lists_each_change_by_another_server_is_in_the_next_list,
    a_client_accepting_gzip_gets_the_kept_list_compressed_and_it_reads_the_same,
    a_kept_list_still_checks_the_token_its_scopes_and_its_organization,
    a_kept_portal_list_still_checks_the_session_and_its_customer,
);
