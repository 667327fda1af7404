//! The REST API (`/v1/...`), the health probes and the OpenAPI document. Handlers are thin: extract,
//! call one service, serialize. Errors become responses in one place ([`error::ApiError`]).
//!
//! Documented routes are registered through `utoipa_axum::routes!`, which takes each route's path
//! from the handler's `#[utoipa::path]`: a route cannot exist without being in `/openapi.json`.

mod dev_mailbox;
pub mod error;
pub mod extract;
pub mod gzip;
mod health;
pub(crate) mod idempotency;
mod openapi;
mod test_clock;
pub mod v1;

use std::sync::Arc;

use axum::{
    Json, Router,
    routing::{any, get},
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::startup::AppState;

/// Health probes, the versioned API and its document. The test routes exist only in test mode, the
/// development mailbox only with `--dev-mailbox` (or `--demo`) on a loopback address.
pub fn router(state: &AppState) -> Router<AppState> {
    let (mut router, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .merge(v1::router())
        .split_for_parts();
    if state.test_clock.is_some() {
        router = router.merge(test_clock::router());
    }
    if state.mail == crate::config::MailDelivery::DevMailbox {
        router = router.route("/dev/mailbox", get(dev_mailbox::page));
    }
    let document = Arc::new(document);
    router
        .route(
            "/openapi.json",
            get(move || async move { Json(document.as_ref().clone()) }),
        )
        .route("/v1", any(error::unknown_path))
        .route("/v1/{*rest}", any(error::unknown_path))
        .method_not_allowed_fallback(error::method_not_allowed)
}
