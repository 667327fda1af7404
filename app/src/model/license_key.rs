//! License keys as the API returns and accepts them (Polar's `license_keys` shapes, API version
//! 2026-10): what a license-key grant gives the member holding a seat, and what the merchant's app
//! validates, activates and deactivates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::{
    BenefitId, CustomerId, Email, LicenseKeyActivationId, LicenseKeyId, MemberId, OrganizationId,
    customer::Customer, metadata::Metadata,
};

/// Where a key stands: `granted` keys validate; `revoked` (its seat or grant was revoked) and
/// `disabled` (by the merchant) do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum LicenseKeyStatus {
    Granted,
    Revoked,
    Disabled,
}

impl LicenseKeyStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Revoked => "revoked",
            Self::Disabled => "disabled",
        }
    }

    /// The status of its stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "granted" => Some(Self::Granted),
            "revoked" => Some(Self::Revoked),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

/// The member a key belongs to (the seat holder).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyMember {
    pub id: MemberId,
    pub email: Email,
    pub external_id: Option<String>,
}

/// A license key (Polar's `LicenseKeyRead`). `key` is the whole key, as in Polar's every
/// license-key response; elsewhere (grants) only `display_key` appears.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyRead {
    pub id: LicenseKeyId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub organization_id: OrganizationId,
    /// The customer that pays for the seat (the team).
    pub customer_id: CustomerId,
    pub customer: Customer,
    /// The member holding the seat the key came with.
    pub member_id: Option<MemberId>,
    pub member: Option<LicenseKeyMember>,
    pub benefit_id: BenefitId,
    pub key: String,
    pub display_key: String,
    pub status: LicenseKeyStatus,
    pub limit_activations: Option<u32>,
    pub usage: u32,
    pub limit_usage: Option<u32>,
    pub validations: u32,
    pub last_validated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One activation of a key (Polar's `LicenseKeyActivationBase`; its conditions are never shown).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyActivation {
    pub id: LicenseKeyActivationId,
    pub license_key_id: LicenseKeyId,
    pub label: String,
    pub meta: Metadata,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
}

/// A key with its live activations (`GET /v1/license-keys/{id}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyWithActivations {
    #[serde(flatten)]
    pub key: LicenseKeyRead,
    pub activations: Vec<LicenseKeyActivation>,
}

/// The answer of a successful validation: the key (granted) and, when one was named, the
/// activation it was validated for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ValidatedLicenseKey {
    #[serde(flatten)]
    pub key: LicenseKeyRead,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<LicenseKeyActivation>,
}

/// An activation with its key (`get_activation`, and the answer of `activate`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyActivationRead {
    #[serde(flatten)]
    pub activation: LicenseKeyActivation,
    pub license_key: LicenseKeyRead,
}

/// Body of `POST .../license-keys/validate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenseKeyValidate {
    pub key: String,
    pub organization_id: OrganizationId,
    #[serde(default)]
    pub activation_id: Option<LicenseKeyActivationId>,
    #[serde(default)]
    pub benefit_id: Option<BenefitId>,
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// Adds to the key's usage (refused past its `limit_usage`).
    #[serde(default)]
    pub increment_usage: Option<u32>,
    /// Must equal the named activation's conditions, when it has any.
    #[serde(default)]
    pub conditions: Metadata,
}

/// Body of `POST .../license-keys/activate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenseKeyActivate {
    pub key: String,
    pub organization_id: OrganizationId,
    /// What the activation is (a device name, say).
    pub label: String,
    /// What later validations of this activation must present, exactly.
    #[serde(default)]
    pub conditions: Metadata,
    #[serde(default)]
    pub meta: Metadata,
}

/// Body of `POST .../license-keys/deactivate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenseKeyDeactivate {
    pub key: String,
    pub organization_id: OrganizationId,
    pub activation_id: LicenseKeyActivationId,
}

/// Body of `PATCH /v1/license-keys/{id}`: only the keys present change; `null` clears a limit or
/// the expiry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenseKeyUpdate {
    #[serde(default, deserialize_with = "not_null")]
    pub status: Option<LicenseKeyStatus>,
    #[serde(default, deserialize_with = "not_null")]
    pub usage: Option<u32>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u32>))]
    pub limit_activations: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u32>))]
    pub limit_usage: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<DateTime<Utc>>))]
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// A key that is present tells its value, `null` included (`Some(None)`), apart from an absent one
/// (`None`).
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A key that may be absent but, when present, not `null` (a status or a usage cannot be cleared).
fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)?
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("must not be null"))
}

/// The key with all but its last six characters hidden (Polar's `display_key`).
pub fn display_key(key: &str) -> String {
    let start = key
        .char_indices()
        .rev()
        .nth(5)
        .map_or(0, |(index, _)| index);
    format!("****-{}", &key[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_key_shows_the_last_six_characters() {
        assert_eq!(
            display_key("ACME-3F2504E0-4F89-41D3-9A0C-0305E82C3301"),
            "****-2C3301"
        );
        assert_eq!(display_key("AB12"), "****-AB12");
    }

    #[test]
    fn an_update_tells_a_cleared_limit_from_an_absent_one() {
        let update: LicenseKeyUpdate =
            serde_json::from_str(r#"{"limit_usage": null, "usage": 3}"#).unwrap_or_default();
        assert_eq!(update.limit_usage, Some(None));
        assert_eq!(update.limit_activations, None);
        assert_eq!(update.usage, Some(3));
        assert!(serde_json::from_str::<LicenseKeyUpdate>(r#"{"status": null}"#).is_err());
    }
}
