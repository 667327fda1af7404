//! Offline license certificates (beyond Polar): a statement of a license key, signed with the
//! organization's Ed25519 key, that an app without network checks against the organization's
//! published public key.
//!
//! A certificate is `<payload>.<signature>`, both base64url without padding: the payload is the
//! JSON of [`CertificatePayload`], the signature is Ed25519 over the payload's bytes (the decoded
//! JSON, exactly as sent). A certificate is good until `valid_until`: at most
//! [`CERTIFICATE_DAYS`] after it was issued and never past the key's own expiry, so a revoked seat
//! stops working offline too once its last certificate runs out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    BenefitId, CustomerId, LicenseKeyActivationId, LicenseKeyId, MemberId, OrganizationId,
};

/// How long a certificate is good for at most; an app online fetches a fresh one before then.
pub const CERTIFICATE_DAYS: i64 = 30;

/// The only signature algorithm.
pub const ALGORITHM: &str = "Ed25519";

/// What a certificate states.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CertificatePayload {
    /// The format's version: 1.
    pub version: u32,
    /// The signing key (its public half is published with this id).
    pub key_id: uuid::Uuid,
    pub organization_id: OrganizationId,
    pub license_key_id: LicenseKeyId,
    /// The whole key, so that an app can check the certificate is for the key it holds.
    pub key: String,
    pub benefit_id: BenefitId,
    pub customer_id: CustomerId,
    /// The member holding the seat the key came with.
    pub member_id: MemberId,
    /// The activation the certificate was asked for, if any (a device).
    pub activation_id: Option<LicenseKeyActivationId>,
    pub limit_activations: Option<u32>,
    pub limit_usage: Option<u32>,
    /// The key's own expiry, if it has one.
    pub expires_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    /// After this, the app must not accept the certificate.
    pub valid_until: DateTime<Utc>,
}

/// A signed certificate, with its payload spelled out for convenience (the signature covers the
/// encoded payload inside `certificate`, not this copy).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseCertificate {
    /// `<base64url payload>.<base64url signature>`.
    pub certificate: String,
    pub algorithm: String,
    pub key_id: uuid::Uuid,
    pub payload: CertificatePayload,
}

/// Body of `POST /v1/customer-portal/license-keys/certificate`: the app knows its key (and the
/// activation it made on this device, if any).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenseKeyCertify {
    pub key: String,
    pub organization_id: OrganizationId,
    #[serde(default)]
    pub activation_id: Option<LicenseKeyActivationId>,
}

/// One public key of an organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicensePublicKey {
    pub key_id: uuid::Uuid,
    pub algorithm: String,
    /// The raw 32-byte key, base64url without padding.
    pub public_key: String,
    /// The same key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), for libraries that read PEM.
    pub public_key_pem: String,
    pub created_at: DateTime<Utc>,
    /// When a rotation replaced it; certificates it signed before stay verifiable.
    pub retired_at: Option<DateTime<Utc>>,
}

/// `GET /v1/organizations/{id}/license-public-key`: the key that signs certificates now, and
/// the retired ones whose certificates may still be about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicensePublicKeys {
    pub organization_id: OrganizationId,
    #[serde(flatten)]
    pub current: LicensePublicKey,
    pub previous_keys: Vec<LicensePublicKey>,
}
