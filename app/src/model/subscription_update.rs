//! Changing a subscription after its purchase, as Polar's API takes it: the merchant's
//! `PATCH /v1/subscriptions/{id}` body, the customer portal's, and the change scheduled for the
//! renewal that a subscription reports as `pending_update`.
//!
//! Polar's bodies are a union of variants told apart by their keys (each variant forbids the others'
//! keys); the official SDK sends whichever keys its caller gave. Here each body is one struct with
//! every key Polar knows, unknown keys refused, and the service decides which change it asks for
//! (see `server::service::subscription_changes`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::{
    Currency, MinorUnits, Named, ProductId, metadata::Metadata, organization::ProrationBehavior,
};

/// A change scheduled for the subscription's renewal (Polar's `PendingSubscriptionUpdate`).
/// Seatkeeper schedules seat counts only, so `product_id` is always null.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PendingSubscriptionUpdate {
    pub id: uuid::Uuid,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    /// When it applies: the end of the current period.
    pub applies_at: DateTime<Utc>,
    pub product_id: Option<ProductId>,
    /// The seat count from `applies_at` on.
    pub seats: Option<u32>,
    /// Polar's unit-based prices; always null here.
    pub units: Option<u32>,
}

/// Why a customer cancels (Polar's `CustomerCancellationReason`).
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CustomerCancellationReason {
    CustomerService,
    LowQuality,
    MissingFeatures,
    SwitchedService,
    TooComplex,
    TooExpensive,
    Unused,
    Other,
}

impl Named for CustomerCancellationReason {}

/// A key that is present, even with `null` (`Some(Value::Null)`), told apart from an absent one
/// (`None`): `{"pending_update": null}` is a request of its own.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// `PATCH /v1/subscriptions/{id}` (Polar's `SubscriptionUpdate`): one of
/// - `{"seats", "proration_behavior"?}`: change the seat count;
/// - `{"cancel_at_period_end", "customer_cancellation_reason"?, "customer_cancellation_comment"?}`:
///   cancel at the period's end (`true`) or take that back (`false`);
/// - `{"revoke": true, ...reason and comment}`: end it now;
/// - `{"pending_update": null}`: drop the change scheduled for the renewal;
/// - `{"metadata"?, "proration_behavior"?, "discount_id": null?}`: replace the metadata.
///
/// Polar's other variants (product, discount, trial, billing period, pause, resume, units) are
/// refused with 422: Seatkeeper has no such thing to change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionUpdate {
    #[serde(default)]
    pub seats: Option<u32>,
    /// How a seat change is billed; the organization's default when absent.
    #[serde(default)]
    pub proration_behavior: Option<ProrationBehavior>,
    #[serde(default)]
    pub cancel_at_period_end: Option<bool>,
    #[serde(default)]
    pub customer_cancellation_reason: Option<CustomerCancellationReason>,
    #[serde(default)]
    pub customer_cancellation_comment: Option<String>,
    #[serde(default)]
    pub revoke: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub pending_update: Option<serde_json::Value>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub product_id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub discount_id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub trial_end: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub current_billing_period_end: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<bool>))]
    pub pause_at_period_end: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub resumes_at: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<bool>))]
    pub resume: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u32>))]
    pub units: Option<serde_json::Value>,
}

/// `PATCH /v1/customer-portal/subscriptions/{id}` (Polar's `CustomerSubscriptionUpdate`): one of
/// `{"seats"}` (billed as the organization's default says), `{"cancel_at_period_end"?,
/// "cancellation_reason"?, "cancellation_comment"?}` or `{"pending_update": null}`. A product
/// change, pause or resume is refused with 422.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerSubscriptionUpdate {
    #[serde(default)]
    pub seats: Option<u32>,
    #[serde(default)]
    pub cancel_at_period_end: Option<bool>,
    #[serde(default)]
    pub cancellation_reason: Option<CustomerCancellationReason>,
    #[serde(default)]
    pub cancellation_comment: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub pending_update: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub product_id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<bool>))]
    pub pause_at_period_end: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub resumes_at: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<bool>))]
    pub resume: Option<serde_json::Value>,
}

/// `POST /v1/subscriptions/{id}/change-preview` (and the portal's, where `proration_behavior` is
/// always the organization's default): the seat change to preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeatChangePreviewRequest {
    pub seats: u32,
    #[serde(default)]
    pub proration_behavior: Option<ProrationBehavior>,
}

/// What a seat change would do, computed by the same code as the change itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatChangePreview {
    /// The seat count from `applies_at` on.
    pub seats: u32,
    /// When the count changes: now, or at the renewal.
    pub applies_at: DateTime<Utc>,
    /// What the subscription costs per period with that count.
    pub amount: MinorUnits,
    /// The prorated difference for the rest of the current period: positive is owed, negative is
    /// credited; zero for a change at the renewal.
    pub proration_amount: MinorUnits,
    /// What is charged now (an `invoice` change that costs more); zero otherwise.
    pub due_now: MinorUnits,
    pub next_renewal_at: DateTime<Utc>,
    /// What the next renewal order will bill: the new amount plus the prorations waiting for it,
    /// never below zero.
    pub next_renewal_amount: MinorUnits,
    pub currency: Currency,
}
