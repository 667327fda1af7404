//! The organization as Polar's API returns it (`GET /v1/organizations/{id}`). Seatkeeper has no use
//! for most of Polar's account settings; they are present with neutral values because the official
//! SDKs require every field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Named;

use super::{OrganizationId, Slug};

/// How a seat-count change of a subscription is billed.
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
#[derive(Default)]
pub enum ProrationBehavior {
    /// Charge the prorated difference now.
    Invoice,
    /// Add the prorated difference to the next renewal (the default).
    #[default]
    Prorate,
    /// Apply the change at the next renewal, with no proration.
    NextPeriod,
}

impl Named for ProrationBehavior {}

/// The organization as a checkout page shows it: the first fields of an [`Organization`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutOrganization {
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub id: OrganizationId,
    pub name: String,
    pub slug: Slug,
    pub avatar_url: Option<String>,
    pub proration_behavior: ProrationBehavior,
    pub allow_customer_updates: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Organization {
    /// What a checkout shows of it too.
    #[serde(flatten)]
    pub summary: CheckoutOrganization,
    pub email: Option<String>,
    pub website: Option<String>,
    pub socials: Vec<serde_json::Value>,
    pub status: String,
    pub details_submitted_at: Option<DateTime<Utc>>,
    pub onboarding_resubmission_requested_at: Option<DateTime<Utc>>,
    pub sso_enforced: bool,
    pub default_presentment_currency: String,
    pub default_tax_behavior: String,
    pub feature_settings: FeatureSettings,
    pub subscription_settings: SubscriptionSettings,
    pub customer_email_settings: CustomerEmailSettings,
    pub customer_portal_settings: CustomerPortalSettings,
    pub dispute_settings: DisputeSettings,
    pub embed_hosts: Vec<String>,
    pub country: Option<String>,
    pub account_id: Option<String>,
    pub payout_account_id: Option<String>,
    pub capabilities: Capabilities,
}

impl Organization {
    /// An organization as Seatkeeper runs it: its own facts (`summary`, `email`), and Polar's other
    /// fields at the values that describe a seat-based merchant with API access.
    pub fn new(summary: CheckoutOrganization, email: Option<String>) -> Self {
        let proration_behavior = summary.proration_behavior;
        Self {
            summary,
            email,
            website: None,
            socials: Vec::new(),
            status: "active".into(),
            details_submitted_at: None,
            onboarding_resubmission_requested_at: None,
            sso_enforced: false,
            default_presentment_currency: "usd".into(),
            default_tax_behavior: "exclusive".into(),
            feature_settings: FeatureSettings {
                member_model_enabled: true,
                seat_based_pricing_enabled: true,
            },
            subscription_settings: SubscriptionSettings {
                allow_multiple_subscriptions: true,
                proration_behavior,
                benefit_revocation_grace_period: 7,
                prevent_trial_abuse: false,
                allow_customer_updates: true,
                renewal_reminder_days: 7,
            },
            customer_email_settings: CustomerEmailSettings {
                subscription_past_due: true,
                subscription_renewal_reminder: true,
                ..CustomerEmailSettings::default()
            },
            customer_portal_settings: CustomerPortalSettings {
                usage: Flag { show: false },
                subscription: PortalSubscriptionSettings {
                    update_seats: true,
                    update_plan: false,
                },
            },
            dispute_settings: DisputeSettings {
                auto_accept_below_amount: None,
            },
            embed_hosts: Vec::new(),
            country: None,
            account_id: None,
            payout_account_id: None,
            capabilities: Capabilities {
                checkout_payments: true,
                subscription_renewals: true,
                payouts: false,
                refunds: false,
                api_access: true,
                dashboard_access: true,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeatureSettings {
    pub member_model_enabled: bool,
    pub seat_based_pricing_enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriptionSettings {
    pub allow_multiple_subscriptions: bool,
    pub proration_behavior: ProrationBehavior,
    /// Days a past-due subscription keeps its seats before it is canceled.
    pub benefit_revocation_grace_period: i64,
    pub prevent_trial_abuse: bool,
    pub allow_customer_updates: bool,
    /// Seatkeeper's: days before a renewal that will cost something else than the last period
    /// that the billing manager is reminded of it (0: no reminders).
    pub renewal_reminder_days: i64,
}

/// Body of `PATCH /v1/organizations/{id}`: absent (or null) fields are unchanged. Polar's other
/// organization fields are accepted only as null, since Seatkeeper keeps no such setting; a value
/// for one is a 422 naming it rather than a change silently dropped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrganizationUpdate {
    #[serde(default)]
    pub name: Option<String>,
    /// The organization's contact email.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub subscription_settings: Option<SubscriptionSettingsUpdate>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub avatar_url: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub website: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<Object>>))]
    pub socials: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub feature_settings: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub notification_settings: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub customer_email_settings: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub customer_portal_settings: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub country: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub dispute_settings: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<String>>))]
    pub embed_hosts: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub default_presentment_currency: Option<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub default_tax_behavior: Option<serde_json::Value>,
}

impl OrganizationUpdate {
    /// Polar's fields Seatkeeper keeps no setting for, by name, when given a value.
    pub fn unsupported(&self) -> Vec<&'static str> {
        [
            ("avatar_url", &self.avatar_url),
            ("website", &self.website),
            ("socials", &self.socials),
            ("details", &self.details),
            ("feature_settings", &self.feature_settings),
            ("notification_settings", &self.notification_settings),
            ("customer_email_settings", &self.customer_email_settings),
            ("customer_portal_settings", &self.customer_portal_settings),
            ("country", &self.country),
            ("dispute_settings", &self.dispute_settings),
            ("embed_hosts", &self.embed_hosts),
            (
                "default_presentment_currency",
                &self.default_presentment_currency,
            ),
            ("default_tax_behavior", &self.default_tax_behavior),
        ]
        .into_iter()
        .filter(|(_, value)| value.as_ref().is_some_and(|v| !v.is_null()))
        .map(|(name, _)| name)
        .collect()
    }
}

