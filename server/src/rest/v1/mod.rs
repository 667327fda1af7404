//! `/v1`: the Polar-compatible REST API, one module per resource.

mod organizations;

use axum::Router;

use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new().merge(organizations::router())
}
