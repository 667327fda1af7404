//! Checkouts, subscriptions and orders, as the API returns and accepts them. Shapes follow Polar's;
//! fields for features Seatkeeper does not have carry neutral values (`0`, `null`, `[]`, `{}`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Named;

use super::{
    CheckoutId, Currency, CustomerId, Email, MinorUnits, OrderId, OrganizationId, PriceId,
    ProductId, SubscriptionId,
    customer::Customer,
    metadata::Metadata,
    organization::{CheckoutOrganization, Organization},
    product::{Product, ProductPrice, RecurringInterval},
    subscription_update::PendingSubscriptionUpdate,
};

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
pub enum CheckoutStatus {
    Open,
    Confirmed,
    Succeeded,
    Failed,
    Expired,
}

impl Named for CheckoutStatus {}

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
pub enum SubscriptionStatus {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Canceled,
    Unpaid,
    Paused,
}

impl SubscriptionStatus {
    pub const ALL: [Self; 8] = [
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Trialing,
        Self::Active,
        Self::PastDue,
        Self::Canceled,
        Self::Unpaid,
        Self::Paused,
    ];

    /// What Polar calls active: the subscription gives access (its `active` list filter).
    pub const ACTIVE: [Self; 3] = [Self::Trialing, Self::Active, Self::PastDue];
}

impl Named for SubscriptionStatus {}

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
pub enum OrderStatus {
    Draft,
    Pending,
    Paid,
    Refunded,
    PartiallyRefunded,
    Void,
}

impl OrderStatus {
    pub const ALL: [Self; 6] = [
        Self::Draft,
        Self::Pending,
        Self::Paid,
        Self::Refunded,
        Self::PartiallyRefunded,
        Self::Void,
    ];
}

impl Named for OrderStatus {}

/// Whether an order or product is about a subscription or a one-time purchase (a list filter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ProductBillingType {
    OneTime,
    Recurring,
}

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
pub enum BillingReason {
    Purchase,
    SubscriptionCreate,
    SubscriptionCycle,
    SubscriptionUpdate,
}

impl Named for BillingReason {}

/// Which billing address fields the form asks for: none, in Seatkeeper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BillingAddressFields {
    pub country: String,
    pub state: String,
    pub city: String,
    pub postal_code: String,
    pub line1: String,
    pub line2: String,
}

impl Default for BillingAddressFields {
    fn default() -> Self {
        let disabled = || "disabled".to_owned();
        Self {
            country: disabled(),
            state: disabled(),
            city: disabled(),
            postal_code: disabled(),
            line1: disabled(),
            line2: disabled(),
        }
    }
}

