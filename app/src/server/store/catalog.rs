//! Records of the catalog (benefits, products, prices) and of the event outbox, and their rows.
//! JSON values (metadata, benefit properties, tiers) are stored as text, the same on both backends.

use chrono::{DateTime, Utc};

use crate::{
    domain::pricing::{SeatTier, SeatTierType, SeatTiers},
    model::{
        BenefitId, Currency, EventId, MinorUnits, OrganizationId, PriceId, ProductId,
        benefit::BenefitProperties, metadata::Metadata, product::RecurringInterval,
    },
};

use super::StoreError;

/// A benefit as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct BenefitRecord {
    pub id: BenefitId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub description: String,
    pub properties: BenefitProperties,
    pub metadata: Metadata,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A product as stored, with its live (not archived) prices and its benefits in order.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub name: String,
    pub description: Option<String>,
    pub recurring_interval: Option<RecurringInterval>,
    pub is_archived: bool,
    pub metadata: Metadata,
    pub prices: Vec<PriceRecord>,
    pub benefits: Vec<BenefitRecord>,
}

/// One price of a product.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceRecord {
    pub id: PriceId,
    pub product_id: ProductId,
    pub created_at: DateTime<Utc>,
    pub currency: Currency,
    pub kind: PriceKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PriceKind {
    Fixed(MinorUnits),
    SeatBased(SeatTiers),
}

/// An event to append to the outbox in the same transaction as the change that caused it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// An event as stored in the outbox.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct EventRecord {
    pub id: EventId,
    pub organization_id: OrganizationId,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("serializing a JSON column", e))
}

#[derive(sqlx::FromRow)]
pub(super) struct BenefitRow {
    id: BenefitId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    #[sqlx(rename = "type")]
    kind: String,
    description: String,
    properties: String,
    metadata: String,
    deleted_at: Option<DateTime<Utc>>,
}

impl TryFrom<BenefitRow> for BenefitRecord {
    type Error = StoreError;

    fn try_from(row: BenefitRow) -> Result<Self, Self::Error> {
        let tagged = serde_json::json!({
            "type": row.kind,
            "properties": serde_json::from_str::<serde_json::Value>(&row.properties)
                .map_err(|e| corrupt("benefit properties", e))?,
        });
        Ok(Self {
            id: row.id,
            organization_id: row.organization_id,
            created_at: row.created_at,
            modified_at: row.modified_at,
            description: row.description,
            properties: serde_json::from_value(tagged)
                .map_err(|e| corrupt("benefit properties", e))?,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("benefit metadata", e))?,
            deleted_at: row.deleted_at,
        })
    }
}

/// The `properties` column of a benefit: the settings without the type tag.
pub(super) fn benefit_properties_json(
    properties: &BenefitProperties,
) -> Result<String, StoreError> {
    match properties {
        BenefitProperties::Custom(p) => to_json(p),
        BenefitProperties::LicenseKeys(p) => to_json(p),
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ProductRow {
    pub(super) id: ProductId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    name: String,
    description: Option<String>,
    recurring_interval: Option<RecurringInterval>,
    is_archived: bool,
    metadata: String,
}

impl ProductRow {
    pub(super) fn into_record(
        self,
        prices: Vec<PriceRecord>,
        benefits: Vec<BenefitRecord>,
    ) -> Result<ProductRecord, StoreError> {
        Ok(ProductRecord {
            id: self.id,
            organization_id: self.organization_id,
            created_at: self.created_at,
            modified_at: self.modified_at,
            name: self.name,
            description: self.description,
            recurring_interval: self.recurring_interval,
            is_archived: self.is_archived,
            metadata: serde_json::from_str(&self.metadata)
                .map_err(|e| corrupt("product metadata", e))?,
            prices,
            benefits,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PriceRow {
    id: PriceId,
    pub(super) product_id: ProductId,
    created_at: DateTime<Utc>,
    amount_type: String,
    price_currency: String,
    price_amount: Option<i64>,
    seat_tier_type: Option<String>,
    seat_tiers: Option<String>,
}

impl TryFrom<PriceRow> for PriceRecord {
    type Error = StoreError;

    fn try_from(row: PriceRow) -> Result<Self, Self::Error> {
        let kind = match (
            row.amount_type.as_str(),
            row.price_amount,
            row.seat_tier_type,
            row.seat_tiers,
        ) {
            ("fixed", Some(amount), _, _) => PriceKind::Fixed(MinorUnits(amount)),
            ("seat_based", _, Some(tier_type), Some(tiers)) => {
                let tier_type: SeatTierType =
                    serde_json::from_value(serde_json::Value::String(tier_type))
                        .map_err(|e| corrupt("seat_tier_type", e))?;
                let tiers: Vec<SeatTier> =
                    serde_json::from_str(&tiers).map_err(|e| corrupt("seat_tiers", e))?;
                PriceKind::SeatBased(
                    SeatTiers::new(tier_type, tiers).map_err(|e| corrupt("seat_tiers", e))?,
                )
            }
            (other, ..) => {
                return Err(corrupt(
                    "price",
                    format!("{} has amount_type {other:?}", row.id),
                ));
            }
        };
        Ok(Self {
            id: row.id,
            product_id: row.product_id,
            created_at: row.created_at,
            currency: Currency::parse(&row.price_currency)
                .map_err(|e| corrupt("price_currency", e))?,
            kind,
        })
    }
}

/// Column values of a price: (amount_type, price_amount, seat_tier_type, seat_tiers).
type PriceColumns = (
    &'static str,
    Option<i64>,
    Option<&'static str>,
    Option<String>,
);

/// The columns that store a price of this kind.
pub(super) fn price_columns(kind: &PriceKind) -> Result<PriceColumns, StoreError> {
    Ok(match kind {
        PriceKind::Fixed(amount) => ("fixed", Some(amount.get()), None, None),
        PriceKind::SeatBased(tiers) => {
            let tier_type = match tiers.tier_type() {
                SeatTierType::Volume => "volume",
                SeatTierType::Graduated => "graduated",
            };
            (
                "seat_based",
                None,
                Some(tier_type),
                Some(to_json(&tiers.tiers())?),
            )
        }
    })
}

/// A benefit row with the product it is attached to.
#[derive(sqlx::FromRow)]
pub(super) struct ProductBenefitRow {
    pub(super) product_id: ProductId,
    #[sqlx(flatten)]
    pub(super) benefit: BenefitRow,
}
