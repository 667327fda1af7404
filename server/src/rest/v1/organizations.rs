//! `GET /v1/organizations`, `GET` and `PATCH /v1/organizations/{id}`: the organization an access
//! token belongs to. A token only ever sees and changes its own organization; any other id is a 404.

use app::{
    model::{
        ErrorBody, ListResource, Organization, OrganizationId, organization::OrganizationUpdate,
    },
    server::store::{OrganizationFilter, filters::ORGANIZATION_SORTS},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::lists;
use crate::{
    rest::{
        error::ApiError,
        extract::{self, ListQuery, OrgAuth, Path},
    },
    startup::AppState,
};

/// Get the organization of the access token.
#[utoipa::path(get, path = "/v1/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, format = Uuid, description = "The organization ID.")),
    responses((status = 200, description = "The organization.", body = Organization),
        (status = 401, description = "Missing or unknown token.", body = ErrorBody),
        (status = 403, description = "The token lacks `organizations:read`.", body = ErrorBody),
        (status = 404, description = "Not found, or another organization's.", body = ErrorBody),
        (status = 422, description = "Malformed ID.", body = ErrorBody)),
    security(("access_token" = ["organizations:read", "organizations:write"])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<OrganizationId>,
) -> Result<Json<Organization>, ApiError> {
    Ok(Json(state.services.get_organization(&caller, id).await?))
}

/// Update the organization of the access token: its name, email and
/// `subscription_settings.proration_behavior` (the default of seat changes that name none).
#[utoipa::path(patch, path = "/v1/organizations/{id}", tag = "organizations",
    request_body = OrganizationUpdate,
    params(("id" = String, Path, format = Uuid, description = "The organization ID.")),
    responses((status = 200, description = "The updated organization.", body = Organization),
        (status = 401, description = "Missing or unknown token.", body = ErrorBody),
        (status = 403, description = "The token lacks `organizations:write`.", body = ErrorBody),
        (status = 404, description = "Not found, or another organization's.", body = ErrorBody),
        (status = 422, description = "A bad value, or a setting Seatkeeper keeps fixed.", body = ErrorBody)),
    security(("access_token" = ["organizations:write"])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<OrganizationId>,
    extract::Json(body): extract::Json<OrganizationUpdate>,
) -> Result<Json<Organization>, ApiError> {
    Ok(Json(
        state
            .services
            .update_organization(&caller, id, body)
            .await?,
    ))
}

/// The filters the official SDK sends (`organizations.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Only the organization with this slug.
    slug: Option<String>,
    /// Page number, from 1.
    page: Option<u32>,
    /// Items per page, 1 to 100 (default 10).
    limit: Option<u32>,
    /// `created_at`, `slug` or `name`; `-` first for descending.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List organizations: the token's own, optionally filtered by slug.
#[utoipa::path(get, path = "/v1/organizations", tag = "organizations", params(ListParams),
    responses((status = 200, description = "One page of organizations.", body = ListResource<Organization>),
        (status = 401, description = "Missing or unknown token.", body = ErrorBody),
        (status = 422, description = "Bad page or limit.", body = ErrorBody)),
    security(("access_token" = ["organizations:read", "organizations:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<Organization>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = OrganizationFilter {
        slugs: params.slug.into_iter().collect(),
        sorting: lists::sorting(ORGANIZATION_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state
            .services
            .list_organizations(&caller, filter, page)
            .await?,
    ))
}
