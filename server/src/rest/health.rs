//! Probes for load balancers and orchestrators: `/healthz` says the process is alive, `/readyz` that
//! it can reach its database (503 otherwise).

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::startup::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive.", example = json!({"status": "ok"}))))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers. `email` says where emails go (`smtp`, `development mailbox`, or
/// `queued: ...` when they wait in the outbox for want of an SMTP server).
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready.", example = json!({"status": "ready", "database": "SQLite", "email": "smtp"})),
    (status = 503, description = "The database is unreachable."),
))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.services.database_name();
    let email = state.mail.describe();
    match state.services.database_ready().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": database, "email": email })),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "unavailable", "database": database, "email": email, "detail": "the database is not reachable" }),
                ),
            )
        }
    }
}
