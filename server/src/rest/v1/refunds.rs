//! `/v1/refunds`: refunding paid orders, all or part, and listing refunds.

use app::{
    model::{
        CustomerId, ErrorBody, ListResource, OrderId, OrganizationId, RefundId, SubscriptionId,
        refund::{Refund, RefundCreate},
    },
    server::store::{RefundFilter, filters::REFUND_SORTS},
};
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    Created,
    lists::{self},
};
use crate::{
    rest::{
        error::ApiError,
        extract::{self, ListQuery, OrgAuth},
    },
    startup::AppState,
};

/// Refund all or part of a paid order through the payment provider. A one-time order refunded
/// whole (or with `revoke_benefits`) has its seats revoked and takes no more.
#[utoipa::path(post, path = "/v1/refunds", tag = "refunds", request_body = RefundCreate,
    responses((status = 201, description = "The refund, `succeeded`.", body = Refund),
        (status = 400, description = "`RefundFailed`: the payment provider refused it; nothing was refunded.", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`RefundedAlready`: the order is wholly refunded; or a token without `refunds:write`.", body = ErrorBody),
        (status = 404, description = "No such order of the organization.", body = ErrorBody),
        (status = 422, description = "An amount below 1 or above what is left of the order, an unpaid order, or `revoke_benefits` on a subscription's order.", body = ErrorBody),
        (status = 503, description = "The payment provider did not answer; the refund is finished by the server shortly.", body = ErrorBody)),
    security(("access_token" = ["refunds:write"])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<RefundCreate>,
) -> Result<Created<Refund>, ApiError> {
    Ok(Created(state.services.create_refund(&caller, body).await?))
}

/// The filters the official SDK sends (`refunds.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundListParams {
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    id: Vec<RefundId>,
    /// Only this organization (a token sees only its own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    organization_id: Vec<OrganizationId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    order_id: Vec<OrderId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    subscription_id: Vec<SubscriptionId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    customer_id: Vec<CustomerId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    external_customer_id: Vec<String>,
    /// Succeeded refunds (`true`) or the others (`false`).
    succeeded: Option<bool>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at` or `amount`; `-` first for descending. Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List refunds, newest first.
#[utoipa::path(get, path = "/v1/refunds", tag = "refunds", params(RefundListParams),
    responses((status = 200, body = ListResource<Refund>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["refunds:read", "refunds:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<RefundListParams>,
) -> Result<axum::Json<ListResource<Refund>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = RefundFilter {
        organizations: params.organization_id,
        ids: params.id,
        order_ids: params.order_id,
        subscription_ids: params.subscription_id,
        customer_ids: params.customer_id,
        external_customer_ids: params.external_customer_id,
        succeeded: params.succeeded,
        sorting: lists::sorting(REFUND_SORTS, &params.sorting)?,
    };
    Ok(axum::Json(
        state.services.list_refunds(&caller, filter, page).await?,
    ))
}
