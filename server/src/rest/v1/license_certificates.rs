//! Offline license certificates (beyond Polar): `GET /v1/license-keys/{id}/certificate` (the
//! merchant's token), `POST /v1/customer-portal/license-keys/certificate` (nothing but the key,
//! for the app it unlocks), the organization's public keys at
//! `GET /v1/organizations/{id}/license-public-key` (public: apps fetch or embed them) and the
//! signing key's rotation. Thin handlers over the certificate service.

use app::{
    model::{
        ErrorBody, LicenseKeyId, OrganizationId,
        license_certificate::{LicenseCertificate, LicenseKeyCertify, LicensePublicKeys},
    },
    server::service::KeyUser,
};
use axum::{Json, extract::State};

use crate::{
    rest::{
        error::ApiError,
        extract::{self, OrgAuth, Path},
    },
    startup::AppState,
};

/// A signed certificate of a granted key, for an app to check offline (good for at most 30 days,
/// never past the key's expiry).
#[utoipa::path(get, path = "/v1/license-keys/{id}/certificate", tag = "license-keys",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = LicenseCertificate), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such key, or it is revoked, disabled or expired.", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:read", "license_keys:write"])))]
pub(crate) async fn certificate(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<LicenseKeyId>,
) -> Result<Json<LicenseCertificate>, ApiError> {
    Ok(Json(
        state.services.license_key_certificate(&caller, id).await?,
    ))
}

/// A signed certificate for the app that holds a key (no token), checked as a validation is but
/// not counted as one. Rate limited per address and per key.
#[utoipa::path(post, path = "/v1/customer-portal/license-keys/certificate", tag = "customer-portal",
    request_body = LicenseKeyCertify,
    responses((status = 200, body = LicenseCertificate),
        (status = 403, description = "The key is limited to some activations and no `activation_id` was sent.", body = ErrorBody),
        (status = 404, description = "No such key or activation, or the key is revoked, disabled or expired.", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn public_certificate(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<LicenseKeyCertify>,
) -> Result<Json<LicenseCertificate>, ApiError> {
    Ok(Json(
        state
            .services
            .certify_license_key(KeyUser::KeyHolder, body)
            .await?,
    ))
}

/// The public key that verifies the organization's license certificates (Ed25519), and the
/// retired keys whose certificates may still be valid. No token: it is public.
#[utoipa::path(get, path = "/v1/organizations/{id}/license-public-key", tag = "organizations",
    params(("id" = String, Path, format = Uuid, description = "The organization ID.")),
    responses((status = 200, body = LicensePublicKeys), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn public_key(
    State(state): State<AppState>,
    Path(id): Path<OrganizationId>,
) -> Result<Json<LicensePublicKeys>, ApiError> {
    Ok(Json(state.services.license_public_keys(id).await?))
}

/// Retire the signing key and make the next: certificates are signed with the new key from now
/// on; the old public key stays published while certificates it signed may be valid.
#[utoipa::path(post, path = "/v1/organizations/{id}/license-public-key/rotate", tag = "organizations",
    params(("id" = String, Path, format = Uuid, description = "The organization ID.")),
    responses((status = 200, body = LicensePublicKeys), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["license_keys:write"])))]
pub(crate) async fn rotate(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<OrganizationId>,
) -> Result<Json<LicensePublicKeys>, ApiError> {
    Ok(Json(
        state
            .services
            .rotate_license_signing_key(&caller, id)
            .await?,
    ))
}
