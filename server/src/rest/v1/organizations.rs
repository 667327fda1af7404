//! `GET /v1/organizations` and `GET /v1/organizations/{id}`: the organization an access token belongs
//! to. A token only ever sees its own organization; any other id is a 404.

use app::{
    model::{ListResource, Organization, OrganizationId, PageRequest},
    server::service::ServiceError,
};
use axum::{Json, Router, extract::State, routing::get};
use serde::Deserialize;

use crate::{
    rest::{
        error::ApiError,
        extract::{OrgAuth, Path, Query},
    },
    startup::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organizations", get(list))
        .route("/organizations/{id}", get(get_one))
}

async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<OrganizationId>,
) -> Result<Json<Organization>, ApiError> {
    Ok(Json(state.services.get_organization(&caller, id).await?))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    slug: Option<String>,
    page: Option<u32>,
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Query(params): Query<ListParams>,
) -> Result<Json<ListResource<Organization>>, ApiError> {
    let page = PageRequest::new(params.page, params.limit).map_err(ServiceError::Validation)?;
    Ok(Json(
        state
            .services
            .list_organizations(&caller, params.slug.as_deref(), page)
            .await?,
    ))
}
