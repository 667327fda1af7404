//! Customers, members and customer sessions through the REST API.

use serde_json::{Value, json};

use crate::{both_backends, helpers::*};

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

async fn a_customer_is_created_with_its_owner_member_and_both_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let customer = create_customer(
        &app,
        &org,
        json!({"email": " Jane@Example.com ", "name": "Jane", "external_id": "usr_1"}),
    )
    .await;
    assert_eq!(customer["email"], "jane@example.com");
    assert_eq!(customer["type"], "individual");
    assert_eq!(customer["external_id"], "usr_1");
    for field in [
        "email_verified",
        "billing_name",
        "billing_address",
        "tax_id",
        "organization_id",
        "deleted_at",
        "avatar_url",
        "metadata",
    ] {
        assert!(customer.get(field).is_some(), "{field} missing");
    }
    let (status, members) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customers/{}/members", id(&customer)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(members["items"][0]["role"], "owner");
    assert_eq!(members["items"][0]["email"], "jane@example.com");
    assert_eq!(members["items"][0]["customer_id"], customer["id"]);
    let events: Vec<String> = app
        .store()
        .events(org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(events, ["customer.created", "member.created"]);
}

async fn a_team_customer_may_name_a_different_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let customer = create_customer(&app, &org, json!({"type": "team", "name": "Globex", "owner": {"email": "boss@globex.com", "name": "Boss"}})).await;
    assert_eq!(customer["type"], "team");
    assert!(customer["email"].is_null());
    let (_, members) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customers/{}/members", id(&customer)),
        )
        .await,
    )
    .await;
    assert_eq!(members["items"][0]["email"], "boss@globex.com");
    assert_eq!(members["items"][0]["name"], "Boss");
    let nobody = json!({"type": "team", "name": "Nobody"});
    let error = assert_error(
        app.post_as(&org.token, "/v1/customers", &nobody).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "owner"]));
}

async fn a_duplicate_external_id_or_email_is_a_422_and_nothing_is_created(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    create_customer(
        &app,
        &org,
        json!({"email": "a@example.com", "external_id": "usr_1"}),
    )
    .await;
    let same_external = json!({"email": "b@example.com", "external_id": "usr_1"});
    let error = assert_error(
        app.post_as(&org.token, "/v1/customers", &same_external)
            .await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "external_id"]),
        "{error}"
    );
    let same_email = json!({"email": "A@EXAMPLE.COM"});
    let error = assert_error(
        app.post_as(&org.token, "/v1/customers", &same_email).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "email"]),
        "{error}"
    );
    let (_, list) = json(app.get_as(&org.token, "/v1/customers").await).await;
    assert_eq!(list["pagination"]["total_count"], 1);
    // Another organization may use the same values.
    let other = app.create_org("other").await;
    create_customer(
        &app,
        &other,
        json!({"email": "a@example.com", "external_id": "usr_1"}),
    )
    .await;
}

async fn an_invalid_email_is_a_422_at_the_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let error = assert_error(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "not-an-email"}),
        )
        .await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "email"]));
    assert!(
        error["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("not a valid email address")
    );
}

