//! `/v1/products`: the catalog. Thin handlers over the products service.

use app::{
    model::{
        BenefitId, ErrorBody, ListResource, OrganizationId, ProductId,
        product::{Product, ProductBenefitsUpdate, ProductCreate, ProductUpdate},
    },
    server::store::{ProductFilter, filters::PRODUCT_SORTS},
};
use axum::{Json, extract::State};
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

/// Create a product with one seat-based price (and optionally one fixed price).
#[utoipa::path(post, path = "/v1/products", tag = "products", request_body = ProductCreate,
    responses(
        (status = 201, description = "Product created.", body = Product),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Invalid name, interval, prices or tiers.", body = ErrorBody),
    ),
    security(("access_token" = ["products:write"])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<ProductCreate>,
) -> Result<Created<Product>, ApiError> {
    Ok(Created(state.services.create_product(&caller, body).await?))
}

/// The filters the official SDK sends (`products.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    id: Vec<ProductId>,
    /// Only this organization (a token sees only its own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    organization_id: Vec<OrganizationId>,
    /// Case-insensitive part of the name.
    query: Option<String>,
    /// Only archived (`true`) or only live (`false`) products.
    is_archived: Option<bool>,
    /// Only recurring (`true`) or only one-time (`false`) products.
    is_recurring: Option<bool>,
    /// Products granting one of these benefits.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    benefit_id: Vec<BenefitId>,
    /// Every product here is `public`.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    visibility: Vec<Visibility>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at` or `name`; `-` first for descending. Oldest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// Polar's product visibilities.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Visibility {
    Draft,
    Private,
    Public,
}

/// List products, oldest first. `metadata[key]=value` filters by metadata.
#[utoipa::path(get, path = "/v1/products", tag = "products", params(ListParams),
    responses((status = 200, body = ListResource<Product>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["products:read", "products:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<Product>>, ApiError> {
    let page = lists::page(params.page, params.limit)?;
    let filter = ProductFilter {
        organizations: params.organization_id,
        ids: params.id,
        query: params.query,
        is_archived: params.is_archived,
        is_recurring: params.is_recurring,
        benefit_ids: params.benefit_id,
        visibilities: params
            .visibility
            .iter()
            .map(|v| {
                match v {
                    Visibility::Draft => "draft",
                    Visibility::Private => "private",
                    Visibility::Public => "public",
                }
                .to_owned()
            })
            .collect(),
        metadata: lists::metadata(metadata)?,
        sorting: lists::sorting(PRODUCT_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state.services.list_products(&caller, filter, page).await?,
    ))
}

/// Get a product.
#[utoipa::path(get, path = "/v1/products/{id}", tag = "products",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Product), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["products:read", "products:write"])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<ProductId>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(state.services.get_product(&caller, id).await?))
}

/// Update a product; `prices` replaces the prices (the old ones are archived); `is_archived: true`
/// archives the product.
#[utoipa::path(patch, path = "/v1/products/{id}", tag = "products", request_body = ProductUpdate,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Product), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["products:write"])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<ProductId>,
    extract::Json(body): extract::Json<ProductUpdate>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(
        state.services.update_product(&caller, id, body).await?,
    ))
}

/// Set the benefits of a product (the complete list, in order).
#[utoipa::path(post, path = "/v1/products/{id}/benefits", tag = "products", request_body = ProductBenefitsUpdate,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Product), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["products:write"])))]
pub(crate) async fn set_benefits(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<ProductId>,
    extract::Json(body): extract::Json<ProductBenefitsUpdate>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(
        state
            .services
            .set_product_benefits(&caller, id, body)
            .await?,
    ))
}
