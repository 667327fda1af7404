//! `/v1/subscriptions` and `/v1/orders`: reading what checkouts created.

use app::{
    model::{
        CheckoutId, CustomerId, ErrorBody, ListResource, OrderId, OrganizationId, ProductId,
        SubscriptionId,
        billing::{Order, OrderStatus, ProductBillingType, Subscription, SubscriptionStatus},
        subscription_update::{SeatChangePreview, SeatChangePreviewRequest, SubscriptionUpdate},
    },
    server::service::SeatCaller,
    server::store::{
        OrderFilter, SubscriptionFilter,
        filters::{ORDER_SORTS, SUBSCRIPTION_SORTS},
    },
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::lists::{self, QueryTime, time};
use crate::{
    rest::{
        error::ApiError,
        extract::{self, ListQuery, OrgAuth, Path},
    },
    startup::AppState,
};

/// The filters the official SDK sends (`subscriptions.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubscriptionListParams {
    /// Only this organization (a token sees only its own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    organization_id: Vec<OrganizationId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    product_id: Vec<ProductId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    customer_id: Vec<CustomerId>,
    /// Customers with these external ids.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    external_customer_id: Vec<String>,
    /// No subscription has a discount here: any id finds nothing.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    discount_id: Vec<String>,
    /// Trialing, active or past-due (`true`), or none of those (`false`).
    active: Option<bool>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    status: Vec<SubscriptionStatus>,
    cancel_at_period_end: Option<bool>,
    /// No customer gives a cancellation reason here: any reason finds nothing.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    customer_cancellation_reason: Vec<String>,
    #[param(value_type = Option<String>, format = DateTime)]
    canceled_at_after: Option<QueryTime>,
    #[param(value_type = Option<String>, format = DateTime)]
    canceled_at_before: Option<QueryTime>,
    #[param(value_type = Option<String>, format = DateTime)]
    started_after: Option<QueryTime>,
    #[param(value_type = Option<String>, format = DateTime)]
    started_before: Option<QueryTime>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `status`, `started_at`, `current_period_end`, `ended_at`, `ends_at` or `amount`; `-` first for
    /// descending. Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List subscriptions, newest first. `metadata[key]=value` filters by metadata.
#[utoipa::path(get, path = "/v1/subscriptions", tag = "subscriptions", params(SubscriptionListParams),
    responses((status = 200, body = ListResource<Subscription>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["subscriptions:read", "subscriptions:write"])))]
pub(crate) async fn list_subscriptions(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<SubscriptionListParams>,
) -> Result<Json<ListResource<Subscription>>, ApiError> {
    let page = lists::page(params.page, params.limit)?;
    let filter = SubscriptionFilter {
        organizations: params.organization_id,
        product_ids: params.product_id,
        customer_ids: params.customer_id,
        external_customer_ids: params.external_customer_id,
        discount_ids: params.discount_id,
        active: params.active,
        statuses: params.status,
        cancel_at_period_end: params.cancel_at_period_end,
        cancellation_reasons: params.customer_cancellation_reason,
        canceled_at_after: time(params.canceled_at_after),
        canceled_at_before: time(params.canceled_at_before),
        started_after: time(params.started_after),
        started_before: time(params.started_before),
        metadata: lists::metadata(metadata)?,
        query: None,
        sorting: lists::sorting(SUBSCRIPTION_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state
            .services
            .list_subscriptions(&caller, filter, page)
            .await?,
    ))
}

/// Get a subscription.
#[utoipa::path(get, path = "/v1/subscriptions/{id}", tag = "subscriptions", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Subscription), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["subscriptions:read", "subscriptions:write"])))]
pub(crate) async fn get_subscription(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<SubscriptionId>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(state.services.get_subscription(&caller, id).await?))
}

/// Update a subscription: one change per request, as Polar's `SubscriptionUpdate` variants:
/// `{"seats", "proration_behavior"?}` (`prorate`: now, the prorated difference billed with the
/// renewal; `next_period`: scheduled for the renewal, shown as `pending_update`; `invoice`: charged
/// now), `{"cancel_at_period_end"}` (with an optional `customer_cancellation_reason` and
/// `customer_cancellation_comment`), `{"revoke": true}` (ends it now, revoking its seats),
/// `{"pending_update": null}` (drops the scheduled change) or `{"metadata"}`.
#[utoipa::path(patch, path = "/v1/subscriptions/{id}", tag = "subscriptions",
    request_body = SubscriptionUpdate,
    params(("id" = String, Path, format = Uuid, description = "The subscription ID.")),
    responses((status = 200, description = "The subscription after the change.", body = Subscription),
        (status = 400, description = "`BelowMinimumSeats`, `AboveMaximumSeats`, or `SeatsAlreadyAssigned` (revoke seats first).", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 402, description = "`PaymentFailed`: the charge of an `invoice` change failed; nothing changed.", body = ErrorBody),
        (status = 403, description = "`AlreadyCanceledSubscription`, or a token without `subscriptions:write`.", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`SubscriptionNotScheduledToCancel` (`cancel_at_period_end: false` on one that is not), or `SubscriptionLocked`: other changes kept overtaking this one; retry.", body = ErrorBody),
        (status = 422, description = "A malformed body, two changes at once, or a change Seatkeeper has no such thing for (product, discount, trial, pause).", body = ErrorBody)),
    security(("access_token" = ["subscriptions:write"])))]
