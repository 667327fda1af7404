//! `/v1/benefits`: what seat holders get. Thin handlers over the benefits service.

use app::{
    model::{
        BenefitId, ErrorBody, ListResource, PageRequest,
        benefit::{Benefit, BenefitCreate, BenefitUpdate},
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

/// Create a benefit (`custom` or `license_keys`).
#[utoipa::path(post, path = "/v1/benefits", tag = "benefits", request_body = BenefitCreate,
    responses((status = 201, body = Benefit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:write"])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<BenefitCreate>,
) -> Result<(StatusCode, Json<Benefit>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_benefit(&caller, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// Only benefits of this type (`custom` or `license_keys`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// List benefits, oldest first.
#[utoipa::path(get, path = "/v1/benefits", tag = "benefits", params(ListParams),
    responses((status = 200, body = ListResource<Benefit>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["benefits:read", "benefits:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<ListParams>,
) -> Result<Json<ListResource<Benefit>>, ApiError> {
    let page = PageRequest::new(params.page, params.limit).map_err(ServiceError::Validation)?;
    Ok(Json(
        state
            .services
            .list_benefits(&caller, params.kind.as_deref(), page)
            .await?,
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
