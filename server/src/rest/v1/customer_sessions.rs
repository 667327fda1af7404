//! `POST /v1/customer-sessions`: a portal session for a customer (and one of its members); and what
//! a session says about itself (`/v1/customer-portal/customer-session/...`).

use app::model::{
    ErrorBody,
    customer::{
        CustomerCustomerSession, CustomerSession, CustomerSessionCreate, PortalAuthenticatedUser,
    },
};
use axum::{Json, extract::State};

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
