//! `/v1/customer-seats`: the merchant's seat API (assign, list, read, revoke, resend, transfer,
//! audit log)
//! and the public invitation endpoints (claim info, claim). Thin handlers over the seats service.

use app::{
    model::{
        ErrorBody, OrderId, PageRequest, SeatId, SubscriptionId,
        page::SEAT_LIST_LIMIT,
        seat::{
            CustomerSeat, CustomerSeatClaimResponse, SeatAssign, SeatAuditLog, SeatClaim,
            SeatClaimInfo, SeatPool, SeatStatus, SeatTransfer, SeatsList,
        },
    },
    server::service::{Credential, SeatCaller, ServiceError},
};
use axum::{Json, extract::State, response::Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    rest::{
        error::ApiError,
        extract::{self, Bearer, OrgAuth, Path, Query},
        gzip,
    },
    startup::AppState,
};

/// The pool of a seat list or audit log (exactly one of `subscription_id` and `order_id`), and
/// which page. Any other key is a 422.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolParams {
    #[param(value_type = Option<String>, format = Uuid)]
    subscription_id: Option<SubscriptionId>,
    #[param(value_type = Option<String>, format = Uuid)]
    order_id: Option<OrderId>,
    /// Only seats in this status (seat lists only).
    #[param(value_type = Option<SeatStatus>)]
    status: Option<SeatStatus>,
    /// Page number, from 1.
    page: Option<u32>,
    /// Items per page: a seat list's first page holds up to 1,000 seats (a whole pool) by default
    /// and at most; an audit log's 10 by default, at most 100.
    limit: Option<u32>,
}

impl PoolParams {
    /// The named pool; 400 `InvalidSeatAssignmentRequest` unless exactly one is given.
    pub(crate) fn pool(&self) -> Result<SeatPool, ApiError> {
        match (self.subscription_id, self.order_id) {
            (Some(id), None) => Ok(SeatPool::Subscription(id)),
            (None, Some(id)) => Ok(SeatPool::Order(id)),
            _ => Err(ApiError(ServiceError::rejected(
                "InvalidSeatAssignmentRequest",
                "give exactly one of subscription_id and order_id",
            ))),
        }
    }

    /// The page of an audit log.
    pub(crate) fn audit_page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.page, self.limit).map_err(ServiceError::Validation)?)
    }

    /// The pool, status filter and page a seat list asks for, from the extracted query.
    pub(crate) fn asked(
        params: Result<Query<Self>, ApiError>,
    ) -> Result<(SeatPool, Option<SeatStatus>, PageRequest), ApiError> {
        let Query(params) = params?;
        let page = PageRequest::within(params.page, params.limit, SEAT_LIST_LIMIT, SEAT_LIST_LIMIT)
            .map_err(ServiceError::Validation)?;
        Ok((params.pool()?, params.status, page))
    }
}

/// List the seats of one pool, oldest first, revoked ones included (give exactly one of
/// `subscription_id` and `order_id`; optionally a `status`).
#[utoipa::path(get, path = "/v1/customer-seats", tag = "customer-seats", params(PoolParams),
    responses((status = 200, body = SeatsList), (status = 400, description = "Not exactly one pool.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:read", "customer_seats:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    accepts_gzip: gzip::AcceptsGzip,
    params: Result<Query<PoolParams>, ApiError>,
) -> Result<Response, ApiError> {
    list_for(
        &state,
        Credential::AccessToken(&token),
        accepts_gzip,
        params,
    )
    .await
}

/// A seat list for whoever presents `credential` (the merchant's token or a portal session). The
/// caller and the pool's context are one read; a current list is answered from memory.
pub(crate) async fn list_for(
    state: &AppState,
    credential: Credential<'_>,
    accepts_gzip: gzip::AcceptsGzip,
    params: Result<Query<PoolParams>, ApiError>,
) -> Result<Response, ApiError> {
    let asked = PoolParams::asked(params);
    let (pool, status, page) = extract::after_credential(state, credential, asked).await?;
    let list = state
        .services
        .seat_list_json(credential, pool, status, page)
        .await?;
    Ok(state.gzip_copies.response(&list, accepts_gzip))
}

/// Assign a seat of a pool (by `subscription_id`, `order_id` or `checkout_id`) to a person named by
/// one identifier. The seat is pending until its emailed invitation is claimed, or claimed at once
/// with `immediate_claim`.
#[utoipa::path(post, path = "/v1/customer-seats", tag = "customer-seats", request_body = SeatAssign,
    responses((status = 200, body = CustomerSeat),
        (status = 400, description = "`SeatNotAvailable` (pool full or not usable), `SeatAlreadyAssigned`, \
            `MemberEmailMismatch` or `InvalidSeatAssignmentRequest`.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Pool, `CustomerNotFound` or `MemberNotFound`.", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:write"])))]
pub(crate) async fn assign(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    body: Result<extract::Json<SeatAssign>, ApiError>,
) -> Result<Json<CustomerSeat>, ApiError> {
    assign_for(&state, Credential::AccessToken(&token), body).await
}

/// Assigns a seat for whoever presents `credential`; the caller and the pool's context are one
/// read.
pub(crate) async fn assign_for(
    state: &AppState,
    credential: Credential<'_>,
    body: Result<extract::Json<SeatAssign>, ApiError>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let extract::Json(body) = extract::after_credential(state, credential, body).await?;
    Ok(Json(state.services.assign_seat(credential, body).await?))
}

/// Get one seat.
#[utoipa::path(get, path = "/v1/customer-seats/{seat_id}", tag = "customer-seats",
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerSeat), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:read", "customer_seats:write"])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(seat_id): Path<SeatId>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let caller = SeatCaller::Organization(caller);
    Ok(Json(state.services.get_seat(&caller, seat_id).await?))
}

/// Revoke a seat (idempotent): its invitation dies, its benefits are revoked and its place in the
/// pool is freed.
#[utoipa::path(delete, path = "/v1/customer-seats/{seat_id}", tag = "customer-seats",
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerSeat), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:write"])))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(seat_id): Path<SeatId>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let caller = SeatCaller::Organization(caller);
    Ok(Json(state.services.revoke_seat(&caller, seat_id).await?))
}

