//! What a customer is entitled to, as two readers see it: the merchant's app asks for a customer's
//! state (Polar's `CustomerState`: the customer with its active subscriptions and granted benefits)
//! and a seat holder lists their own grants in the customer portal (Polar's
//! `CustomerBenefitGrant`). Both are Polar's shapes for API version 2026-10.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    BenefitGrantId, BenefitId, CustomerId, Email, MemberId, OrderId, OrganizationId, ProductId,
    SubscriptionId,
    benefit::BenefitProperties,
    billing::SubscriptionStatus,
    customer::{Customer, CustomerType},
    metadata::Metadata,
    money::{Currency, MinorUnits},
    organization::CheckoutOrganization,
    product::RecurringInterval,
    seat::BenefitGrantProperties,
};

/// A customer and what it is entitled to now (`GET /v1/customers/{id}/state`). For a team, the
/// granted benefits are those of every member holding one of its seats, each naming its member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerState {
    #[serde(flatten)]
    pub customer: Customer,
    /// Subscriptions that are `active` or `trialing`.
    pub active_subscriptions: Vec<CustomerStateSubscription>,
    /// Grants not revoked.
    pub granted_benefits: Vec<CustomerStateBenefitGrant>,
    /// Always empty: Seatkeeper has no meters.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub active_meters: Vec<serde_json::Value>,
}

/// An active subscription in a customer's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerStateSubscription {
    pub id: SubscriptionId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub custom_field_data: serde_json::Value,
    pub metadata: Metadata,
    pub status: SubscriptionStatus,
    pub amount: MinorUnits,
    pub currency: Currency,
    pub recurring_interval: RecurringInterval,
    pub current_period_start: DateTime<Utc>,
    pub current_period_end: DateTime<Utc>,
    pub trial_start: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub product_id: ProductId,
    pub discount_id: Option<String>,
    /// The seats bought.
    pub seats: Option<u32>,
    pub units: Option<u32>,
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub meters: Vec<serde_json::Value>,
}

/// A granted benefit in a customer's state, with the member holding it (beyond Polar, whose model
/// has no member; clients that do not know the field ignore it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerStateBenefitGrant {
    pub id: BenefitGrantId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub granted_at: DateTime<Utc>,
    pub benefit_id: BenefitId,
    /// `custom` or `license_keys`.
    pub benefit_type: String,
    pub benefit_metadata: Metadata,
    pub properties: BenefitGrantProperties,
    pub member_id: MemberId,
    pub subscription_id: Option<SubscriptionId>,
    pub order_id: Option<OrderId>,
}

/// The customer as a portal grant names it (Polar's `CustomerPortalCustomer`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerPortalCustomer {
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub id: CustomerId,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub billing_name: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub billing_address: Option<serde_json::Value>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<Object>>))]
    pub tax_id: Option<Vec<serde_json::Value>>,
    /// Always empty: Seatkeeper links no outside accounts.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub oauth_accounts: serde_json::Map<String, serde_json::Value>,
    pub default_payment_method_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: CustomerType,
    pub locale: Option<String>,
}

impl From<Customer> for CustomerPortalCustomer {
    fn from(c: Customer) -> Self {
        Self {
            created_at: c.created_at,
            modified_at: c.modified_at,
            id: c.id,
            email: c.email,
            email_verified: c.email_verified,
            name: c.name,
            billing_name: c.billing_name,
            billing_address: c.billing_address,
            tax_id: c.tax_id,
            oauth_accounts: serde_json::Map::new(),
            default_payment_method_id: c.default_payment_method_id,
            kind: c.kind,
            locale: c.locale,
        }
    }
}

/// A benefit as its holder sees it (Polar's `BenefitCustomSubscriber` /
/// `BenefitLicenseKeysSubscriber`): no metadata, with the organization that gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriberBenefit {
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
    pub organization: CheckoutOrganization,
}

/// A benefit grant as its holder sees it in the portal (Polar's `CustomerBenefitGrant`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerBenefitGrant {
    pub id: BenefitGrantId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub granted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub is_granted: bool,
    pub is_revoked: bool,
    pub customer_id: CustomerId,
    pub member_id: Option<MemberId>,
    pub benefit_id: BenefitId,
    pub subscription_id: Option<SubscriptionId>,
    pub order_id: Option<OrderId>,
    pub customer: CustomerPortalCustomer,
    pub benefit: SubscriberBenefit,
    pub properties: BenefitGrantProperties,
}
