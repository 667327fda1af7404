//! Webhooks on the wire, as Polar's API shapes them: a merchant's endpoints, the events sent to each
//! (one per endpoint and change: the `webhook-id` of its requests) and every delivery attempt.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{OrganizationId, WebhookDeliveryId, WebhookEndpointId, WebhookSendId};

/// Every event type an endpoint may subscribe to: the official SDK's catalogue. Some are never sent
/// by Seatkeeper (it has no discounts, pauses or migrations); subscribing to them is allowed, as a
/// merchant coming from Polar would.
pub const EVENT_TYPES: &[&str] = &[
    "checkout.created",
    "checkout.updated",
    "checkout.expired",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.state_changed",
    "customer_seat.assigned",
    "customer_seat.claimed",
    "customer_seat.revoked",
    "member.created",
    "member.updated",
    "member.deleted",
    "order.created",
    "order.updated",
    "order.paid",
    "order.refunded",
    "subscription.created",
    "subscription.updated",
    "subscription.active",
    "subscription.canceled",
    "subscription.uncanceled",
    "subscription.cycled",
    "subscription.revoked",
    "subscription.past_due",
    "subscription.paused",
    "subscription.resumed",
    "subscription.migrated",
    "refund.created",
    "refund.updated",
    "product.created",
    "product.updated",
    "discount.created",
    "discount.updated",
    "discount.deleted",
    "benefit.created",
    "benefit.updated",
    "benefit_grant.created",
    "benefit_grant.cycled",
    "benefit_grant.updated",
    "benefit_grant.revoked",
    "organization.updated",
];

/// The events after which a customer's state (its active subscriptions and granted benefits) may
/// have changed, so a `customer.state_changed` event follows them, as in Polar.
pub const STATE_CHANGING_EVENTS: &[&str] = &[
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "subscription.created",
    "subscription.updated",
    "subscription.active",
    "subscription.canceled",
    "subscription.uncanceled",
    "subscription.revoked",
    "benefit_grant.created",
    "benefit_grant.updated",
    "benefit_grant.revoked",
];

/// The customer whose state an event of `kind` with `payload` may have changed: the customer
/// itself for `customer.*`, the resource's `customer_id` otherwise; none for other events.
pub fn state_changed_customer(kind: &str, payload: &serde_json::Value) -> Option<uuid::Uuid> {
    if !STATE_CHANGING_EVENTS.contains(&kind) {
        return None;
    }
    let field = if kind.starts_with("customer.") {
        "id"
    } else {
        "customer_id"
    };
    payload.get(field)?.as_str()?.parse().ok()
}

/// The API version of every payload Seatkeeper renders.
pub const API_VERSION: &str = "2026-10";

/// A webhook endpoint as the API returns it. The secret is part of it, as in Polar: whoever may read
/// the organization's webhooks may verify their signatures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub url: String,
    pub name: Option<String>,
    pub api_version: String,
    /// Always `raw`: the JSON envelope.
    pub format: String,
    /// `whsec_...`; the HMAC key is its UTF-8 bytes.
    pub secret: String,
    pub organization_id: OrganizationId,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Deliveries are signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
    /// `webhook-signature: v1,...`).
    pub uses_standard_webhook_signature: bool,
}

/// `POST /v1/webhooks/endpoints`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointCreate {
    /// `https://...`; plain http and private addresses only when the server allows them.
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `2026-10` (the default and the only version rendered).
    #[serde(default)]
    pub api_version: Option<String>,
    /// `raw` (Discord and Slack formats are not supported).
    pub format: String,
    pub events: Vec<String>,
    /// Must be the token's own organization when given.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
}

/// `PATCH /v1/webhooks/endpoints/{id}`: what is given changes; `null` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointUpdate {
    #[serde(default)]
    pub url: Option<String>,
    /// A string renames; an empty string clears the name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// Re-enabling an endpoint the server disabled after repeated failures resets its failure
    /// count.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// An event sent (or to be sent) to one endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookEvent {
    pub id: WebhookSendId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt; none before the first or when the endpoint was
    /// unreachable.
    pub last_http_code: Option<u16>,
    /// Whether it was delivered; none before the first attempt.
    pub succeeded: Option<bool>,
    pub skipped: bool,
    pub api_version: String,
    /// The body sent (the JSON envelope).
    pub payload: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub is_archived: bool,
}

/// One attempt to deliver an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: WebhookDeliveryId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub succeeded: bool,
    /// None when the endpoint was unreachable.
    pub http_code: Option<u16>,
    /// The first 2 KB of the response body, or what went wrong when there was no response.
    pub response: Option<String>,
    pub webhook_event: WebhookEvent,
}

/// Whether `kind` is in the catalogue.
pub fn is_event_type(kind: &str) -> bool {
    EVENT_TYPES.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_holds_every_type_the_product_writes() {
        for kind in [
            "customer_seat.assigned",
            "customer_seat.claimed",
            "customer_seat.revoked",
            "benefit_grant.created",
            "benefit_grant.revoked",
            "subscription.cycled",
            "order.paid",
        ] {
            assert!(is_event_type(kind), "{kind}");
        }
        assert!(!is_event_type("customer_seat.*"));
    }

    #[test]
    fn grant_subscription_and_customer_events_name_the_customer_whose_state_changed() {
        let customer = uuid::Uuid::now_v7();
        let grant = serde_json::json!({"id": uuid::Uuid::now_v7(), "customer_id": customer});
        assert_eq!(
            state_changed_customer("benefit_grant.revoked", &grant),
            Some(customer)
        );
        assert_eq!(
            state_changed_customer("subscription.canceled", &grant),
            Some(customer)
        );
        let itself = serde_json::json!({"id": customer});
        assert_eq!(
            state_changed_customer("customer.updated", &itself),
            Some(customer)
        );
        assert_eq!(
            state_changed_customer("customer_seat.claimed", &grant),
            None
        );
        assert_eq!(
            state_changed_customer("customer.state_changed", &itself),
            None
        );
        assert_eq!(
            state_changed_customer("benefit_grant.created", &serde_json::json!({})),
            None
        );
        for kind in STATE_CHANGING_EVENTS {
            assert!(is_event_type(kind), "{kind}");
        }
    }
}