/// `subscription_settings` of an [`OrganizationUpdate`]. The official SDK sends every key; those
/// Seatkeeper does not let change are accepted at the value it reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSettingsUpdate {
    /// The default for seat changes that name no `proration_behavior`.
    #[serde(default)]
    pub proration_behavior: Option<ProrationBehavior>,
    #[serde(default)]
    pub allow_multiple_subscriptions: Option<bool>,
    #[serde(default)]
    pub benefit_revocation_grace_period: Option<i64>,
    #[serde(default)]
    pub prevent_trial_abuse: Option<bool>,
    #[serde(default)]
    pub allow_customer_updates: Option<bool>,
    /// Seatkeeper's: days before a changed renewal that the billing manager is reminded (0 to 60;
    /// 0: none).
    #[serde(default)]
    pub renewal_reminder_days: Option<i64>,
}

/// Polar's per-email switches: Seatkeeper sends seat invitations, renewal reminders and past-due
/// notices; the others are off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerEmailSettings {
    pub order_confirmation: bool,
    pub payment_method_expiration_reminder: bool,
    pub subscription_cancellation: bool,
    pub subscription_confirmation: bool,
    pub subscription_cycled: bool,
    pub subscription_cycled_after_trial: bool,
    pub subscription_past_due: bool,
    pub subscription_paused: bool,
    pub subscription_resumed: bool,
    pub subscription_renewal_reminder: bool,
    pub subscription_revoked: bool,
    pub subscription_trial_conversion_reminder: bool,
    pub subscription_uncanceled: bool,
    pub subscription_updated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerPortalSettings {
    pub usage: Flag,
    pub subscription: PortalSubscriptionSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Flag {
    pub show: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalSubscriptionSettings {
    pub update_seats: bool,
    pub update_plan: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DisputeSettings {
    pub auto_accept_below_amount: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Capabilities {
    pub checkout_payments: bool,
    pub subscription_renewals: bool,
    pub payouts: bool,
    pub refunds: bool,
    pub api_access: bool,
    pub dashboard_access: bool,
}
