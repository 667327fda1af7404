//! The test clock endpoints of `serve --test-clock`, and their absence otherwise.

use serde_json::json;

use crate::{both_backends, helpers::*};

async fn advancing_the_test_clock_moves_server_time_forward(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, before) = json(app.get("/v1/_test/clock").await).await;
    assert_eq!(status, 200);
    assert_eq!(before["offset_seconds"], 0);
    let (status, after) = json(
        app.post_json("/v1/_test/clock/advance", &json!({"seconds": 90000}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["offset_seconds"], 90000);
    assert!(app.services.now() - chrono::Utc::now() >= chrono::TimeDelta::hours(24));
}

async fn the_clock_cannot_go_backwards(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post_json("/v1/_test/clock/advance", &json!({"seconds": -5}))
        .await;
    assert_validation(response, json!(["body", "seconds"]), "value_error").await;
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
    assert_error(app.get("/v1/_test/clock").await, 404, "ResourceNotFound").await;
    assert_error(
        app.post_json("/v1/_test/clock/advance", &json!({"seconds": 5}))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

both_backends!(
    advancing_the_test_clock_moves_server_time_forward,
    the_clock_cannot_go_backwards,
    without_test_mode_the_clock_endpoints_do_not_exist,
);
