//! Refunds as Polar's API shows them (`/v1/refunds`): a full or partial refund of a paid order,
//! through the payment provider.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Currency, CustomerId, MinorUnits, Named, OrderId, OrganizationId, RefundId, SubscriptionId,
    metadata::Metadata,
};

/// Why an order is refunded (Polar's `RefundReason`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum RefundReason {
    Duplicate,
    Fraudulent,
    CustomerRequest,
    ServiceDisruption,
    SatisfactionGuarantee,
    DisputePrevention,
    Other,
}

impl Named for RefundReason {}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum RefundStatus {
    /// Asked of the payment provider, not confirmed yet.
    Pending,
    Succeeded,
    Failed,
    Canceled,
}

impl Named for RefundStatus {}

/// A refund (Polar's `Refund`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Refund {
    pub id: RefundId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub metadata: Metadata,
    pub status: RefundStatus,
    pub reason: RefundReason,
    pub amount: MinorUnits,
    pub tax_amount: MinorUnits,
    pub currency: Currency,
    pub organization_id: OrganizationId,
    pub order_id: OrderId,
    pub subscription_id: Option<SubscriptionId>,
    pub customer_id: CustomerId,
    pub revoke_benefits: bool,
    /// Seatkeeper has no disputes: always null.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub dispute: Option<serde_json::Value>,
}

/// `POST /v1/refunds` (Polar's `RefundCreate`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundCreate {
    pub order_id: OrderId,
    pub reason: RefundReason,
    /// In minor units, at least 1 and at most what is left to refund of the order.
    pub amount: i64,
    /// An internal note.
    #[serde(default)]
    pub comment: Option<String>,
    /// Revoke the seats of a one-time order now (a full refund of one always does); not allowed
    /// for a subscription's order (its seats end with the subscription).
    #[serde(default)]
    pub revoke_benefits: bool,
    #[serde(default)]
    pub metadata: Metadata,
}
