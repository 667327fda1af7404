//! `/v1/customer-portal/seats` and `/v1/customer-portal/subscriptions`: the billing customer's own
//! seat management and subscriptions, authenticated by a customer or member session. Owners and
//! billing managers may change seats; members may read. Pools of other customers are 404. The rules
//! live in the services; these handlers only name the caller.

use app::{
    model::{
        ErrorBody, ListResource, OrderId, ProductId, SeatId, SubscriptionId,
        billing::{CustomerOrder, CustomerSubscription, ProductBillingType},
        seat::{CustomerSeat, SeatAssign, SeatAuditLog, SeatTransfer, SeatsList},
        subscription_update::{
            CustomerSubscriptionUpdate, SeatChangePreview, SeatChangePreviewRequest,
        },
    },
    server::{
        service::{Credential, SeatCaller},
        store::{
            OrderFilter, SubscriptionFilter,
            filters::{PORTAL_ORDER_SORTS, PORTAL_SUBSCRIPTION_SORTS},
        },
    },
};
use axum::{Json, extract::State, response::Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    rest::{
        error::ApiError,
        extract::{self, Bearer, ListQuery, Path, PortalAuth, Query},
        gzip,
        v1::{
            lists::{self, PageParams},
            seats::{self, PoolParams},
        },
    },
    startup::AppState,
};

/// List the seats of one of the caller's pools.
#[utoipa::path(get, path = "/v1/customer-portal/seats", tag = "customer-portal", params(PoolParams),
    responses((status = 200, body = SeatsList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such pool of the caller's customer.", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    accepts_gzip: gzip::AcceptsGzip,
    params: Result<Query<PoolParams>, ApiError>,
) -> Result<Response, ApiError> {
    seats::list_for(&state, Credential::Session(&token), accepts_gzip, params).await
}

/// Assign a seat of one of the caller's pools (owner or billing manager). `immediate_claim` is not
/// available here.
#[utoipa::path(post, path = "/v1/customer-portal/seats", tag = "customer-portal", request_body = SeatAssign,
    responses((status = 200, body = CustomerSeat), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "A member may not change seats.", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn assign(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    body: Result<extract::Json<SeatAssign>, ApiError>,
) -> Result<Json<CustomerSeat>, ApiError> {
    seats::assign_for(&state, Credential::Session(&token), body).await
}

/// Revoke a seat of one of the caller's pools (owner or billing manager).
#[utoipa::path(delete, path = "/v1/customer-portal/seats/{seat_id}", tag = "customer-portal",
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerSeat), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(seat_id): Path<SeatId>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let caller = SeatCaller::Portal(caller);
    Ok(Json(state.services.revoke_seat(&caller, seat_id).await?))
}

/// Send a pending seat's invitation again with a new link (owner or billing manager).
#[utoipa::path(post, path = "/v1/customer-portal/seats/{seat_id}/resend", tag = "customer-portal",
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerSeat), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn resend(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(seat_id): Path<SeatId>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let caller = SeatCaller::Portal(caller);
    Ok(Json(state.services.resend_seat(&caller, seat_id).await?))
}

