//! Typed ids: one newtype per entity over a UUID, so an organization id can never be passed where a
//! token id is expected. New ids are UUID v7 (time-ordered, index friendly).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What every typed id is underneath: a UUID (how the store binds any of them).
pub trait TypedId: Copy {
    fn uuid(self) -> Uuid;
}

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type, utoipa::ToSchema), sqlx(transparent))]
        #[cfg_attr(feature = "ssr", schema(value_type = String, format = Uuid))]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            #[cfg(feature = "ssr")]
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The id of an existing entity.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl TypedId for $name {
            fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// An organization (a merchant).
    OrganizationId
);
uuid_id!(
    /// An organization access token (the token's id, never its secret).
    AccessTokenId
);
uuid_id!(
    /// A product of the catalog.
    ProductId
);
uuid_id!(
    /// A price of a product.
    PriceId
);
uuid_id!(
    /// A benefit (what a seat holder gets).
    BenefitId
);
uuid_id!(
    /// A webhook event in the outbox.
    EventId
);
uuid_id!(
    /// A customer (the buyer).
    CustomerId
);
uuid_id!(
    /// A member of a customer (a person who may hold a seat).
    MemberId
);
uuid_id!(
    /// A customer or member session.
    CustomerSessionId
);
uuid_id!(
    /// A checkout (a purchase session).
    CheckoutId
);
uuid_id!(
    /// A subscription (a recurring seat pool).
    SubscriptionId
);
uuid_id!(
    /// An order (a payment record; a paid one-time order is a seat pool).
    OrderId
);
uuid_id!(
    /// One seat assignment in a pool.
    SeatId
);
uuid_id!(
    /// A benefit given to a member because of a claimed seat.
    BenefitGrantId
);
uuid_id!(
    /// A license key (what a license-key grant gives).
    LicenseKeyId
);
uuid_id!(
    /// One activation of a license key (a device or installation).
    LicenseKeyActivationId
);
uuid_id!(
    /// One entry of the seat audit log.
    SeatAuditId
);
uuid_id!(
    /// An email in the outbox.
    EmailId
);
uuid_id!(
    /// One attempt to pay a checkout (the payment provider's idempotency key).
    PaymentId
);
uuid_id!(
    /// A refund of an order (also the payment provider's idempotency key of the refund).
    RefundId
);
uuid_id!(
    /// A merchant's webhook endpoint.
    WebhookEndpointId
);
uuid_id!(
    /// One event to send to one endpoint: what the API calls a webhook event (its id is the
    /// `webhook-id` header, the same on every attempt).
    WebhookSendId
);
uuid_id!(
    /// One attempt to send a webhook event (the API's delivery).
    WebhookDeliveryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_serializes_as_a_bare_hyphenated_uuid() {
        let id: OrganizationId = "3c90c3cc-0d44-4b50-8888-8dd25736052a".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"3c90c3cc-0d44-4b50-8888-8dd25736052a\""
        );
        assert_eq!(id.to_string(), "3c90c3cc-0d44-4b50-8888-8dd25736052a");
    }

    #[test]
    fn a_malformed_id_does_not_parse() {
        assert!("not-a-uuid".parse::<OrganizationId>().is_err());
    }
}