async fn customers_are_found_by_id_external_id_email_and_query(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let jane = create_customer(
        &app,
        &org,
        json!({"email": "jane@example.com", "name": "Jane Doe", "external_id": "usr_jane"}),
    )
    .await;
    create_customer(
        &app,
        &org,
        json!({"email": "bob@example.com", "name": "Bob"}),
    )
    .await;
    let (_, by_external) = json(
        app.get_as(&org.token, "/v1/customers/external/usr_jane")
            .await,
    )
    .await;
    assert_eq!(by_external["id"], jane["id"]);
    assert_error(
        app.get_as(&org.token, "/v1/customers/external/nobody")
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, newest_first) = json(app.get_as(&org.token, "/v1/customers").await).await;
    assert_eq!(newest_first["items"][0]["name"], "Bob");
    let (_, by_email) = json(
        app.get_as(&org.token, "/v1/customers?email=JANE@example.com")
            .await,
    )
    .await;
    assert_eq!(by_email["pagination"]["total_count"], 1);
    let (_, by_query) = json(app.get_as(&org.token, "/v1/customers?query=doe").await).await;
    assert_eq!(by_query["items"][0]["id"], jane["id"]);
    let other = app.create_org("other").await;
    assert_error(
        app.get_as(&other.token, &format!("/v1/customers/{}", id(&jane)))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn a_customer_is_updated_and_deleted_with_its_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let customer = create_customer(&app, &org, json!({"email": "jane@example.com"})).await;
    let path = format!("/v1/customers/{}", id(&customer));
    let (status, updated) = json(
        app.patch_as(
            &org.token,
            &path,
            &json!({"name": "Jane", "type": "team", "metadata": {"plan": "pro"}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Jane");
    assert_eq!(updated["type"], "team");
    assert_eq!(updated["metadata"]["plan"], "pro");
    let back = json!({"type": "individual"});
    assert_error(
        app.patch_as(&org.token, &path, &back).await,
        422,
        "RequestValidationError",
    )
    .await;

    assert_eq!(app.delete_as(&org.token, &path).await.status(), 204);
    assert_error(app.get_as(&org.token, &path).await, 404, "ResourceNotFound").await;
    assert_error(
        app.get_as(&org.token, &format!("{path}/members")).await,
        404,
        "ResourceNotFound",
    )
    .await;
    // The email is free again.
    create_customer(&app, &org, json!({"email": "jane@example.com"})).await;
}

async fn members_are_unique_per_customer_and_the_owner_stays(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let customer = create_customer(
        &app,
        &org,
        json!({"type": "team", "email": "billing@globex.com"}),
    )
    .await;
    let members = format!("/v1/customers/{}/members", id(&customer));
    let (status, bob) = json(
        app.post_as(
            &org.token,
            &members,
            &json!({"email": "Bob@Globex.com", "name": "Bob", "external_id": "u_bob"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{bob}");
    assert_eq!(bob["role"], "member");
    assert_eq!(bob["email"], "bob@globex.com");
    let again = json!({"email": "BOB@globex.com"});
    let error = assert_error(
        app.post_as(&org.token, &members, &again).await,
        422,
        "RequestValidationError",
    )
    .await;
    assert_eq!(error["detail"][0]["loc"], json!(["body", "email"]));
    let second_owner = json!({"email": "x@globex.com", "role": "owner"});
    assert_error(
        app.post_as(&org.token, &members, &second_owner).await,
        422,
        "RequestValidationError",
    )
    .await;

    let bob_path = format!("{members}/{}", id(&bob));
    let (_, promoted) = json(
        app.patch_as(&org.token, &bob_path, &json!({"role": "billing_manager"}))
            .await,
    )
    .await;
    assert_eq!(promoted["role"], "billing_manager");
    let (_, list) = json(app.get_as(&org.token, &members).await).await;
    let owner_id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let owner_path = format!("{members}/{owner_id}");
    assert_error(
        app.delete_as(&org.token, &owner_path).await,
        400,
        "NotPermitted",
    )
    .await;
    assert_eq!(app.delete_as(&org.token, &bob_path).await.status(), 204);
    assert_error(
        app.get_as(&org.token, &bob_path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, list) = json(app.get_as(&org.token, &members).await).await;
    assert_eq!(list["pagination"]["total_count"], 1);
    let events: Vec<String> = app
        .store()
        .events(org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        events,
        [
            "customer.created",
            "member.created",
            "member.created",
            "member.updated",
            "member.deleted"
        ]
    );
}

async fn a_malformed_member_id_is_a_422_at_path_member_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let customer = create_customer(&app, &org, json!({"email": "jane@example.com"})).await;
    let path = format!("/v1/customers/{}/members/nope", id(&customer));
    assert_validation(
        app.get_as(&org.token, &path).await,
        json!(["path", "member_id"]),
        "uuid_parsing",
    )
    .await;
}

async fn a_customer_session_opens_the_portal_for_the_owner_or_a_member(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let customer = create_customer(
        &app,
        &org,
        json!({"email": "jane@example.com", "external_id": "usr_jane"}),
    )
    .await;
    let (status, session) = json(
        app.post_as(
            &org.token,
            "/v1/customer-sessions",
            &json!({"customer_id": customer["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let token = session["token"].as_str().unwrap();
    assert!(token.starts_with("skp_cst_"));
    assert_eq!(session["customer_id"], customer["id"]);
    assert_eq!(session["customer"]["email"], "jane@example.com");
    assert_eq!(
        session["customer_portal_url"],
        format!("{}/acme/portal?customer_session_token={token}", app.url(""))
    );
    let created =
        chrono::DateTime::parse_from_rfc3339(session["created_at"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(session["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::TimeDelta::hours(1));

    let (status, by_external) = json(
        app.post_as(
            &org.token,
            "/v1/customer-sessions",
            &json!({"external_customer_id": "usr_jane"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{by_external}");
    assert_ne!(by_external["token"], session["token"]);
    let unknown_member = json!({"customer_id": customer["id"], "member_id": uuid::Uuid::now_v7()});
    assert_error(
        app.post_as(&org.token, "/v1/customer-sessions", &unknown_member)
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.post_as(&org.token, "/v1/customer-sessions", &json!({}))
            .await,
        422,
        "RequestValidationError",
    )
    .await;
    let unknown_customer = json!({"external_customer_id": "nobody"});
    assert_error(
        app.post_as(&org.token, "/v1/customer-sessions", &unknown_customer)
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

both_backends!(
    a_customer_is_created_with_its_owner_member_and_both_events,
    a_team_customer_may_name_a_different_owner,
    a_duplicate_external_id_or_email_is_a_422_and_nothing_is_created,
    an_invalid_email_is_a_422_at_the_email,
    customers_are_found_by_id_external_id_email_and_query,
    a_customer_is_updated_and_deleted_with_its_members,
    members_are_unique_per_customer_and_the_owner_stays,
    a_malformed_member_id_is_a_422_at_path_member_id,
    a_customer_session_opens_the_portal_for_the_owner_or_a_member,
);
