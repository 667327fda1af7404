//! `/v1/benefits`: what seat holders get. Thin handlers over the benefits service.

use app::{
    model::{
        BenefitId, CustomerId, ErrorBody, ListResource, MemberId, OrganizationId,
        benefit::{Benefit, BenefitCreate, BenefitUpdate},
        seat::BenefitGrant,
    },
    server::store::{BenefitFilter, GrantFilter, filters::BENEFIT_SORTS},
};
use axum::{Json, extract::State, http::StatusCode};
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

/// Create a benefit (`custom` or `license_keys`).
#[utoipa::path(post, path = "/v1/benefits", tag = "benefits", request_body = BenefitCreate,
    responses((status = 201, body = Benefit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:write"])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<BenefitCreate>,
) -> Result<Created<Benefit>, ApiError> {
    Ok(Created(state.services.create_benefit(&caller, body).await?))
}

/// The filters the official SDK sends (`benefits.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Only this organization (a token sees only its own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    organization_id: Vec<OrganizationId>,
    /// Only benefits of these types (`custom`, `license_keys`).
    #[serde(default, rename = "type")]
    #[param(rename = "type", value_type = Option<Vec<String>>)]
    kind: Vec<String>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    id: Vec<BenefitId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    exclude_id: Vec<BenefitId>,
    /// Case-insensitive part of the description.
    query: Option<String>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at`, `description` or `type`; `-` first for descending. Oldest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List benefits, oldest first. `metadata[key]=value` filters by metadata.
#[utoipa::path(get, path = "/v1/benefits", tag = "benefits", params(ListParams),
    responses((status = 200, body = ListResource<Benefit>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:read", "benefits:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<Benefit>>, ApiError> {
    let page = lists::page(params.page, params.limit)?;
    let filter = BenefitFilter {
        organizations: params.organization_id,
        kinds: params.kind,
        ids: params.id,
        exclude_ids: params.exclude_id,
        query: params.query,
        metadata: lists::metadata(metadata)?,
        sorting: lists::sorting(BENEFIT_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state.services.list_benefits(&caller, filter, page).await?,
    ))
}

/// Get a benefit.
#[utoipa::path(get, path = "/v1/benefits/{id}", tag = "benefits", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Benefit), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:read", "benefits:write"])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<BenefitId>,
) -> Result<Json<Benefit>, ApiError> {
    Ok(Json(state.services.get_benefit(&caller, id).await?))
}

/// Update a benefit (its `type` cannot change).
#[utoipa::path(patch, path = "/v1/benefits/{id}", tag = "benefits", request_body = BenefitUpdate,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Benefit), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:write"])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<BenefitId>,
    extract::Json(body): extract::Json<BenefitUpdate>,
) -> Result<Json<Benefit>, ApiError> {
    Ok(Json(
        state.services.update_benefit(&caller, id, body).await?,
    ))
}

/// Delete a benefit: it leaves lists and products.
#[utoipa::path(delete, path = "/v1/benefits/{id}", tag = "benefits", params(("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Deleted."), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:write"])))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<BenefitId>,
) -> Result<StatusCode, ApiError> {
    state.services.delete_benefit(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The filters the official SDK sends (`benefits.grants`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantListParams {
    /// `true`: granted only; `false`: revoked only.
    is_granted: Option<bool>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    customer_id: Vec<CustomerId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    member_id: Vec<MemberId>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// The grants of one benefit, newest first.
#[utoipa::path(get, path = "/v1/benefits/{id}/grants", tag = "benefits", params(("id" = String, Path, format = Uuid), GrantListParams),
    responses((status = 200, body = ListResource<BenefitGrant>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:read", "benefits:write"])))]
pub(crate) async fn list_grants(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<BenefitId>,
    ListQuery { params, metadata }: ListQuery<GrantListParams>,
) -> Result<Json<ListResource<BenefitGrant>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = GrantFilter {
        customer_ids: params.customer_id,
        member_ids: params.member_id,
        is_granted: params.is_granted,
        ..GrantFilter::default()
    };
    Ok(Json(
        state
            .services
            .list_grants_of_benefit(&caller, id, filter, page)
            .await?,
    ))
}
