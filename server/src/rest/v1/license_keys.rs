//! `/v1/license-keys` (the merchant's token) and `/v1/customer-portal/license-keys` (the seat
//! holder's session, or, to validate, activate and deactivate, nothing but the key): thin handlers
//! over the license-key service, which answers both the same way.

use app::{
    model::{
        BenefitId, ErrorBody, LicenseKeyActivationId, LicenseKeyId, ListResource, OrganizationId,
        license_key::{
            LicenseKeyActivate, LicenseKeyActivationRead, LicenseKeyDeactivate, LicenseKeyRead,
            LicenseKeyStatus, LicenseKeyUpdate, LicenseKeyValidate, LicenseKeyWithActivations,
            ValidatedLicenseKey,
        },
    },
    server::{service::KeyUser, store::LicenseKeyFilter},
};
use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;

use super::lists;
use crate::{
    rest::{
        error::ApiError,
        extract::{self, ListQuery, OrgAuth, Path, PortalAuth},
    },
    startup::AppState,
};

/// The filters the official SDK sends (`license_keys.list`).
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
    benefit_id: Vec<BenefitId>,
    /// `granted`, `revoked` or `disabled`.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    status: Vec<LicenseKeyStatus>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// List the organization's license keys, oldest first.
#[utoipa::path(get, path = "/v1/license-keys", tag = "license-keys", params(ListParams),
    responses((status = 200, body = ListResource<LicenseKeyRead>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:read", "license_keys:write"])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<LicenseKeyRead>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = LicenseKeyFilter {
        organizations: params.organization_id,
        benefit_ids: params.benefit_id,
        statuses: params.status,
        ..LicenseKeyFilter::default()
    };
    Ok(Json(
        state
            .services
            .list_license_keys(&caller, filter, page)
            .await?,
    ))
}

/// Get a license key with its activations.
#[utoipa::path(get, path = "/v1/license-keys/{id}", tag = "license-keys", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = LicenseKeyWithActivations), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:read", "license_keys:write"])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<LicenseKeyId>,
) -> Result<Json<LicenseKeyWithActivations>, ApiError> {
    Ok(Json(state.services.get_license_key(&caller, id).await?))
}

/// Change a license key's status, usage, limits or expiry (only the fields sent; `null` clears a
/// limit or the expiry). A key whose seat was revoked cannot be granted again.
#[utoipa::path(patch, path = "/v1/license-keys/{id}", tag = "license-keys", request_body = LicenseKeyUpdate,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = LicenseKeyRead), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:write"])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<LicenseKeyId>,
    extract::Json(body): extract::Json<LicenseKeyUpdate>,
) -> Result<Json<LicenseKeyRead>, ApiError> {
    Ok(Json(
        state.services.update_license_key(&caller, id, body).await?,
    ))
}

/// Get one activation of a license key.
#[utoipa::path(get, path = "/v1/license-keys/{id}/activations/{activation_id}", tag = "license-keys",
    params(("id" = String, Path, format = Uuid), ("activation_id" = String, Path, format = Uuid)),
    responses((status = 200, body = LicenseKeyActivationRead), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:read", "license_keys:write"])))]
pub(crate) async fn get_activation(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path((id, activation_id)): Path<(LicenseKeyId, LicenseKeyActivationId)>,
) -> Result<Json<LicenseKeyActivationRead>, ApiError> {
    Ok(Json(
        state
            .services
            .get_license_key_activation(&caller, id, activation_id)
            .await?,
    ))
}

/// Validate a license key (and count the validation; `increment_usage` adds to its usage).
#[utoipa::path(post, path = "/v1/license-keys/validate", tag = "license-keys", request_body = LicenseKeyValidate,
    responses((status = 200, body = ValidatedLicenseKey),
        (status = 400, description = "`BadRequest`: the usage would pass the key's limit.", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`ResourceNotFound`: no such key in the organization, or it is revoked, disabled or expired, or the activation, benefit, customer or conditions do not match.", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:write"])))]
