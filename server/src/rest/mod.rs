//! The REST API (`/v1/...`) and the health probes. Handlers are thin: extract, call one service,
//! serialize. Errors become responses in one place ([`error::ApiError`]).

pub mod error;
pub mod extract;
mod health;
mod test_clock;
pub mod v1;

use axum::{Router, routing::get};

use crate::startup::AppState;

/// Health probes and the versioned API. The test-clock routes exist only in test mode.
pub fn router(test_mode: bool) -> Router<AppState> {
    let mut v1 = v1::router();
    if test_mode {
        v1 = v1.merge(test_clock::router());
    }
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest(
            "/v1",
            v1.fallback(error::unknown_path)
                .method_not_allowed_fallback(error::method_not_allowed),
        )
}
