//! Reassigning a seat (`POST /v1/customer-seats/{id}/transfer`, and the portal's): one step, one
//! transaction, one audit entry, events for both sides, and no moment where the pool has a free
//! place another request could take.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{entitlements::*, seats::*, *},
};

fn transfer_path(seat: &Value) -> String {
    format!("{}/transfer", seat_path(seat))
}

async fn audit(app: &TestApp, org: &TestOrg, paid: &Value) -> Vec<Value> {
    let path = format!(
        "/v1/customer-seats/audit-log?{}&limit=100",
        pool_query(paid)
    );
    let (status, log) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(status, 200, "{log}");
    log["entries"].as_array().unwrap().clone()
}

fn statuses(list: &Value) -> Vec<(String, String)> {
    list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["email"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_claimed_seat_of_a_full_pool_is_reassigned_in_one_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(&app, &org, json!({}), 1, Some("month")).await;
    let seat = claimed_seat(&app, &org, &paid, "ann@globex.example").await;
    let old_key = key_of(&app, &org, &seat).await;
    let body = json!({"email": "Bob@Globex.example"});
    let (status, moved) = json(app.post_as(&org.token, &transfer_path(&seat), &body).await).await;
    assert_eq!(status, 200, "{moved}");
    assert_ne!(moved["id"], seat["id"]);
    assert_eq!(moved["status"], "pending");
    assert_eq!(moved["email"], "bob@globex.example");
    assert_eq!(moved["subscription_id"], seat["subscription_id"]);
    assert_ne!(moved["member_id"], seat["member_id"]);

    let list = seats(&app, &org, &paid).await;
    assert_eq!(
        statuses(&list),
        [
            ("ann@globex.example".into(), "revoked".into()),
            ("bob@globex.example".into(), "pending".into()),
        ]
    );
    assert_eq!(
        (&list["total_seats"], &list["available_seats"]),
        (&json!(1), &json!(0))
    );

    // The old holder's key is revoked with the seat.
    let validate = json!({"key": old_key["key"], "organization_id": org.id.to_string()});
    let refused = app
        .post_as(&org.token, "/v1/license-keys/validate", &validate)
        .await;
    assert_eq!(refused.status(), 404);

    // One audit entry says who the seat went from and to.
    let entries = audit(&app, &org, &paid).await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["assigned", "claimed", "transferred"]);
    let transfer = &entries[2];
    assert_eq!(transfer["seat_id"], seat["id"]);
    assert_eq!(transfer["email"], "ann@globex.example");
    assert_eq!(transfer["to_seat_id"], moved["id"]);
    assert_eq!(transfer["to_email"], "bob@globex.example");
    assert_eq!(transfer["actor_type"], "organization");
    assert!(entries[0]["to_seat_id"].is_null());

    // Events for both sides, the old one's first.
    let kinds = app.event_kinds(&org).await;
    let tail = &kinds[kinds.len() - 4..];
    assert_eq!(
        tail,
        [
            "benefit_grant.revoked",
            "customer_seat.revoked",
            "member.created",
            "customer_seat.assigned"
        ]
    );

    // The new holder claims from the invitation and gets a key of their own.
    let token = invitation_token(&app, "bob@globex.example").await;
    let (status, claim) = json(
        app.post_json(
            "/v1/customer-seats/claim",
            &json!({"invitation_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{claim}");
    let new_key = key_of(&app, &org, &moved).await;
    assert_ne!(new_key["key"], old_key["key"]);
}

async fn the_merchant_may_reassign_a_seat_claimed_at_once_keeping_its_metadata(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let mut body = assign_body(&paid, "ann@x.example");
    body["metadata"] = json!({"team": "design"});
    let (_, seat) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    let body = json!({"email": "bob@x.example", "immediate_claim": true});
    let (status, moved) = json(app.post_as(&org.token, &transfer_path(&seat), &body).await).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["status"], "claimed");
    assert_eq!(moved["seat_metadata"], json!({"team": "design"}));
    let actions: Vec<String> = audit(&app, &org, &paid)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["assigned", "transferred", "claimed"]);
    // Metadata given replaces the old seat's.
    let body = json!({"email": "cy@x.example", "metadata": {"team": "ops"}});
    let (status, again) = json(app.post_as(&org.token, &transfer_path(&moved), &body).await).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["seat_metadata"], json!({"team": "ops"}));
}

