//! Products of the catalog, as the API returns and accepts them. A product has one seat-based price
//! (tiers, see [`crate::domain::pricing`]), optionally one fixed price billed on top, and a
//! recurring interval (`month`/`year`) or none for a one-time purchase.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Named;

use super::{
    BenefitId, Currency, MinorUnits, OrganizationId, PriceId, ProductId, benefit::Benefit,
    metadata::Metadata,
};
use crate::domain::pricing::{SeatTier, SeatTierType};

/// How often a subscription renews.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum RecurringInterval {
    Month,
    Year,
}

impl Named for RecurringInterval {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: ProductId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub trial_interval: Option<String>,
    pub trial_interval_count: Option<u32>,
    pub name: String,
    pub description: Option<String>,
    pub visibility: String,
    pub recurring_interval: Option<RecurringInterval>,
    pub recurring_interval_count: Option<u32>,
    pub meter_interval: Option<String>,
    pub meter_interval_count: Option<u32>,
    pub is_recurring: bool,
    pub is_archived: bool,
    pub organization_id: OrganizationId,
    pub metadata: Metadata,
    pub is_deletable: bool,
    pub prices: Vec<ProductPrice>,
    pub benefits: Vec<Benefit>,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub medias: Vec<serde_json::Value>,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub attached_custom_fields: Vec<serde_json::Value>,
}

impl Product {
    /// The seat-based price (every product has exactly one).
    pub fn seat_price(&self) -> Option<&SeatBasedPrice> {
        self.prices.iter().find_map(|p| match p {
            ProductPrice::SeatBased(price) => Some(price),
            ProductPrice::Fixed(_) => None,
        })
    }

    /// The fixed price billed on top of the seats, if any.
    pub fn fixed_price(&self) -> Option<&FixedPrice> {
        self.prices.iter().find_map(|p| match p {
            ProductPrice::Fixed(price) => Some(price),
            ProductPrice::SeatBased(_) => None,
        })
    }
}

/// A price, tagged by `amount_type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "amount_type", rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ProductPrice {
    Fixed(FixedPrice),
    SeatBased(SeatBasedPrice),
}

/// Fields every price carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PriceCommon {
    pub id: PriceId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub source: String,
    pub price_currency: Currency,
    pub tax_behavior: Option<String>,
    pub is_archived: bool,
    pub product_id: ProductId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FixedPrice {
    #[serde(flatten)]
    pub common: PriceCommon,
    pub price_amount: MinorUnits,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatBasedPrice {
    #[serde(flatten)]
    pub common: PriceCommon,
    pub seat_tiers: SeatTiersOutput,
}

/// Tiers as returned, with the limits derived from them (`maximum_seats: null` when unbounded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatTiersOutput {
    pub seat_tier_type: SeatTierType,
    pub tiers: Vec<SeatTier>,
    pub minimum_seats: u32,
    pub maximum_seats: Option<u32>,
}

/// Tiers as sent by a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatTiersInput {
    #[serde(default)]
    pub seat_tier_type: SeatTierType,
    pub tiers: Vec<SeatTier>,
}

/// A price in a create or update request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "amount_type", rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum PriceCreate {
    Fixed {
        #[serde(default)]
        price_currency: Option<Currency>,
        price_amount: MinorUnits,
    },
    SeatBased {
        #[serde(default)]
        price_currency: Option<Currency>,
        seat_tiers: SeatTiersInput,
    },
}

/// Body of `POST /v1/products`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductCreate {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `month`, `year`, or absent/null for a one-time product.
    #[serde(default)]
    pub recurring_interval: Option<RecurringInterval>,
    #[serde(default)]
    pub recurring_interval_count: Option<u32>,
    pub prices: Vec<PriceCreate>,
    #[serde(default)]
    pub metadata: Metadata,
}

/// Body of `PATCH /v1/products/{id}`: absent fields are unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_archived: Option<bool>,
    #[serde(default)]
    pub prices: Option<Vec<PriceCreate>>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// Body of `POST /v1/products/{id}/benefits`: the complete list of the product's benefits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductBenefitsUpdate {
    pub benefits: Vec<BenefitId>,
}
