//! `/v1/subscriptions` and `/v1/orders`: reading what checkouts created.

use app::{
    model::{
        CustomerId, ErrorBody, ListResource, OrderId, PageRequest, ProductId, SubscriptionId,
        billing::{Order, Subscription, SubscriptionStatus},
    },
    server::{service::ServiceError, store::BillingFilter},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    rest::{
        error::ApiError,
        extract::{OrgAuth, Path, Query},
    },
    startup::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    #[param(value_type = Option<String>, format = Uuid)]
    customer_id: Option<CustomerId>,
    #[param(value_type = Option<String>, format = Uuid)]
    product_id: Option<ProductId>,
    /// Subscriptions only.
    #[param(value_type = Option<String>)]
    status: Option<SubscriptionStatus>,
    page: Option<u32>,
    limit: Option<u32>,
}

impl ListParams {
    fn split(self) -> Result<(BillingFilter, PageRequest), ServiceError> {
        let page = PageRequest::new(self.page, self.limit).map_err(ServiceError::Validation)?;
        Ok((
            BillingFilter {
                customer_id: self.customer_id,
                product_id: self.product_id,
                status: self.status,
            },
            page,
        ))
    }
}

/// List subscriptions, newest first.
#[utoipa::path(get, path = "/v1/subscriptions", tag = "subscriptions", params(ListParams),
    responses((status = 200, body = ListResource<Subscription>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["subscriptions:read", "subscriptions:write"])))]
pub(crate) async fn list_subscriptions(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<ListParams>,
) -> Result<Json<ListResource<Subscription>>, ApiError> {
    let (filter, page) = params.split()?;
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

/// List orders, newest first.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", params(ListParams),
    responses((status = 200, body = ListResource<Order>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["orders:read"])))]
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<ListParams>,
) -> Result<Json<ListResource<Order>>, ApiError> {
    let (filter, page) = params.split()?;
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