/// Send a pending seat's invitation again, with a new link and expiry (the old link stops working).
#[utoipa::path(post, path = "/v1/customer-seats/{seat_id}/resend", tag = "customer-seats",
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerSeat), (status = 400, description = "`SeatNotPending`.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:write"])))]
pub(crate) async fn resend(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(seat_id): Path<SeatId>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let caller = SeatCaller::Organization(caller);
    Ok(Json(state.services.resend_seat(&caller, seat_id).await?))
}

/// Reassign a seat to someone else in one step (beyond Polar): the seat is revoked with its
/// benefits and a new seat is assigned to the named holder in its place, in one transaction (the
/// pool never has a free place between the two). Answers the new seat; the audit log shows one
/// `transferred` entry.
#[utoipa::path(post, path = "/v1/customer-seats/{seat_id}/transfer", tag = "customer-seats",
    request_body = SeatTransfer,
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The new seat.", body = CustomerSeat),
        (status = 400, description = "`SeatAlreadyRevoked`, `SeatAlreadyAssigned` (the new holder already holds a seat of the pool, or this one), `SeatNotAvailable` (the pool no longer takes seats), `MemberEmailMismatch`.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such seat, or `MemberNotFound` / `CustomerNotFound` for the new holder.", body = ErrorBody),
        (status = 409, description = "`SeatChanged`: the seat changed while it was being reassigned; retry.", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:write"])))]
pub(crate) async fn transfer(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(seat_id): Path<SeatId>,
    extract::Json(body): extract::Json<SeatTransfer>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let caller = SeatCaller::Organization(caller);
    Ok(Json(
        state.services.transfer_seat(&caller, seat_id, body).await?,
    ))
}

/// The audit log of a pool: who assigned, claimed, re-sent or revoked which seat, and when.
#[utoipa::path(get, path = "/v1/customer-seats/audit-log", tag = "customer-seats", params(PoolParams),
    responses((status = 200, body = SeatAuditLog), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_seats:read", "customer_seats:write"])))]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<PoolParams>,
) -> Result<Json<SeatAuditLog>, ApiError> {
    let caller = SeatCaller::Organization(caller);
    Ok(Json(
        state
            .services
            .seat_audit_log(&caller, params.pool()?, params.audit_page()?)
            .await?,
    ))
}

/// What an invitation link leads to (public; no side effects).
#[utoipa::path(get, path = "/v1/customer-seats/claim/{invitation_token}", tag = "customer-seats",
    params(("invitation_token" = String, Path)),
    responses((status = 200, body = SeatClaimInfo),
        (status = 404, description = "`InvalidInvitationToken`: invalid, expired, claimed or revoked.", body = ErrorBody)))]
pub(crate) async fn claim_info(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<SeatClaimInfo>, ApiError> {
    Ok(Json(state.services.claim_info(&token).await?))
}

/// Claim a seat with its invitation token (public; single use). Answers the seat and a member
/// session token for the customer portal.
#[utoipa::path(post, path = "/v1/customer-seats/claim", tag = "customer-seats", request_body = SeatClaim,
    responses((status = 200, body = CustomerSeatClaimResponse),
        (status = 400, description = "`InvalidInvitationToken` (invalid, expired or used) or `SeatNotAvailable`.", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn claim(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<SeatClaim>,
) -> Result<Json<CustomerSeatClaimResponse>, ApiError> {
    Ok(Json(
        state.services.claim_seat(&body.invitation_token).await?,
    ))
}
