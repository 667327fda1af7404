//! Test mode only (`seatkeeper serve --test-clock`): read and advance the server's frozen clock
//! (`GET /v1/test-clock`, `POST /v1/test-clock/advance`, with an organization token), so that
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

use super::{
    error::ApiError,
    extract::{self, OrgAuth},
};
use crate::startup::AppState;

/// Longest single jump: ten years (so no date computed from the clock can overflow).
const MAX_ADVANCE_SECONDS: i64 = 10 * 366 * 24 * 60 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/test-clock", get(read))
        .route("/v1/test-clock/advance", post(advance))
        .route("/v1/_test/payments", get(payments))
}

#[derive(Serialize)]
struct ClockState {
    now: DateTime<Utc>,
}

/// `{"to": RFC3339}` or `{"seconds": n}`: exactly one of them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    to: Option<DateTime<Utc>>,
    seconds: Option<i64>,
}

fn clock_of(state: &AppState) -> Result<&app::server::clock::TestClock, ApiError> {
    state
        .test_clock
        .as_ref()
        .ok_or_else(|| ApiError(ServiceError::not_found("Test clock")))
}

/// The server's time. Any organization's token may read it.
async fn read(
    State(state): State<AppState>,
    OrgAuth(_caller): OrgAuth,
) -> Result<Json<ClockState>, ApiError> {
    clock_of(&state)?;
    Ok(Json(ClockState {
        now: state.services.now(),
    }))
}

/// Moves time forward, then runs what became due before answering (payments, renewals, reminders,
/// and sending the email outbox when a mailer runs), so a test can assert at once.
/// The clock is the whole server's: any organization's token may move it (test mode only).
async fn advance(
    State(state): State<AppState>,
    OrgAuth(_caller): OrgAuth,
    extract::Json(body): extract::Json<Advance>,
) -> Result<Json<ClockState>, ApiError> {
    let clock = clock_of(&state)?;
    let longest = TimeDelta::seconds(MAX_ADVANCE_SECONDS);
    let (field, moved) = match (body.to, body.seconds) {
        (Some(to), None) if to - state.services.now() <= longest => ("to", clock.advance_to(to)),
        (None, Some(seconds)) if (1..=MAX_ADVANCE_SECONDS).contains(&seconds) => {
            ("seconds", clock.advance_by(TimeDelta::seconds(seconds)))
        }
        (Some(_), None) | (None, Some(_)) => {
            let field = if body.to.is_some() { "to" } else { "seconds" };
            return Err(ApiError::validation(
                vec!["body".into(), field.into()],
                format!(
                    "time moves forward by 1 second to {MAX_ADVANCE_SECONDS} seconds at a time"
                ),
                "value_error",
            ));
        }
        _ => {
            return Err(ApiError::validation(
                vec!["body".into()],
                "give exactly one of `to` (an RFC 3339 time) and `seconds`",
                "value_error",
            ));
        }
    };
    moved.map_err(|e| {
        ApiError::validation(
            vec!["body".into(), field.into()],
            e.to_string(),
            "value_error",
        )
    })?;
    state.services.run_due_work().await?;
    // The emails that work queued go out before the answer, as the mailer would send them.
    if let Some(mailer) = &state.mailer {
        mailer.deliver_due().await?;
    }
    Ok(Json(ClockState {
        now: state.services.now(),
    }))
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
    clock_of(&state)?;
    let charges = state.services.test_charges().await?;
    Ok(Json(charges.into_iter().map(LedgerCharge::from).collect()))
}
