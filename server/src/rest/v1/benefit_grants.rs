//! `/v1/benefit-grants`: what members received from claimed seats (a license key, a note), granted
//! and revoked with their seats.

use app::{
    model::{CustomerId, ErrorBody, ListResource, MemberId, OrganizationId, seat::BenefitGrant},
    server::store::{GrantFilter, filters::GRANT_SORTS},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::lists;
use crate::{
    rest::{
        error::ApiError,
        extract::{ListQuery, OrgAuth},
    },
    startup::AppState,
};

/// The filters the official SDK sends (`benefit_grants.list`), and `member_id`.
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
    customer_id: Vec<CustomerId>,
    /// Customers with these external ids.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    external_customer_id: Vec<String>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    member_id: Vec<MemberId>,
    /// `true`: live grants only; `false`: revoked ones only.
    is_granted: Option<bool>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at`, `granted_at` or `revoked_at`; `-` first for descending. Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List benefit grants, newest first.
#[utoipa::path(get, path = "/v1/benefit-grants", tag = "benefit-grants", params(ListParams),
    responses((status = 200, body = ListResource<BenefitGrant>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:read", "benefits:write", "customer_seats:read", "customer_seats:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<BenefitGrant>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = GrantFilter {
        organizations: params.organization_id,
        customer_ids: params.customer_id,
        external_customer_ids: params.external_customer_id,
        member_ids: params.member_id,
        is_granted: params.is_granted,
        sorting: lists::sorting(GRANT_SORTS, &params.sorting)?,
        ..GrantFilter::default()
    };
    Ok(Json(
        state
            .services
            .list_benefit_grants(&caller, filter, page)
            .await?,
    ))
}