/// A checkout, for the merchant API and for the public client endpoints alike.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Checkout {
    pub id: CheckoutId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub custom_field_data: serde_json::Value,
    /// Always `stripe` on the wire (the SDKs accept no other value); payments go through
    /// Seatkeeper's configured payment provider.
    pub payment_processor: String,
    pub status: CheckoutStatus,
    pub client_secret: String,
    pub url: String,
    pub expires_at: DateTime<Utc>,
    pub success_url: String,
    pub return_url: Option<String>,
    pub embed_origin: Option<String>,
    pub amount: MinorUnits,
    pub seats: u32,
    pub min_seats: Option<u32>,
    pub max_seats: Option<u32>,
    pub units: Option<u32>,
    pub min_units: Option<u32>,
    pub max_units: Option<u32>,
    pub discount_amount: MinorUnits,
    pub net_amount: MinorUnits,
    pub tax_amount: Option<MinorUnits>,
    pub tax_behavior: Option<String>,
    pub total_amount: MinorUnits,
    pub currency: Currency,
    pub allow_trial: Option<bool>,
    pub active_trial_interval: Option<String>,
    pub active_trial_interval_count: Option<u32>,
    pub trial_end: Option<DateTime<Utc>>,
    pub organization_id: OrganizationId,
    pub product_id: ProductId,
    pub product_price_id: PriceId,
    pub discount_id: Option<String>,
    pub allow_discount_codes: bool,
    pub require_billing_address: bool,
    pub is_discount_applicable: bool,
    pub is_free_product_price: bool,
    pub is_payment_required: bool,
    pub is_payment_setup_required: bool,
    pub is_payment_form_required: bool,
    pub customer_id: Option<CustomerId>,
    pub is_business_customer: bool,
    pub customer_name: Option<String>,
    pub customer_email: Option<Email>,
    pub customer_ip_address: Option<String>,
    pub customer_billing_name: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub customer_billing_address: Option<serde_json::Value>,
    pub customer_tax_id: Option<String>,
    pub locale: Option<String>,
    pub payment_method_type: Option<String>,
    pub payment_processor_metadata: BTreeMap<String, String>,
    pub billing_address_fields: BillingAddressFields,
    pub trial_interval: Option<String>,
    pub trial_interval_count: Option<u32>,
    pub metadata: Metadata,
    pub external_customer_id: Option<String>,
    pub products: Vec<Product>,
    pub product: Product,
    pub product_price: Option<ProductPrice>,
    pub prices: BTreeMap<String, Vec<ProductPrice>>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub discount: Option<serde_json::Value>,
    pub subscription_id: Option<SubscriptionId>,
    /// The one-time order this checkout created (Seatkeeper addition).
    pub order_id: Option<OrderId>,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub attached_custom_fields: Vec<serde_json::Value>,
    pub customer_metadata: Metadata,
    pub organization: CheckoutOrganization,
}

/// The answer to a successful confirmation: the checkout (status `confirmed`: paid, fulfilled by
/// the time a client reads it again, when it shows `succeeded`) and a session of the buyer for the
/// customer portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutConfirmed {
    #[serde(flatten)]
    pub checkout: Checkout,
    /// A portal session of the buyer, given once: by the confirmation that completed the purchase,
    /// and only when the checkout created the customer or the merchant bound it to one. `null`
    /// otherwise (a repeated confirmation, or a purchase matched to an existing customer by email
    /// alone: that customer signs in through the portal).
    pub customer_session_token: Option<String>,
}

/// Body of `POST /v1/checkouts`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutCreate {
    /// The product to sell (exactly one).
    pub products: Vec<ProductId>,
    #[serde(default)]
    pub seats: Option<u32>,
    #[serde(default)]
    pub min_seats: Option<u32>,
    #[serde(default)]
    pub max_seats: Option<u32>,
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    #[serde(default)]
    pub external_customer_id: Option<String>,
    #[serde(default)]
    pub customer_email: Option<Email>,
    #[serde(default)]
    pub customer_name: Option<String>,
    #[serde(default)]
    pub success_url: Option<String>,
    #[serde(default)]
    pub currency: Option<Currency>,
    #[serde(default)]
    pub metadata: Metadata,
}

/// Body of `PATCH /v1/checkouts/client/{client_secret}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutUpdatePublic {
    #[serde(default)]
    pub seats: Option<u32>,
    #[serde(default)]
    pub customer_email: Option<Email>,
    #[serde(default)]
    pub customer_name: Option<String>,
}

/// Body of `POST /v1/checkouts/client/{client_secret}/confirm`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutConfirm {
    /// The payment token: with the test provider, `tok_visa` pays and `tok_chargeDeclined` fails.
    #[serde(default)]
    pub confirmation_token_id: Option<String>,
    #[serde(default)]
    pub seats: Option<u32>,
    #[serde(default)]
    pub customer_email: Option<Email>,
    #[serde(default)]
    pub customer_name: Option<String>,
}