pub(crate) async fn validate(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<LicenseKeyValidate>,
) -> Result<Json<ValidatedLicenseKey>, ApiError> {
    Ok(Json(
        state
            .services
            .validate_license_key(KeyUser::Organization(&caller), body)
            .await?,
    ))
}

/// Activate a license key (a device or installation), within its activation limit.
#[utoipa::path(post, path = "/v1/license-keys/activate", tag = "license-keys", request_body = LicenseKeyActivate,
    responses((status = 200, body = LicenseKeyActivationRead), (status = 401, body = ErrorBody),
        (status = 403, description = "`NotPermitted`: the key is not granted, has expired, allows no activations or has reached its limit.", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:write"])))]
pub(crate) async fn activate(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<LicenseKeyActivate>,
) -> Result<Json<LicenseKeyActivationRead>, ApiError> {
    Ok(Json(
        state
            .services
            .activate_license_key(KeyUser::Organization(&caller), body)
            .await?,
    ))
}

/// Deactivate a license key's activation, freeing its place.
#[utoipa::path(post, path = "/v1/license-keys/deactivate", tag = "license-keys", request_body = LicenseKeyDeactivate,
    responses((status = 204, description = "Deactivated."), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:write"])))]
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<LicenseKeyDeactivate>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .deactivate_license_key(KeyUser::Organization(&caller), body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validate a license key knowing only the key (no token: for the app it unlocks). Rate limited
/// per address like the other public endpoints.
#[utoipa::path(post, path = "/v1/customer-portal/license-keys/validate", tag = "customer-portal", request_body = LicenseKeyValidate,
    responses((status = 200, body = ValidatedLicenseKey),
        (status = 400, description = "`BadRequest`: the usage would pass the key's limit.", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn public_validate(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<LicenseKeyValidate>,
) -> Result<Json<ValidatedLicenseKey>, ApiError> {
    Ok(Json(
        state
            .services
            .validate_license_key(KeyUser::KeyHolder, body)
            .await?,
    ))
}

/// Activate a license key knowing only the key.
#[utoipa::path(post, path = "/v1/customer-portal/license-keys/activate", tag = "customer-portal", request_body = LicenseKeyActivate,
    responses((status = 200, body = LicenseKeyActivationRead), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn public_activate(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<LicenseKeyActivate>,
) -> Result<Json<LicenseKeyActivationRead>, ApiError> {
    Ok(Json(
        state
            .services
            .activate_license_key(KeyUser::KeyHolder, body)
            .await?,
    ))
}

/// Deactivate an activation knowing only the key.
#[utoipa::path(post, path = "/v1/customer-portal/license-keys/deactivate", tag = "customer-portal", request_body = LicenseKeyDeactivate,
    responses((status = 204, description = "Deactivated."), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn public_deactivate(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<LicenseKeyDeactivate>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .deactivate_license_key(KeyUser::KeyHolder, body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The filters the official SDK sends (`customer_portal.license_keys.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortalListParams {
    #[param(value_type = Option<String>, format = Uuid)]
    benefit_id: Option<BenefitId>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// The session's license keys: a member's own, or the team's for an owner or billing manager.
#[utoipa::path(get, path = "/v1/customer-portal/license-keys", tag = "customer-portal", params(PortalListParams),
    responses((status = 200, body = ListResource<LicenseKeyRead>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn portal_list(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    ListQuery { params, metadata }: ListQuery<PortalListParams>,
) -> Result<Json<ListResource<LicenseKeyRead>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    Ok(Json(
        state
            .services
            .portal_license_keys(&caller, params.benefit_id, page)
            .await?,
    ))
}

/// One license key the session may see, with its activations.
#[utoipa::path(get, path = "/v1/customer-portal/license-keys/{id}", tag = "customer-portal", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = LicenseKeyWithActivations), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn portal_get(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(id): Path<LicenseKeyId>,
) -> Result<Json<LicenseKeyWithActivations>, ApiError> {
    Ok(Json(state.services.portal_license_key(&caller, id).await?))
}
