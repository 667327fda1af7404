//! `/v1`: the Polar-compatible REST API, one module per resource.

pub(crate) mod organizations;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::startup::AppState;

/// Every documented `/v1` route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(organizations::list))
        .routes(routes!(organizations::get_one))
}
