//! `POST /v1/customer-sessions`: a portal session for a customer (and one of its members).

use app::model::{
    ErrorBody,
    customer::{CustomerSession, CustomerSessionCreate},
};
use axum::extract::State;

use super::Created;
use crate::{
    rest::{
        error::ApiError,
        extract::{self, OrgAuth},
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
