//! `/v1/benefit-grants`: what members received from claimed seats (a license key, a note), granted
//! and revoked with their seats.

use app::{
    model::{CustomerId, ErrorBody, ListResource, MemberId, PageRequest, seat::BenefitGrant},
    server::{service::ServiceError, store::GrantFilter},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    rest::{
        error::ApiError,
        extract::{OrgAuth, Query},
    },
    startup::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    #[param(value_type = Option<String>, format = Uuid)]
    customer_id: Option<CustomerId>,
    #[param(value_type = Option<String>, format = Uuid)]
    member_id: Option<MemberId>,
    /// `true`: live grants only; `false`: revoked ones only.
    is_granted: Option<bool>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// List benefit grants, newest first.
#[utoipa::path(get, path = "/v1/benefit-grants", tag = "benefit-grants", params(ListParams),
    responses((status = 200, body = ListResource<BenefitGrant>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:read", "benefits:write", "customer_seats:read", "customer_seats:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<ListParams>,
) -> Result<Json<ListResource<BenefitGrant>>, ApiError> {
    let page = PageRequest::new(params.page, params.limit).map_err(ServiceError::Validation)?;
    let filter = GrantFilter {
        customer_id: params.customer_id,
        member_id: params.member_id,
        is_granted: params.is_granted,
    };
    Ok(Json(
        state
            .services
            .list_benefit_grants(&caller, filter, page)
            .await?,
    ))
}
