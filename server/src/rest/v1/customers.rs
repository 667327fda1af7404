//! `/v1/customers` and their members. Thin handlers over the customers service.

use app::{
    model::{
        CustomerId, Email, ErrorBody, ListResource, MemberId, OrganizationId,
        customer::{
            Customer, CustomerCreate, CustomerUpdate, Member, MemberCreate, MemberRole,
            MemberUpdate,
        },
        entitlements::CustomerState,
    },
    server::service::CustomerRef,
    server::store::{
        CustomerFilter, MemberFilter,
        filters::{CUSTOMER_SORTS, MEMBER_SORTS},
    },
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

/// Create a customer, with its owner member.
#[utoipa::path(post, path = "/v1/customers", tag = "customers", request_body = CustomerCreate,
    responses((status = 201, body = Customer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Invalid fields, or the email or external ID is taken.", body = ErrorBody)),
    security(("access_token" = ["customers:write"])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<CustomerCreate>,
) -> Result<Created<Customer>, ApiError> {
    Ok(Created(
        state.services.create_customer(&caller, body).await?,
    ))
}

/// The filters the official SDK sends (`customers.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Only this organization (a token sees only its own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    organization_id: Vec<OrganizationId>,
    /// Exact email.
    #[param(value_type = Option<String>)]
    email: Option<Email>,
    /// Part of the name, email or external ID.
    query: Option<String>,
    /// Customers with (`true`) or without (`false`) a trialing, active or past-due subscription.
    active: Option<bool>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at`, `email` or `name`; `-` first for descending. Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List customers, newest first. `metadata[key]=value` filters by metadata.
#[utoipa::path(get, path = "/v1/customers", tag = "customers", params(ListParams),
    responses((status = 200, body = ListResource<Customer>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:read", "customers:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<Customer>>, ApiError> {
    let page = lists::page(params.page, params.limit)?;
    let filter = CustomerFilter {
        organizations: params.organization_id,
        email: params.email,
        query: params.query,
        active: params.active,
        metadata: lists::metadata(metadata)?,
        sorting: lists::sorting(CUSTOMER_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state.services.list_customers(&caller, filter, page).await?,
    ))
}

/// Get a customer.
#[utoipa::path(get, path = "/v1/customers/{id}", tag = "customers", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Customer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:read", "customers:write"])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<CustomerId>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(state.services.get_customer(&caller, id).await?))
}

/// Get a customer by the external ID the merchant gave it.
#[utoipa::path(get, path = "/v1/customers/external/{external_id}", tag = "customers", params(("external_id" = String, Path)),
    responses((status = 200, body = Customer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("access_token" = ["customers:read", "customers:write"])))]
pub(crate) async fn get_external(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(external_id): Path<String>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        state
            .services
            .get_customer_by_external_id(&caller, &external_id)
            .await?,
    ))
}

/// Get a customer's state: its active subscriptions and the benefits granted to it (for a team, to
/// its members, each grant naming its member).
#[utoipa::path(get, path = "/v1/customers/{id}/state", tag = "customers", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerState), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:read", "customers:write"])))]
pub(crate) async fn get_state(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<CustomerId>,
) -> Result<Json<CustomerState>, ApiError> {
    Ok(Json(
        state
            .services
            .get_customer_state(&caller, CustomerRef::Id(id))
            .await?,
    ))
}

/// Get the state of a customer named by the external ID the merchant gave it.
#[utoipa::path(get, path = "/v1/customers/external/{external_id}/state", tag = "customers", params(("external_id" = String, Path)),
    responses((status = 200, body = CustomerState), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("access_token" = ["customers:read", "customers:write"])))]
pub(crate) async fn get_state_external(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(external_id): Path<String>,
) -> Result<Json<CustomerState>, ApiError> {
    Ok(Json(
        state
            .services
            .get_customer_state(&caller, CustomerRef::External(&external_id))
            .await?,
    ))
}

/// Update a customer.
#[utoipa::path(patch, path = "/v1/customers/{id}", tag = "customers", request_body = CustomerUpdate,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Customer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:write"])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<CustomerId>,
    extract::Json(body): extract::Json<CustomerUpdate>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        state.services.update_customer(&caller, id, body).await?,
    ))
}

/// Delete a customer and its members.
#[utoipa::path(delete, path = "/v1/customers/{id}", tag = "customers", params(("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Deleted."), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:write"])))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<CustomerId>,
) -> Result<StatusCode, ApiError> {
    state.services.delete_customer(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The filters the official SDK sends (`customers.members.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberListParams {
    /// Only members with these roles.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    role: Vec<MemberRole>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `created_at`; `-` first for descending. Oldest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List a customer's members, oldest first.
#[utoipa::path(get, path = "/v1/customers/{id}/members", tag = "customers",
    params(("id" = String, Path, format = Uuid), MemberListParams),
    responses((status = 200, body = ListResource<Member>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:read", "customers:write"])))]
pub(crate) async fn list_members(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<CustomerId>,
    ListQuery { params, metadata }: ListQuery<MemberListParams>,
) -> Result<Json<ListResource<Member>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = MemberFilter {
        roles: params.role,
        sorting: lists::sorting(MEMBER_SORTS, &params.sorting)?,
    };
    Ok(Json(
        state
            .services
            .list_members(&caller, id, filter, page)
            .await?,
    ))
}

/// Add a member to a customer.
#[utoipa::path(post, path = "/v1/customers/{id}/members", tag = "customers", request_body = MemberCreate,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 201, body = Member), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Invalid fields, or the email or external ID is taken in this customer.", body = ErrorBody)),
    security(("access_token" = ["customers:write"])))]
pub(crate) async fn create_member(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<CustomerId>,
    extract::Json(body): extract::Json<MemberCreate>,
) -> Result<Created<Member>, ApiError> {
    Ok(Created(
        state.services.create_member(&caller, id, body).await?,
    ))
}

/// Get a member.
#[utoipa::path(get, path = "/v1/customers/{id}/members/{member_id}", tag = "customers",
    params(("id" = String, Path, format = Uuid), ("member_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Member), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:read", "customers:write"])))]
pub(crate) async fn get_member(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path((id, member_id)): Path<(CustomerId, MemberId)>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(
        state.services.get_member(&caller, id, member_id).await?,
    ))
}

/// Update a member.
#[utoipa::path(patch, path = "/v1/customers/{id}/members/{member_id}", tag = "customers", request_body = MemberUpdate,
    params(("id" = String, Path, format = Uuid), ("member_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Member), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:write"])))]
pub(crate) async fn update_member(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path((id, member_id)): Path<(CustomerId, MemberId)>,
    extract::Json(body): extract::Json<MemberUpdate>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(
        state
            .services
            .update_member(&caller, id, member_id, body)
            .await?,
    ))
}

/// Remove a member (not the owner).
#[utoipa::path(delete, path = "/v1/customers/{id}/members/{member_id}", tag = "customers",
    params(("id" = String, Path, format = Uuid), ("member_id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Removed."), (status = 400, description = "The owner cannot be removed.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["customers:write"])))]
pub(crate) async fn delete_member(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path((id, member_id)): Path<(CustomerId, MemberId)>,
) -> Result<StatusCode, ApiError> {
    state.services.delete_member(&caller, id, member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
