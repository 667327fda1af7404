//! Organization access tokens on the merchant API: missing, unknown, malformed, lacking a scope,
//! and another organization's object.

use crate::{both_backends, helpers::*};

async fn a_request_without_a_token_is_a_401_in_polar_shape(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let response = app.get(&format!("/v1/organizations/{}", org.id)).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_error(response, 401, "Unauthorized").await;
}

async fn an_unknown_token_is_a_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let forged = format!("{}x", org.token);
    assert_error(
        app.get_as(&forged, &format!("/v1/organizations/{}", org.id))
            .await,
        401,
        "Unauthorized",
    )
    .await;
}

async fn a_header_that_is_not_a_bearer_token_is_a_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let response = app
        .client
        .get(app.url(&format!("/v1/organizations/{}", org.id)))
        .header("authorization", format!("Basic {}", org.token))
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "Unauthorized").await;
}

async fn a_valid_token_reads_its_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (status, body) = json(
        app.get_as(&org.token, &format!("/v1/organizations/{}", org.id))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], org.id.to_string());
}

async fn a_token_without_the_scope_is_a_403(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let token = app.token_with(&org, "products:read").await;
    let body = assert_error(
        app.get_as(&token, &format!("/v1/organizations/{}", org.id))
            .await,
        403,
        "NotPermitted",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("organizations:read"),
        "{body}"
    );
}

async fn a_read_scope_alone_is_enough_to_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let token = app.token_with(&org, "organizations:read").await;
    assert_eq!(
        app.get_as(&token, &format!("/v1/organizations/{}", org.id))
            .await
            .status(),
        200
    );
}

async fn another_organizations_id_is_a_404_not_a_403(backend: Backend) {
    let app = spawn_app(backend).await;
    let mine = app.create_org("mine").await;
    let theirs = app.create_org("theirs").await;
    assert_error(
        app.get_as(&mine.token, &format!("/v1/organizations/{}", theirs.id))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn a_nonexistent_organization_id_is_a_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let path = format!("/v1/organizations/{}", uuid::Uuid::now_v7());
    assert_error(app.get_as(&org.token, &path).await, 404, "ResourceNotFound").await;
}

both_backends!(
    a_request_without_a_token_is_a_401_in_polar_shape,
    an_unknown_token_is_a_401,
    a_header_that_is_not_a_bearer_token_is_a_401,
    a_valid_token_reads_its_organization,
    a_token_without_the_scope_is_a_403,
    a_read_scope_alone_is_enough_to_read,
    another_organizations_id_is_a_404_not_a_403,
    a_nonexistent_organization_id_is_a_404,
);
