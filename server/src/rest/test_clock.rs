//! Test mode only (`seatkeeper serve --test-clock`): read and advance the server's clock, so that
//! invitation expiry, payment reconciliation and renewals can be exercised end to end; and read the
//! built-in test payment provider's ledger, so tests can count charges and refunds. Without test mode
//! these routes do not exist and answer 404 like any unknown path.

use app::server::{service::ServiceError, store::TestCharge};
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
        .route("/v1/_test/payments", get(payments))
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
        .ok_or_else(|| ApiError(ServiceError::not_found("Test clock")))?;
    Ok(ClockState {
        now: state.services.now(),
        offset_seconds: clock.offset().num_seconds(),
    })
}

async fn read(State(state): State<AppState>) -> Result<Json<ClockState>, ApiError> {
    state_of(&state).map(Json)
}

/// Moves time forward, then runs what became due (the payment sweeper) before answering.
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
    state.services.run_due_work().await?;
    state_of(&state).map(Json)
}

#[derive(Serialize)]
struct LedgerCharge {
    reference: String,
    idempotency_key: String,
    created_at: DateTime<Utc>,
    amount: i64,
    currency: String,
    refunded_at: Option<DateTime<Utc>>,
}

impl From<TestCharge> for LedgerCharge {
    fn from(c: TestCharge) -> Self {
        Self {
            reference: c.reference,
            idempotency_key: c.idempotency_key,
            created_at: c.created_at,
            amount: c.amount.get(),
            currency: c.currency.to_string(),
            refunded_at: c.refunded_at,
        }
    }
}

/// Every charge of the test payment provider, oldest first.
async fn payments(State(state): State<AppState>) -> Result<Json<Vec<LedgerCharge>>, ApiError> {
    state_of(&state)?;
    let charges = state.services.test_charges().await?;
    Ok(Json(charges.into_iter().map(LedgerCharge::from).collect()))
}
