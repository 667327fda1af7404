//! `/v1/checkouts`: merchant endpoints (organization token) and the public client endpoints
//! addressed by client secret (the buyer's capability). Thin handlers over the checkouts service.

use app::{
    model::{
        CheckoutId, CustomerId, ErrorBody, ListResource, OrganizationId, ProductId,
        billing::{
            Checkout, CheckoutConfirm, CheckoutConfirmed, CheckoutCreate, CheckoutStatus,
            CheckoutUpdatePublic,
        },
    },
    server::store::{CheckoutFilter, filters::CHECKOUT_SORTS},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Created, lists};
use crate::{
    rest::{
        error::ApiError,
        extract::{self, ListQuery, OrgAuth, Path},
    },
    startup::AppState,
};

/// Open a checkout for one product and a seat count.
#[utoipa::path(post, path = "/v1/checkouts", tag = "checkouts", request_body = CheckoutCreate,
    responses((status = 201, body = Checkout), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Unknown or archived product, seats out of range, wrong currency.", body = ErrorBody)),
    security(("access_token" = ["checkouts:write"])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<CheckoutCreate>,
) -> Result<Created<Checkout>, ApiError> {
    Ok(Created(
        state.services.create_checkout(&caller, body).await?,
    ))
}

/// The filters the official SDK sends (`checkouts.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
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
    /// The `external_customer_id` the checkout was opened with.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    external_customer_id: Vec<String>,
    /// `open`, `expired`, `confirmed`, `succeeded` or `failed`.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    status: Vec<CheckoutStatus>,
    /// Case-insensitive part of the customer's email.
    query: Option<String>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at`, `expires_at` or `status`; `-` first for descending. Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List checkouts, newest first.
#[utoipa::path(get, path = "/v1/checkouts", tag = "checkouts", params(ListParams),
    responses((status = 200, body = ListResource<Checkout>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["checkouts:read", "checkouts:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<Checkout>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = CheckoutFilter {
        organizations: params.organization_id,
        product_ids: params.product_id,
        customer_ids: params.customer_id,
        external_customer_ids: params.external_customer_id,
        statuses: params.status,
        query: params.query,
        sorting: lists::sorting(CHECKOUT_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state.services.list_checkouts(&caller, filter, page).await?,
    ))
}

/// Get a checkout.
#[utoipa::path(get, path = "/v1/checkouts/{id}", tag = "checkouts", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Checkout), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["checkouts:read", "checkouts:write"])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<CheckoutId>,
) -> Result<Json<Checkout>, ApiError> {
    Ok(Json(state.services.get_checkout(&caller, id).await?))
}

/// Get a checkout by its client secret (public).
#[utoipa::path(get, path = "/v1/checkouts/client/{client_secret}", tag = "checkouts",
    params(("client_secret" = String, Path)),
    responses((status = 200, body = Checkout), (status = 404, body = ErrorBody)))]
pub(crate) async fn client_get(
    State(state): State<AppState>,
    Path(client_secret): Path<String>,
) -> Result<Json<Checkout>, ApiError> {
    Ok(Json(state.services.client_checkout(&client_secret).await?))
}

/// Change the seat count, email or name of an open checkout (public); the amount is recomputed.
#[utoipa::path(patch, path = "/v1/checkouts/client/{client_secret}", tag = "checkouts", request_body = CheckoutUpdatePublic,
    params(("client_secret" = String, Path)),
    responses((status = 200, body = Checkout), (status = 400, description = "Expired or no longer open.", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Seats out of range.", body = ErrorBody)))]
pub(crate) async fn client_update(
    State(state): State<AppState>,
    Path(client_secret): Path<String>,
    extract::Json(body): extract::Json<CheckoutUpdatePublic>,
) -> Result<Json<Checkout>, ApiError> {
    Ok(Json(
        state
            .services
            .client_update_checkout(&client_secret, body)
            .await?,
    ))
}

/// Pay (public). `tok_visa` pays and `tok_chargeDeclined` is declined with the test provider.
/// Confirming a succeeded checkout again returns it unchanged.
#[utoipa::path(post, path = "/v1/checkouts/client/{client_secret}/confirm", tag = "checkouts", request_body = CheckoutConfirm,
    params(("client_secret" = String, Path)),
    responses((status = 200, description = "Paid: status `confirmed`, and a portal session of the buyer when this confirmation bought and the checkout created or was bound to the customer (else `null`).", body = CheckoutConfirmed),
        (status = 400, description = "`PaymentError` (nothing was created; retry), `CheckoutExpired`, `CheckoutNotOpen` or `CheckoutPriceChanged`.", body = ErrorBody),
        (status = 409, description = "`CheckoutNotOpen` (another confirmation is paying it) or `PurchaseFailed` (refunded; retry).", body = ErrorBody),
        (status = 503, description = "`PaymentPending`: the provider's answer is unknown; the checkout settles within minutes.", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Missing email or payment token.", body = ErrorBody)))]
pub(crate) async fn client_confirm(
    State(state): State<AppState>,
    Path(client_secret): Path<String>,
    extract::Json(body): extract::Json<CheckoutConfirm>,
) -> Result<Json<CheckoutConfirmed>, ApiError> {
    Ok(Json(
        state
            .services
            .client_confirm_checkout(&client_secret, body)
            .await?,
    ))
}