pub(crate) async fn update_subscription(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<SubscriptionId>,
    extract::Json(body): extract::Json<SubscriptionUpdate>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(
        state
            .services
            .update_subscription(&caller, id, body)
            .await?,
    ))
}

/// Revoke a subscription: it ends now (`status` `canceled`, `ended_at` set) and every seat given
/// out of it is revoked with its benefit grants.
#[utoipa::path(delete, path = "/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = String, Path, format = Uuid, description = "The subscription ID.")),
    responses((status = 200, description = "The ended subscription.", body = Subscription),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`AlreadyCanceledSubscription`: it has already ended; or a token without `subscriptions:write`.", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["subscriptions:write"])))]
pub(crate) async fn revoke_subscription(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<SubscriptionId>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(state.services.revoke_subscription(&caller, id).await?))
}

/// Preview a seat change: what `PATCH` with the same `seats` and `proration_behavior` would do and
/// cost, computed by the same code; nothing changes. (Polar keeps its change preview private; this
/// one is Seatkeeper's.)
#[utoipa::path(post, path = "/v1/subscriptions/{id}/change-preview", tag = "subscriptions",
    request_body = SeatChangePreviewRequest,
    params(("id" = String, Path, format = Uuid, description = "The subscription ID.")),
    responses((status = 200, description = "What the change would do.", body = SeatChangePreview),
        (status = 400, description = "`BelowMinimumSeats`, `AboveMaximumSeats`, or `SeatsAlreadyAssigned`: the change itself would be refused.", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`AlreadyCanceledSubscription`, or a token without `subscriptions:read`.", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["subscriptions:read", "subscriptions:write"])))]
pub(crate) async fn preview_subscription_change(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<SubscriptionId>,
    extract::Json(body): extract::Json<SeatChangePreviewRequest>,
) -> Result<Json<SeatChangePreview>, ApiError> {
    let caller = SeatCaller::Organization(caller);
    Ok(Json(
        state
            .services
            .preview_seat_change(&caller, id, body)
            .await?,
    ))
}

/// The filters the official SDK sends (`orders.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderListParams {
    /// Only this organization (a token sees only its own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    organization_id: Vec<OrganizationId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    product_id: Vec<ProductId>,
    /// `recurring` (subscription orders) or `one_time` (purchases).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    product_billing_type: Vec<ProductBillingType>,
    /// No order has a discount here: any id finds nothing.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    discount_id: Vec<String>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    customer_id: Vec<CustomerId>,
    /// Customers with these external ids.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    external_customer_id: Vec<String>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    checkout_id: Vec<CheckoutId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    subscription_id: Vec<SubscriptionId>,
    /// Order statuses (`paid`, `pending`, `refunded`, ...).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    status: Vec<OrderStatus>,
    #[param(value_type = Option<String>, format = DateTime)]
    created_after: Option<QueryTime>,
    #[param(value_type = Option<String>, format = DateTime)]
    created_before: Option<QueryTime>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at`, `status`, `amount` or `net_amount`; `-` first for descending. Newest first by
    /// default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List orders, newest first. `metadata[key]=value` filters by metadata.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", params(OrderListParams),
    responses((status = 200, body = ListResource<Order>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["orders:read"])))]
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<OrderListParams>,
) -> Result<Json<ListResource<Order>>, ApiError> {
    let page = lists::page(params.page, params.limit)?;
    let filter = OrderFilter {
        organizations: params.organization_id,
        product_ids: params.product_id,
        billing_types: params.product_billing_type,
        discount_ids: params.discount_id,
        customer_ids: params.customer_id,
        external_customer_ids: params.external_customer_id,
        checkout_ids: params.checkout_id,
        subscription_ids: params.subscription_id,
        statuses: params.status,
        created_after: time(params.created_after),
        created_before: time(params.created_before),
        metadata: lists::metadata(metadata)?,
        query: None,
        sorting: lists::sorting(ORDER_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state.services.list_orders(&caller, filter, page).await?,
    ))
}

/// Get an order.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["orders:read"])))]
pub(crate) async fn get_order(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<OrderId>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(state.services.get_order(&caller, id).await?))
}
