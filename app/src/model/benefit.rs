//! Benefits: what a seat holder gets when they claim a seat. Two kinds: `custom` (a note shown to the
//! holder, e.g. an onboarding link) and `license_keys` (a unique key generated per grant).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BenefitId, OrganizationId, metadata::Metadata};

/// A benefit as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Benefit {
    pub id: BenefitId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub properties: BenefitProperties,
    pub description: String,
    pub selectable: bool,
    pub deletable: bool,
    pub is_deleted: bool,
    pub organization_id: OrganizationId,
    pub metadata: Metadata,
    pub visibility: String,
    pub visibility_configurable: bool,
}

/// The kind of a benefit and its settings: `{"type": "custom", "properties": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "properties", rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum BenefitProperties {
    Custom(CustomProperties),
    LicenseKeys(LicenseKeysProperties),
}

impl BenefitProperties {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Custom(_) => "custom",
            Self::LicenseKeys(_) => "license_keys",
        }
    }
}

/// A note shown to the holder (Markdown allowed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomProperties {
    #[serde(default)]
    pub note: Option<String>,
}

/// How license keys of this benefit look and behave.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeysProperties {
    /// Prefix of generated keys, e.g. `ACME` gives `ACME-XXXX-...`.
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub expires: Option<LicenseKeyExpiration>,
    #[serde(default)]
    pub activations: Option<LicenseKeyActivations>,
    #[serde(default)]
    pub limit_usage: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyExpiration {
    pub ttl: u32,
    pub timeframe: Timeframe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Timeframe {
    Year,
    Month,
    Day,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyActivations {
    pub limit: u32,
    #[serde(default)]
    pub enable_customer_admin: bool,
}

/// Body of `POST /v1/benefits`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BenefitCreate {
    pub description: String,
    #[serde(flatten)]
    pub properties: BenefitProperties,
    #[serde(default)]
    pub metadata: Metadata,
}

/// Body of `PATCH /v1/benefits/{id}`: `type` must match the benefit's; absent fields are unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BenefitUpdate {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub properties: Option<serde_json::Value>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
}
