//! Test mode only (`seatkeeper serve --test-clock`): read and advance the server's clock, so that
//! invitation expiry and renewals can be exercised end to end. Without test mode these routes do not
//! exist and answer 404 like any unknown path.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{error::ApiError, extract};
use crate::startup::AppState;

/// Longest single jump: ten years.
const MAX_ADVANCE_SECONDS: i64 = 10 * 366 * 24 * 60 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/_test/clock", get(read))
        .route("/v1/_test/clock/advance", post(advance))
}

#[derive(Serialize)]
struct ClockState {
    now: DateTime<Utc>,
    offset_seconds: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

fn state_of(state: &AppState) -> Result<ClockState, ApiError> {
    let clock = state
        .test_clock
        .as_ref()
        .ok_or_else(|| ApiError(app::server::service::ServiceError::not_found("Test clock")))?;
    Ok(ClockState {
        now: state.services.now(),
        offset_seconds: clock.offset().num_seconds(),
    })
}

async fn read(State(state): State<AppState>) -> Result<Json<ClockState>, ApiError> {
    state_of(&state).map(Json)
}

async fn advance(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<Advance>,
) -> Result<Json<ClockState>, ApiError> {
    if !(1..=MAX_ADVANCE_SECONDS).contains(&body.seconds) {
        return Err(ApiError::validation(
            vec!["body".into(), "seconds".into()],
            format!("seconds must be between 1 and {MAX_ADVANCE_SECONDS}"),
            "value_error",
        ));
    }
    if let Some(clock) = &state.test_clock {
        clock.advance(TimeDelta::seconds(body.seconds));
    }
    state_of(&state).map(Json)
}
