//! The test clock of `serve --test-clock`: frozen, moved forward only through its endpoints with an
//! organization token, and absent otherwise.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use crate::{both_backends, helpers::*};

fn time_of(body: &serde_json::Value) -> DateTime<Utc> {
    body["now"].as_str().unwrap().parse().unwrap()
}

async fn the_test_clock_stands_still_until_it_is_advanced(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.clock_token().await.to_owned();
    let (status, before) = json(app.get_as(&token, "/v1/test-clock").await).await;
    assert_eq!(status, 200, "{before}");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (_, still) = json(app.get_as(&token, "/v1/test-clock").await).await;
    assert_eq!(still, before);

    let (status, after) = json(app.advance_clock(&json!({"seconds": 90000})).await).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        time_of(&after) - time_of(&before),
        TimeDelta::seconds(90000)
    );
    assert_eq!(app.services.now(), time_of(&after));
}

async fn the_test_clock_moves_to_a_given_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let to = app.services.now() + TimeDelta::days(40);
    let (status, after) = json(app.advance_clock(&json!({ "to": to })).await).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(time_of(&after), to);
    // Moving to the time it already reads is allowed and changes nothing.
    let (status, again) = json(app.advance_clock(&json!({ "to": to })).await).await;
    assert_eq!((status, time_of(&again)), (200, to));
}

async fn the_clock_cannot_go_backwards(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_validation(
        app.advance_clock(&json!({"seconds": -5})).await,
        json!(["body", "seconds"]),
        "value_error",
    )
    .await;
    let earlier = app.services.now() - TimeDelta::seconds(1);
    assert_validation(
        app.advance_clock(&json!({ "to": earlier })).await,
        json!(["body", "to"]),
        "value_error",
    )
    .await;
}

async fn one_advance_moves_at_most_ten_years(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.services.now();
    assert_validation(
        app.advance_clock(&json!({"to": "9999-12-31T00:00:00Z"}))
            .await,
        json!(["body", "to"]),
        "value_error",
    )
    .await;
    assert_validation(
        app.advance_clock(&json!({"seconds": 11 * 366 * 24 * 3600}))
            .await,
        json!(["body", "seconds"]),
        "value_error",
    )
    .await;
    assert_eq!(app.services.now(), before);
}

async fn an_advance_names_exactly_one_of_to_and_seconds(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.services.now();
    let to = before + TimeDelta::days(1);
    for body in [json!({}), json!({"seconds": 5, "to": to})] {
        assert_validation(
            app.advance_clock(&body).await,
            json!(["body"]),
            "value_error",
        )
        .await;
    }
    assert_eq!(
        app.services.now(),
        before,
        "a refused advance moves nothing"
    );
}

async fn the_test_clock_needs_an_organization_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.services.now();
    assert_error(app.get("/v1/test-clock").await, 401, "Unauthorized").await;
    assert_error(
        app.post_json("/v1/test-clock/advance", &json!({"seconds": 5}))
            .await,
        401,
        "Unauthorized",
    )
    .await;
    assert_eq!(app.services.now(), before, "a stranger moved the clock");
}

async fn without_test_mode_the_clock_endpoints_do_not_exist(backend: Backend) {
    let app = spawn_app_with(
        backend,
        AppOptions {
            test_mode: false,
            ..AppOptions::default()
        },
    )
    .await;
    let org = app.create_org("acme").await;
    assert_error(
        app.get_as(&org.token, "/v1/test-clock").await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.post_as(&org.token, "/v1/test-clock/advance", &json!({"seconds": 5}))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    // The old unauthenticated paths are gone in every mode.
    let test_mode = spawn_app(backend).await;
    assert_error(
        test_mode.get("/v1/_test/clock").await,
        404,
        "ResourceNotFound",
    )
    .await;
}

both_backends!(
    the_test_clock_stands_still_until_it_is_advanced,
    the_test_clock_moves_to_a_given_time,
    the_clock_cannot_go_backwards,
    one_advance_moves_at_most_ten_years,
    an_advance_names_exactly_one_of_to_and_seconds,
    the_test_clock_needs_an_organization_token,
    without_test_mode_the_clock_endpoints_do_not_exist,
);
