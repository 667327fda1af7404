//! `/v1/customer-seats`: assign, list and revoke seats (merchant API). Thin handlers over the seats
//! service.

use app::{
    model::{
        ErrorBody, OrderId, SeatId, SubscriptionId,
        seat::{CustomerSeat, SeatAssign, SeatsList},
    },
    server::{service::ServiceError, store::SeatPool},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    rest::{
        error::ApiError,
        extract::{self, OrgAuth, Path, Query},
    },
    startup::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PoolParams {
    #[param(value_type = Option<String>, format = Uuid)]
    subscription_id: Option<SubscriptionId>,
    #[param(value_type = Option<String>, format = Uuid)]
    order_id: Option<OrderId>,
}

/// List the seats of one pool (give exactly one of `subscription_id` and `order_id`).
#[utoipa::path(get, path = "/v1/customer-seats", tag = "customer-seats", params(PoolParams),
    responses((status = 200, body = SeatsList), (status = 400, description = "Not exactly one pool.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:read", "customer_seats:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<PoolParams>,
) -> Result<Json<SeatsList>, ApiError> {
    let pool = match (params.subscription_id, params.order_id) {
        (Some(id), None) => SeatPool::Subscription(id),
        (None, Some(id)) => SeatPool::Order(id),
        _ => {
            return Err(ApiError(ServiceError::Rejected {
                error: "InvalidSeatAssignmentRequest",
                detail: "give exactly one of subscription_id and order_id".into(),
            }));
        }
    };
    Ok(Json(state.services.list_seats(&caller, pool).await?))
}

/// Assign a seat of a pool to a person by email: the seat is pending until its invitation is claimed.
#[utoipa::path(post, path = "/v1/customer-seats", tag = "customer-seats", request_body = SeatAssign,
    responses((status = 200, body = CustomerSeat),
        (status = 400, description = "`SeatNotAvailable` (pool full or not usable) or `SeatAlreadyAssigned`.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:write"])))]
pub(crate) async fn assign(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<SeatAssign>,
) -> Result<Json<CustomerSeat>, ApiError> {
    Ok(Json(state.services.assign_seat(&caller, body).await?))
}

/// Revoke a seat (idempotent); its place in the pool is freed.
#[utoipa::path(delete, path = "/v1/customer-seats/{seat_id}", tag = "customer-seats",
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerSeat), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:write"])))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(seat_id): Path<SeatId>,
) -> Result<Json<CustomerSeat>, ApiError> {
    Ok(Json(state.services.revoke_seat(&caller, seat_id).await?))
}
