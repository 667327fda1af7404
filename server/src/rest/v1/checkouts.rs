//! `/v1/checkouts`: merchant endpoints (organization token) and the public client endpoints
//! addressed by client secret (the buyer's capability). Thin handlers over the checkouts service.

use app::{
    model::{
        CheckoutId, ErrorBody, ListResource, PageRequest,
        billing::{
            Checkout, CheckoutConfirm, CheckoutConfirmed, CheckoutCreate, CheckoutUpdatePublic,
        },
    },
    server::service::ServiceError,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    rest::{
        error::ApiError,
        extract::{self, OrgAuth, Path, Query},
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
) -> Result<(StatusCode, Json<Checkout>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_checkout(&caller, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    page: Option<u32>,
    limit: Option<u32>,
}

impl PageParams {
    pub(crate) fn request(&self) -> Result<PageRequest, Vec<app::model::ValidationIssue>> {
        PageRequest::new(self.page, self.limit)
    }
}

/// List checkouts, newest first.
#[utoipa::path(get, path = "/v1/checkouts", tag = "checkouts", params(PageParams),
    responses((status = 200, body = ListResource<Checkout>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["checkouts:read", "checkouts:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<PageParams>,
) -> Result<Json<ListResource<Checkout>>, ApiError> {
    let page = PageRequest::new(params.page, params.limit).map_err(ServiceError::Validation)?;
    Ok(Json(state.services.list_checkouts(&caller, page).await?))
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
    responses((status = 200, description = "Paid: status `confirmed` and a portal session of the buyer.", body = CheckoutConfirmed),
        (status = 400, description = "`PaymentError` (nothing was created; retry), `CheckoutExpired` or `CheckoutNotOpen`.", body = ErrorBody),
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
