//! What the merchant's app and the seat holder ask once a seat is claimed, beyond the keys
//! themselves: the grants of one benefit, and who a portal session signs in.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{entitlements::*, seats::*, *},
};

both_backends!(
    the_grants_of_one_benefit_filter_by_member_customer_and_state,
    a_session_says_when_it_ends_and_who_it_signs_in,
    a_customers_state_holds_its_active_subscription_and_every_members_grants,
    a_customers_state_is_only_for_its_organization_and_a_token_that_reads_customers,
    the_portal_lists_a_members_own_grants_and_a_billing_manager_the_teams,
    the_portal_grant_filters_the_sdk_sends_all_filter,
);

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
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;

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
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
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

async fn state_of(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    json(app.get_as(token, path).await).await
}

/// The items of a list or state array, by a field.
fn field_of<'a>(items: &'a Value, field: &str) -> Vec<&'a Value> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i[field])
        .collect()
}

async fn a_customers_state_holds_its_active_subscription_and_every_members_grants(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (paid, note, keys) = pool_with_two_benefits(&app, &org).await;
    let customer = paid["customer_id"].as_str().unwrap();
    let path = format!("/v1/customers/{customer}/state");
    let (status, state) = state_of(&app, &org.token, &path).await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["id"], customer);
    assert_eq!(state["email"], "billing@globex.example");
    assert_eq!(state["active_meters"], json!([]));
    assert_eq!(state["granted_benefits"], json!([]), "no seat claimed yet");
    let subscription = &state["active_subscriptions"][0];
    assert_eq!(state["active_subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(subscription["id"], paid["subscription_id"]);
    assert_eq!(subscription["status"], "active");
    assert_eq!(subscription["seats"], 3);
    assert_eq!(subscription["recurring_interval"], "month");
    assert_eq!(subscription["meters"], json!([]));
    for nullable in [
        "trial_start",
        "trial_end",
        "discount_id",
        "units",
        "canceled_at",
    ] {
        assert!(
            subscription[nullable].is_null(),
            "{nullable} is present and null"
        );
        assert!(
            subscription.get(nullable).is_some(),
            "{nullable} is present"
        );
    }

    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let (_, state) = state_of(&app, &org.token, &path).await;
    let grants = &state["granted_benefits"];
    assert_eq!(
        grants.as_array().unwrap().len(),
        4,
        "two benefits for each of two members"
    );
    for member in [&jane["member_id"], &john["member_id"]] {
        let theirs: Vec<&Value> = grants
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| &g["member_id"] == member)
            .collect();
        assert_eq!(theirs.len(), 2, "each grant names its member");
        let key = theirs
            .iter()
            .find(|g| g["benefit_type"] == "license_keys")
            .unwrap();
        assert_eq!(key["benefit_id"], keys.as_str());
        assert!(key["properties"]["license_key_id"].is_string());
        assert!(
            key["properties"]["display_key"]
                .as_str()
                .unwrap()
                .starts_with("****-")
        );
        assert!(
            key["properties"].get("key").is_none(),
            "never the whole key"
        );
        let custom = theirs
            .iter()
            .find(|g| g["benefit_type"] == "custom")
            .unwrap();
        assert_eq!(custom["benefit_id"], note.as_str());
        assert_eq!(custom["benefit_metadata"], json!({}));
        assert!(custom["granted_at"].is_string());
    }

    // A revoked seat's grants leave the state.
    let response = app.delete_as(&org.token, &seat_path(&jane)).await;
    assert_eq!(response.status().as_u16(), 200);
    let (_, state) = state_of(&app, &org.token, &path).await;
    assert_eq!(
        field_of(&state["granted_benefits"], "member_id"),
        [&john["member_id"], &john["member_id"]]
    );

    // The same state by the merchant's external id.
    let (status, _) = json(
        app.patch_as(
            &org.token,
            &format!("/v1/customers/{customer}"),
            &json!({"external_id": "globex-1"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, state) = state_of(&app, &org.token, &path).await;
    assert_eq!(state["external_id"], "globex-1");
    let (status, by_external) =
        state_of(&app, &org.token, "/v1/customers/external/globex-1/state").await;
    assert_eq!(status, 200, "{by_external}");
    assert_eq!(by_external, state);

    // A revoked subscription is no longer active, and its seats' grants are gone.
    let subscription = paid["subscription_id"].as_str().unwrap();
    let response = app
        .delete_as(&org.token, &format!("/v1/subscriptions/{subscription}"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let (_, state) = state_of(&app, &org.token, &path).await;
    assert_eq!(state["active_subscriptions"], json!([]));
    assert_eq!(state["granted_benefits"], json!([]));

    // A deleted customer has no state (Polar's 404).
    let response = app
        .delete_as(&org.token, &format!("/v1/customers/{customer}"))
        .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_error(app.get_as(&org.token, &path).await, 404, "ResourceNotFound").await;
}

async fn a_customers_state_is_only_for_its_organization_and_a_token_that_reads_customers(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (paid, _, _) = pool_with_two_benefits(&app, &org).await;
    let path = format!(
        "/v1/customers/{}/state",
        paid["customer_id"].as_str().unwrap()
    );
    let other = app.create_org("globex").await;
    assert_error(
        app.get_as(&other.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.get_as(&other.token, "/v1/customers/external/nobody/state")
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.get_as(
            &org.token,
            &format!("/v1/customers/{}/state", uuid::Uuid::now_v7()),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    let seats_only = app.token_with(&org, "customer_seats:read").await;
    assert_error(app.get_as(&seats_only, &path).await, 403, "NotPermitted").await;
    let reader = app.token_with(&org, "customers:read").await;
    let (status, _) = state_of(&app, &reader, &path).await;
    assert_eq!(status, 200);
    let (status, _) = state_of(&app, &org.token, "/v1/customers/not-a-uuid/state").await;
    assert_eq!(status, 422);
    assert_error(app.get(&path).await, 401, "Unauthorized").await;
}

async fn portal_grants(app: &TestApp, session: &str, query: &str) -> (u16, Value) {
    json(
        app.get_as(
            session,
            &format!("/v1/customer-portal/benefit-grants?{query}"),
        )
        .await,
    )
    .await
}

async fn the_portal_lists_a_members_own_grants_and_a_billing_manager_the_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (paid, _, keys) = pool_with_two_benefits(&app, &org).await;
    let customer = &paid["customer_id"];
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let jane_session = session_of(&app, &org, customer, &jane["member_id"]).await;
    let owner_session = session_of(&app, &org, customer, &Value::Null).await;

    let (status, own) = portal_grants(&app, &jane_session, "").await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["pagination"]["total_count"], 2);
    assert!(
        field_of(&own["items"], "member_id")
            .iter()
            .all(|m| **m == jane["member_id"])
    );
    let key_grant = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["benefit"]["type"] == "license_keys")
        .unwrap()
        .clone();
    assert_eq!(key_grant["benefit_id"], keys.as_str());
    assert!(key_grant["properties"]["license_key_id"].is_string());
    assert!(key_grant["properties"]["display_key"].is_string());
    assert_eq!(key_grant["benefit"]["organization"]["slug"], "acme");
    assert!(
        key_grant["benefit"].get("metadata").is_none(),
        "a holder's view has no metadata"
    );
    assert_eq!(key_grant["customer"]["oauth_accounts"], json!({}));
    assert_eq!(key_grant["is_granted"], true);

    let (_, theirs) = portal_grants(
        &app,
        &jane_session,
        &format!("member_id={}", john["member_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        theirs["pagination"]["total_count"], 0,
        "a member sees only their own"
    );

    let (_, team) = portal_grants(&app, &owner_session, "").await;
    assert_eq!(team["pagination"]["total_count"], 4);
    let (_, johns) = portal_grants(
        &app,
        &owner_session,
        &format!("member_id={}", john["member_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(johns["pagination"]["total_count"], 2);

    // One grant: a member's own, not another's; the team's for the owner.
    let key_path = format!(
        "/v1/customer-portal/benefit-grants/{}",
        key_grant["id"].as_str().unwrap()
    );
    let (status, one) = json(app.get_as(&jane_session, &key_path).await).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one, key_grant);
    let johns_path = format!(
        "/v1/customer-portal/benefit-grants/{}",
        johns["items"][0]["id"].as_str().unwrap()
    );
    assert_error(
        app.get_as(&jane_session, &johns_path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (status, _) = json(app.get_as(&owner_session, &johns_path).await).await;
    assert_eq!(status, 200);

    // A revoked seat's grants are no longer shown.
    let response = app.delete_as(&org.token, &seat_path(&jane)).await;
    assert_eq!(response.status().as_u16(), 200);
    let (_, own) = portal_grants(&app, &jane_session, "").await;
    assert_eq!(own["pagination"]["total_count"], 0);
    assert_error(
        app.get_as(&jane_session, &key_path).await,
        404,
        "ResourceNotFound",
    )
    .await;

    for token in ["", org.token.as_str(), "skp_cst_unknown"] {
        assert_error(
            app.get_as(token, "/v1/customer-portal/benefit-grants")
                .await,
            401,
            "Unauthorized",
        )
        .await;
    }
}

async fn the_portal_grant_filters_the_sdk_sends_all_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (paid, note, keys) = pool_with_two_benefits(&app, &org).await;
    claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let owner = session_of(&app, &org, &paid["customer_id"], &Value::Null).await;
    let total = |query: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            let (status, list) = portal_grants(app, owner, query).await;
            assert_eq!(status, 200, "{query}: {list}");
            list["pagination"]["total_count"].as_u64().unwrap()
        }
    };
    assert_eq!(total("type=license_keys").await, 2);
    assert_eq!(total("type=custom&type=license_keys").await, 4);
    assert_eq!(
        total("type=discord").await,
        0,
        "a type Seatkeeper never gives"
    );
    assert_eq!(
        total("query=ONBOARD").await,
        2,
        "the note's description, any case"
    );
    assert_eq!(total("query=nothing-like-it").await, 0);
    let by = |field: &str, value: &Value| format!("{field}={}", value.as_str().unwrap());
    for (query, expected) in [
        (by("benefit_id", &json!(note)), 2),
        (by("benefit_id", &json!(keys)), 2),
        (by("subscription_id", &paid["subscription_id"]), 4),
        (by("checkout_id", &paid["id"]), 4),
        (format!("order_id={}", uuid::Uuid::now_v7()), 0),
        (format!("checkout_id={}", uuid::Uuid::now_v7()), 0),
    ] {
        let (status, list) = portal_grants(&app, &owner, &query).await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(list["pagination"]["total_count"], expected, "{query}");
    }

    // The SDK's default order: the benefit's place in its product, then the newest grant.
    let (_, sorted) =
        portal_grants(&app, &owner, "sorting=product_benefit&sorting=-granted_at").await;
    assert_eq!(
        field_of(&sorted["items"], "benefit_id"),
        [&json!(note), &json!(note), &json!(keys), &json!(keys)]
    );
    let (_, reversed) = portal_grants(&app, &owner, "sorting=-product_benefit").await;
    assert_eq!(reversed["items"][0]["benefit_id"], keys.as_str());
    let (_, by_type) = portal_grants(&app, &owner, "sorting=-type&sorting=organization").await;
    assert_eq!(by_type["items"][0]["benefit"]["type"], "license_keys");

    for query in [
        "type=bogus",
        "sorting=created_at",
        "is_granted=true",
        "limit=0",
    ] {
        let (status, body) = portal_grants(&app, &owner, query).await;
        assert_eq!(status, 422, "{query}: {body}");
    }
}