/// Reassign a seat of one of the caller's pools to someone else in one step (owner or billing
/// manager; beyond Polar): the seat is revoked and a new one assigned in its place, in one
/// transaction. Answers the new seat.
#[utoipa::path(post, path = "/v1/customer-portal/seats/{seat_id}/transfer", tag = "customer-portal",
    request_body = SeatTransfer,
    params(("seat_id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The new seat.", body = CustomerSeat),
        (status = 400, description = "`SeatAlreadyRevoked`, `SeatAlreadyAssigned`, `SeatNotAvailable`, `MemberEmailMismatch`.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`SeatChanged`: the seat changed while it was being reassigned; retry.", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn transfer(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(seat_id): Path<SeatId>,
    extract::Json(body): extract::Json<SeatTransfer>,
) -> Result<Json<CustomerSeat>, ApiError> {
    let caller = SeatCaller::Portal(caller);
    Ok(Json(
        state.services.transfer_seat(&caller, seat_id, body).await?,
    ))
}

/// The audit log of one of the caller's pools.
#[utoipa::path(get, path = "/v1/customer-portal/seats/audit-log", tag = "customer-portal", params(PoolParams),
    responses((status = 200, body = SeatAuditLog), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Query(params): Query<PoolParams>,
) -> Result<Json<SeatAuditLog>, ApiError> {
    let caller = SeatCaller::Portal(caller);
    Ok(Json(
        state
            .services
            .seat_audit_log(&caller, params.pool()?, params.audit_page()?)
            .await?,
    ))
}

/// Subscriptions where the caller holds a claimed seat, newest first.
#[utoipa::path(get, path = "/v1/customer-portal/seats/subscriptions", tag = "customer-portal", params(PageParams),
    responses((status = 200, body = ListResource<CustomerSubscription>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn claimed_subscriptions(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Query(params): Query<PageParams>,
) -> Result<Json<ListResource<CustomerSubscription>>, ApiError> {
    let page = params.request()?;
    Ok(Json(
        state
            .services
            .portal_claimed_subscriptions(&caller, page)
            .await?,
    ))
}

/// The filters the official SDK sends (`customer_portal.subscriptions.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubscriptionListParams {
    /// Only subscriptions of these products.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    product_id: Vec<ProductId>,
    /// Trialing, active or past-due (`true`), or none of those (`false`).
    active: Option<bool>,
    /// Text in the product's or the organization's name.
    query: Option<String>,
    /// Page number, from 1.
    page: Option<u32>,
    /// Items per page, 1 to 100 (default 10).
    limit: Option<u32>,
    /// `started_at`, `amount`, `status`, `organization` or `product`; `-` first for descending.
    /// Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List the subscriptions of the session's customer.
#[utoipa::path(get, path = "/v1/customer-portal/subscriptions", tag = "customer-portal", params(SubscriptionListParams),
    responses((status = 200, body = ListResource<CustomerSubscription>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn list_subscriptions(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    ListQuery { params, metadata }: ListQuery<SubscriptionListParams>,
) -> Result<Json<ListResource<CustomerSubscription>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = SubscriptionFilter {
        product_ids: params.product_id,
        active: params.active,
        query: params.query,
        sorting: lists::sorting(PORTAL_SUBSCRIPTION_SORTS, &params.sorting)?,
        ..SubscriptionFilter::default()
    };
    Ok(Json(
        state
            .services
            .portal_subscriptions(&caller, filter, page)
            .await?,
    ))
}

/// Get a subscription of the session's customer.
#[utoipa::path(get, path = "/v1/customer-portal/subscriptions/{id}", tag = "customer-portal",
    params(("id" = String, Path, format = Uuid, description = "The subscription ID.")),
    responses((status = 200, body = CustomerSubscription), (status = 401, body = ErrorBody),
        (status = 404, description = "No such subscription of the caller's customer.", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn get_subscription(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(id): Path<SubscriptionId>,
) -> Result<Json<CustomerSubscription>, ApiError> {
    Ok(Json(state.services.portal_subscription(&caller, id).await?))
}

/// Change a subscription of the session's customer (owner or billing manager): `{"seats"}` (billed
/// as the organization's `proration_behavior` says: increases now; with `next_period`, changes wait
/// for the renewal), `{"cancel_at_period_end"}` (with an optional `cancellation_reason` and
/// `cancellation_comment`) or `{"pending_update": null}`.
#[utoipa::path(patch, path = "/v1/customer-portal/subscriptions/{id}", tag = "customer-portal",
    request_body = CustomerSubscriptionUpdate,
    params(("id" = String, Path, format = Uuid, description = "The subscription ID.")),
    responses((status = 200, description = "The subscription after the change.", body = CustomerSubscription),
        (status = 400, description = "`BelowMinimumSeats`, `AboveMaximumSeats`, or `SeatsAlreadyAssigned` (revoke seats first).", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 402, description = "`PaymentFailed`: an `invoice` charge failed; nothing changed.", body = ErrorBody),
        (status = 403, description = "`AlreadyCanceledSubscription`, or `NotPermitted` for a member who is not a billing manager.", body = ErrorBody),
        (status = 404, description = "No such subscription of the caller's customer.", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn update_subscription(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(id): Path<SubscriptionId>,
    extract::Json(body): extract::Json<CustomerSubscriptionUpdate>,
) -> Result<Json<CustomerSubscription>, ApiError> {
    Ok(Json(
        state
            .services
            .portal_update_subscription(&caller, id, body)
            .await?,
    ))
}

/// Cancel a subscription of the session's customer at the end of its period (owner or billing
/// manager).
#[utoipa::path(delete, path = "/v1/customer-portal/subscriptions/{id}", tag = "customer-portal",
    params(("id" = String, Path, format = Uuid, description = "The subscription ID.")),
    responses((status = 200, description = "The subscription, set to cancel.", body = CustomerSubscription),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`AlreadyCanceledSubscription`, or `NotPermitted` for a member who is not a billing manager.", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn cancel_subscription(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(id): Path<SubscriptionId>,
) -> Result<Json<CustomerSubscription>, ApiError> {
    Ok(Json(
        state
            .services
            .portal_cancel_subscription(&caller, id)
            .await?,
    ))
}

/// Preview a seat change of a subscription of the session's customer: what `PATCH` with the same
/// `seats` would do and cost (billed as the organization's default says); nothing changes.
#[utoipa::path(post, path = "/v1/customer-portal/subscriptions/{id}/change-preview", tag = "customer-portal",
    request_body = SeatChangePreviewRequest,
    params(("id" = String, Path, format = Uuid, description = "The subscription ID.")),
    responses((status = 200, description = "What the change would do.", body = SeatChangePreview),
        (status = 400, description = "The change itself would be refused.", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`AlreadyCanceledSubscription`.", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A malformed body, or a `proration_behavior` (the portal cannot choose one).", body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn preview_subscription_change(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(id): Path<SubscriptionId>,
    extract::Json(body): extract::Json<SeatChangePreviewRequest>,
) -> Result<Json<SeatChangePreview>, ApiError> {
    let caller = SeatCaller::Portal(caller);
    Ok(Json(
        state
            .services
            .preview_seat_change(&caller, id, body)
            .await?,
    ))
}

/// The filters the official SDK sends (`customer_portal.orders.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderListParams {
    /// Only orders of these products.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    product_id: Vec<ProductId>,
    /// `recurring` (a subscription's orders) or `one_time` (purchases).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    product_billing_type: Vec<ProductBillingType>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    subscription_id: Vec<SubscriptionId>,
    /// Text in the product's or the organization's name.
    query: Option<String>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at`, `amount`, `net_amount`, `product` or `subscription`; `-` first for
    /// descending. Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List the orders of the session's customer: each one-time purchase is a seat pool of its own.
#[utoipa::path(get, path = "/v1/customer-portal/orders", tag = "customer-portal", params(OrderListParams),
    responses((status = 200, body = ListResource<CustomerOrder>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    ListQuery { params, metadata }: ListQuery<OrderListParams>,
) -> Result<Json<ListResource<CustomerOrder>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = OrderFilter {
        product_ids: params.product_id,
        billing_types: params.product_billing_type,
        subscription_ids: params.subscription_id,
        query: params.query,
        sorting: lists::sorting(PORTAL_ORDER_SORTS, &params.sorting)?,
        ..OrderFilter::default()
    };
    Ok(Json(
        state.services.portal_orders(&caller, filter, page).await?,
    ))
}

/// Get an order of the session's customer.
#[utoipa::path(get, path = "/v1/customer-portal/orders/{id}", tag = "customer-portal",
    params(("id" = String, Path, format = Uuid, description = "The order ID.")),
    responses((status = 200, body = CustomerOrder), (status = 401, body = ErrorBody),
        (status = 404, description = "No such order of the caller's customer.", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn get_order(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(id): Path<OrderId>,
) -> Result<Json<CustomerOrder>, ApiError> {
    Ok(Json(state.services.portal_order(&caller, id).await?))
}