async fn a_refused_transfer_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let ann = assign(&app, &org, &paid, "ann@x.example").await;
    assign(&app, &org, &paid, "bob@x.example").await;
    let before = (
        seats(&app, &org, &paid).await,
        audit(&app, &org, &paid).await,
    );
    let to = |email: &str| json!({"email": email});

    let taken = app
        .post_as(&org.token, &transfer_path(&ann), &to("BOB@x.example"))
        .await;
    assert_error(taken, 400, "SeatAlreadyAssigned").await;
    let same = app
        .post_as(&org.token, &transfer_path(&ann), &to("ann@x.example"))
        .await;
    assert_error(same, 400, "SeatAlreadyAssigned").await;
    let nobody = app
        .post_as(&org.token, &transfer_path(&ann), &json!({}))
        .await;
    assert_eq!(nobody.status(), 422);
    let two = app
        .post_as(
            &org.token,
            &transfer_path(&ann),
            &json!({"email": "c@x.example", "member_id": ann["member_id"]}),
        )
        .await;
    assert_eq!(two.status(), 422);
    let bad_email = app
        .post_as(&org.token, &transfer_path(&ann), &to("not an email"))
        .await;
    assert_eq!(bad_email.status(), 422);
    let unknown_member = app
        .post_as(
            &org.token,
            &transfer_path(&ann),
            &json!({"member_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_error(unknown_member, 404, "MemberNotFound").await;
    let unknown_seat = app
        .post_as(
            &org.token,
            &format!("/v1/customer-seats/{}/transfer", uuid::Uuid::new_v4()),
            &to("c@x.example"),
        )
        .await;
    assert_eq!(unknown_seat.status(), 404);
    let reader = app.token_with(&org, "customer_seats:read").await;
    let read_only = app
        .post_as(&reader, &transfer_path(&ann), &to("c@x.example"))
        .await;
    assert_eq!(read_only.status(), 403);
    let other = app.create_org("initech").await;
    let foreign = app
        .post_as(&other.token, &transfer_path(&ann), &to("c@x.example"))
        .await;
    assert_eq!(
        foreign.status(),
        404,
        "another organization's seat is not found"
    );

    let after = (
        seats(&app, &org, &paid).await,
        audit(&app, &org, &paid).await,
    );
    assert_eq!(before, after, "nothing was written");

    app.delete_as(&org.token, &seat_path(&ann)).await;
    let revoked = app
        .post_as(&org.token, &transfer_path(&ann), &to("c@x.example"))
        .await;
    assert_error(revoked, 400, "SeatAlreadyRevoked").await;
}

async fn parallel_transfers_and_assignments_never_oversell_a_full_pool(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    let mut held = Vec::new();
    for i in 0..5 {
        held.push(assign(&app, &org, &paid, &format!("held{i}@x.example")).await);
    }
    let send = |path: String, body: Value| {
        let client = app.client.clone();
        let url = app.url(&path);
        let token = org.token.clone();
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
    };
    let mut transfers = Vec::new();
    // Each held seat is reassigned by two requests at once: one of them wins.
    for (i, seat) in held.iter().enumerate() {
        for j in 0..2 {
            let body = json!({"email": format!("new{i}-{j}@x.example")});
            transfers.push(send(transfer_path(seat), body));
        }
    }
    let assigns: Vec<_> = (0..20)
        .map(|i| {
            send(
                "/v1/customer-seats".into(),
                assign_body(&paid, &format!("extra{i}@x.example")),
            )
        })
        .collect();
    let mut moved = 0;
    for handle in transfers {
        match handle.await.unwrap() {
            (200, _) => moved += 1,
            (400, Some(error)) if error == "SeatAlreadyRevoked" => {}
            other => panic!("unexpected transfer answer {other:?}"),
        }
    }
    for handle in assigns {
        match handle.await.unwrap() {
            (400, Some(error)) if error == "SeatNotAvailable" => {}
            other => panic!("an assignment took a place a transfer freed: {other:?}"),
        }
    }
    assert_eq!(moved, 5, "exactly one transfer of each seat wins");
    let list = seats(&app, &org, &paid).await;
    let active = statuses(&list)
        .into_iter()
        .filter(|(_, status)| status != "revoked")
        .count();
    assert_eq!(active, 5);
    assert_eq!(list["available_seats"], 0);
}

async fn a_billing_manager_reassigns_through_the_portal_and_a_member_may_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let ann = claimed_seat(&app, &org, &paid, "ann@x.example").await;
    let bob = assign(&app, &org, &paid, "bob@x.example").await;
    let owner = session_of(&app, &org, &paid["customer_id"], &Value::Null).await;
    let member = session_of(&app, &org, &paid["customer_id"], &ann["member_id"]).await;
    let path = |seat: &Value| {
        format!(
            "/v1/customer-portal/seats/{}/transfer",
            seat["id"].as_str().unwrap()
        )
    };
    let refused = app
        .post_as(&member, &path(&bob), &json!({"email": "cy@x.example"}))
        .await;
    assert_eq!(refused.status(), 403, "a member manages no seats");
    let no_instant = app
        .post_as(
            &owner,
            &path(&bob),
            &json!({"email": "cy@x.example", "immediate_claim": true}),
        )
        .await;
    assert_eq!(
        no_instant.status(),
        422,
        "immediate_claim is the merchant's"
    );
    let (status, moved) = json(
        app.post_as(&owner, &path(&bob), &json!({"email": "cy@x.example"}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["email"], "cy@x.example");
    let entries = audit(&app, &org, &paid).await;
    let last = entries.last().unwrap();
    assert_eq!(
        (&last["action"], &last["actor_type"]),
        (&json!("transferred"), &json!("customer"))
    );
    // Another customer's session does not find the seat.
    let (status, eve) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "eve@initech.example"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{eve}");
    let stranger = session_of(&app, &org, &eve["id"], &Value::Null).await;
    let hidden = app
        .post_as(&stranger, &path(&moved), &json!({"email": "dee@x.example"}))
        .await;
    assert_eq!(hidden.status(), 404);
}

both_backends!(
    a_claimed_seat_of_a_full_pool_is_reassigned_in_one_step,
    the_merchant_may_reassign_a_seat_claimed_at_once_keeping_its_metadata,
    a_refused_transfer_changes_nothing,
    parallel_transfers_and_assignments_never_oversell_a_full_pool,
    a_billing_manager_reassigns_through_the_portal_and_a_member_may_not,
);