/// The fields of a subscription without its nested resources (Polar's `OrderSubscription`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriptionCore {
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub id: SubscriptionId,
    pub amount: MinorUnits,
    pub currency: Currency,
    pub recurring_interval: RecurringInterval,
    pub recurring_interval_count: u32,
    pub status: SubscriptionStatus,
    pub current_period_start: DateTime<Utc>,
    pub current_period_end: DateTime<Utc>,
    pub current_meter_period_start: Option<DateTime<Utc>>,
    pub current_meter_period_end: Option<DateTime<Utc>>,
    pub trial_start: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub past_due_at: Option<DateTime<Utc>>,
    pub pause_at_period_end: bool,
    pub paused_at: Option<DateTime<Utc>>,
    pub resumes_at: Option<DateTime<Utc>>,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub discount_id: Option<String>,
    pub checkout_id: Option<CheckoutId>,
    pub seats: u32,
    pub units: Option<u32>,
    pub customer_cancellation_reason: Option<String>,
    pub customer_cancellation_comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Subscription {
    #[serde(flatten)]
    pub core: SubscriptionCore,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub custom_field_data: serde_json::Value,
    pub customer: Customer,
    pub product: Product,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub discount: Option<serde_json::Value>,
    pub prices: Vec<ProductPrice>,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub meters: Vec<serde_json::Value>,
    pub pending_update: Option<PendingSubscriptionUpdate>,
}

/// A product as the customer portal shows it: with the organization that sells it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSubscriptionProduct {
    #[serde(flatten)]
    pub product: Product,
    pub organization: Organization,
}

/// A subscription as the customer portal shows it (Polar's `CustomerSubscription`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSubscription {
    #[serde(flatten)]
    pub core: SubscriptionCore,
    pub product: CustomerSubscriptionProduct,
    pub prices: Vec<ProductPrice>,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub meters: Vec<serde_json::Value>,
    pub pending_update: Option<PendingSubscriptionUpdate>,
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderItem {
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub id: uuid::Uuid,
    pub label: String,
    pub amount: MinorUnits,
    pub tax_amount: MinorUnits,
    pub proration: bool,
    pub product_price_id: Option<PriceId>,
    pub start_timestamp: Option<DateTime<Utc>>,
    pub end_timestamp: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderCore {
    pub id: OrderId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub status: OrderStatus,
    pub paid: bool,
    pub subtotal_amount: MinorUnits,
    pub discount_amount: MinorUnits,
    pub net_amount: MinorUnits,
    pub tax_amount: MinorUnits,
    pub total_amount: MinorUnits,
    pub applied_balance_amount: MinorUnits,
    pub due_amount: MinorUnits,
    pub refunded_amount: MinorUnits,
    pub refunded_tax_amount: MinorUnits,
    pub currency: Currency,
    pub billing_reason: BillingReason,
    pub billing_name: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub billing_address: Option<serde_json::Value>,
    pub invoice_number: Option<String>,
    pub is_invoice_generated: bool,
    pub receipt_number: Option<String>,
    pub seats: u32,
    pub units: Option<u32>,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub discount_id: Option<String>,
    pub subscription_id: Option<SubscriptionId>,
    pub checkout_id: Option<CheckoutId>,
    pub next_payment_attempt_at: Option<DateTime<Utc>>,
    pub subscription: Option<SubscriptionCore>,
    pub items: Vec<OrderItem>,
    pub description: String,
    pub refundable_amount: MinorUnits,
    pub refundable_tax_amount: MinorUnits,
}

/// An order as the merchant's API shows it (Polar's `Order`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Order {
    #[serde(flatten)]
    pub core: OrderCore,
    pub metadata: Metadata,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub custom_field_data: serde_json::Value,
    pub platform_fee_amount: MinorUnits,
    pub platform_fee_currency: Option<String>,
    pub customer: Customer,
    pub product: Product,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub discount: Option<serde_json::Value>,
}

/// An order as the customer portal shows it (Polar's `CustomerOrder`): the product names its
/// organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerOrder {
    #[serde(flatten)]
    pub core: OrderCore,
    pub product: CustomerSubscriptionProduct,
}
