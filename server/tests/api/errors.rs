//! Error shapes of the HTTP layer: unknown paths, wrong methods, malformed path, query and body
//! values, and the cross-cutting headers.

use serde_json::json;

use crate::{both_backends, helpers::*};

async fn an_unknown_v1_path_is_a_json_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = assert_error(app.get("/v1/no-such-thing").await, 404, "ResourceNotFound").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/no-such-thing")
    );
}

async fn a_wrong_method_on_a_known_path_is_a_json_405(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .delete(app.url("/v1/organizations"))
        .send()
        .await
        .unwrap();
    assert_error(response, 405, "MethodNotAllowed").await;
}

async fn a_malformed_uuid_in_the_path_is_a_422_at_path_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    assert_validation(
        app.get_as(&org.token, "/v1/organizations/not-a-uuid").await,
        json!(["path", "id"]),
        "uuid_parsing",
    )
    .await;
}

async fn a_query_value_of_the_wrong_type_is_a_422_at_its_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    assert_validation(
        app.get_as(&org.token, "/v1/organizations?limit=ten").await,
        json!(["query", "limit"]),
        "value_error",
    )
    .await;
}

async fn a_limit_over_one_hundred_is_a_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    assert_validation(
        app.get_as(&org.token, "/v1/organizations?limit=101").await,
        json!(["query", "limit"]),
        "less_than_equal",
    )
    .await;
}

async fn malformed_json_is_a_422_json_invalid(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.clock_token().await;
    let response = app
        .post_raw_as(
            token,
            "/v1/test-clock/advance",
            "application/json",
            "{\"seconds\": ",
        )
        .await;
    assert_validation(response, json!(["body"]), "json_invalid").await;
}

async fn a_field_of_the_wrong_type_is_a_422_at_that_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.advance_clock(&json!({"seconds": "soon"})).await;
    assert_validation(response, json!(["body", "seconds"]), "value_error").await;
}

async fn a_missing_field_is_a_422_at_that_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    assert_validation(
        app.post_as(&org.token, "/v1/customers", &json!({})).await,
        json!(["body", "email"]),
        "missing",
    )
    .await;
}

async fn a_body_that_is_not_json_is_a_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.clock_token().await;
    let response = app
        .post_raw_as(token, "/v1/test-clock/advance", "text/plain", "seconds=5")
        .await;
    assert_validation(response, json!(["body"]), "model_attributes_type").await;
}

async fn a_trailing_slash_reaches_the_same_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (status, body) = json(app.get_as(&org.token, "/v1/organizations/").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pagination"]["total_count"], 1);
}

async fn every_response_carries_a_request_id_and_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/healthz").await;
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

async fn a_request_id_sent_by_the_client_is_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
}

async fn responses_are_compressed_when_the_client_accepts_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

async fn a_nul_character_in_any_text_is_a_422_that_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    for path in [
        "/v1/customers?query=a%00b",
        "/v1/products?query=%00",
        "/v1/webhooks/deliveries?query=x%00",
        "/v1/customer-seats?subscription_id=00000000-0000-0000-0000-000000000000&x%00=1",
    ] {
        assert_validation(
            app.get_as(&org.token, path).await,
            json!(["query"]),
            "string_type",
        )
        .await;
    }
    let response = app
        .post_raw_as(
            &org.token,
            "/v1/customers",
            "application/json",
            r#"{"email": "jane@globex.example", "name": "Jane\u0000Doe"}"#,
        )
        .await;
    assert_validation(response, json!(["body"]), "string_type").await;
    // A backslash followed by "u0000" is text like any other.
    let response = app
        .post_raw_as(
            &org.token,
            "/v1/customers",
            "application/json",
            r#"{"email": "jane@globex.example", "name": "Jane\\u0000Doe"}"#,
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.integers("SELECT COUNT(*) FROM customers").await, [1]);
    // A path the server looks up as text: not found, never a failure of the server.
    let response = app.get_as(&org.token, "/v1/customers/external/a%00b").await;
    assert!(
        [404, 422].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );
}

both_backends!(
    a_nul_character_in_any_text_is_a_422_that_writes_nothing,
    an_unknown_v1_path_is_a_json_404,
    a_wrong_method_on_a_known_path_is_a_json_405,
    a_malformed_uuid_in_the_path_is_a_422_at_path_id,
    a_query_value_of_the_wrong_type_is_a_422_at_its_name,
    a_limit_over_one_hundred_is_a_422,
    malformed_json_is_a_422_json_invalid,
    a_field_of_the_wrong_type_is_a_422_at_that_field,
    a_missing_field_is_a_422_at_that_field,
    a_body_that_is_not_json_is_a_422,
    a_trailing_slash_reaches_the_same_endpoint,
    every_response_carries_a_request_id_and_security_headers,
    a_request_id_sent_by_the_client_is_kept,
    responses_are_compressed_when_the_client_accepts_it,
);
