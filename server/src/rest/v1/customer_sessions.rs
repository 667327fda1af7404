//! `POST /v1/customer-sessions`: a portal session for a customer (and one of its members); signing
//! in by email with a one-time code (`/v1/customer-portal/customer-session/request` and
//! `authenticate`, public); and what a session says about itself
//! (`/v1/customer-portal/customer-session/...`).

use app::model::{
    ErrorBody,
    customer::{
        CustomerCustomerSession, CustomerSession, CustomerSessionCodeAuthenticateRequest,
        CustomerSessionCodeAuthenticateResponse, CustomerSessionCodeRequest, CustomerSessionCreate,
        PortalAuthenticatedUser,
    },
};
use axum::{Json, extract::State, http::StatusCode};

use super::Created;
use crate::{
    rest::{
        error::ApiError,
        extract::{self, Bearer, OrgAuth, PortalAuth},
    },
    startup::AppState,
};

/// Create a customer session. The token is returned once; `customer_portal_url` signs the person in.
#[utoipa::path(post, path = "/v1/customer-sessions", tag = "customer-sessions", request_body = CustomerSessionCreate,
    responses((status = 201, body = CustomerSession), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Customer or member not found.", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customer_sessions:write"])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<CustomerSessionCreate>,
) -> Result<Created<CustomerSession>, ApiError> {
    Ok(Created(
        state
            .services
            .create_customer_session(&caller, body)
            .await?,
    ))
}

/// Email a one-time sign-in code for the portal of an organization (public). The answer is the same
/// whether or not the email belongs to a customer or seat holder there (only those receive a code).
#[utoipa::path(post, path = "/v1/customer-portal/customer-session/request", tag = "customer-portal",
    request_body = CustomerSessionCodeRequest,
    responses((status = 202, description = "A code is on its way, if this email signs anyone in."),
        (status = 404, description = "No such organization.", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Several codes were sent to this email (or from this address) just now.", body = ErrorBody)))]
pub(crate) async fn request_code(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<CustomerSessionCodeRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .request_sign_in_code(body.organization_id, &body.email)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Trade a sign-in code for a customer session token (public; the code works once).
#[utoipa::path(post, path = "/v1/customer-portal/customer-session/authenticate", tag = "customer-portal",
    request_body = CustomerSessionCodeAuthenticateRequest,
    responses((status = 200, body = CustomerSessionCodeAuthenticateResponse),
        (status = 401, description = "`CustomerSessionCodeInvalidOrExpired`.", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn authenticate_code(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<CustomerSessionCodeAuthenticateRequest>,
) -> Result<Json<CustomerSessionCodeAuthenticateResponse>, ApiError> {
    let token = state
        .services
        .authenticate_sign_in_code(&body.code, None)
        .await?;
    Ok(Json(CustomerSessionCodeAuthenticateResponse { token }))
}

/// When the session ends and where it returns to.
#[utoipa::path(get, path = "/v1/customer-portal/customer-session/introspect", tag = "customer-portal",
    responses((status = 200, body = CustomerCustomerSession), (status = 401, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn introspect(
    State(state): State<AppState>,
    Bearer(token): Bearer,
) -> Result<Json<CustomerCustomerSession>, ApiError> {
    Ok(Json(state.services.introspect_session(&token).await?))
}

/// Who the session signs in: the member, with their role (`owner` and `billing_manager` manage
/// seats; `member` holds one).
#[utoipa::path(get, path = "/v1/customer-portal/customer-session/user", tag = "customer-portal",
    responses((status = 200, body = PortalAuthenticatedUser), (status = 401, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn user(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
) -> Result<Json<PortalAuthenticatedUser>, ApiError> {
    Ok(Json(state.services.session_user(&caller).await?))
}
