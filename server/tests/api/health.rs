//! `/healthz` and `/readyz`.

use crate::{both_backends, helpers::*};

async fn healthz_answers_ok_as_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = json(app.get("/healthz").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}

async fn readyz_reports_the_database_it_reached(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = json(app.get("/readyz").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
    let expected = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    assert_eq!(body["database"], expected);
}

async fn readyz_answers_503_once_the_database_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.store().close().await;
    let (status, body) = json(app.get("/readyz").await).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unavailable");
    // Liveness is unaffected.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

both_backends!(
    healthz_answers_ok_as_json,
    readyz_reports_the_database_it_reached,
    readyz_answers_503_once_the_database_is_gone,
);
