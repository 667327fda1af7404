//! Customer seats as the API returns and accepts them: one assignment of a seat in a pool (a
//! subscription or a one-time order) to a member of the billing customer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    CustomerId, Email, MemberId, OrderId, SeatId, SubscriptionId, customer::Member,
    metadata::Metadata,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SeatStatus {
    Pending,
    Claimed,
    Revoked,
}

impl SeatStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Claimed => "claimed",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Claimed, Self::Revoked]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    /// Pending and claimed seats use up the pool; revoked ones do not.
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Pending | Self::Claimed)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSeat {
    pub id: SeatId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub subscription_id: Option<SubscriptionId>,
    pub order_id: Option<OrderId>,
    pub status: SeatStatus,
    /// The billing customer (the pool's owner).
    pub customer_id: CustomerId,
    pub member_id: MemberId,
    pub member: Member,
    pub email: Email,
    pub customer_email: Option<Email>,
    pub invitation_token_expires_at: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub seat_metadata: Metadata,
}

/// The seats of one pool, oldest first, and its capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatsList {
    pub seats: Vec<CustomerSeat>,
    pub available_seats: u32,
    pub total_seats: u32,
}

/// Body of `POST /v1/customer-seats`. This first version assigns by `email`; the other holder
/// identifiers of Polar's `SeatAssign` are refused with a 422 until they are built.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatAssign {
    #[serde(default)]
    pub subscription_id: Option<SubscriptionId>,
    #[serde(default)]
    pub order_id: Option<OrderId>,
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub external_customer_id: Option<String>,
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    #[serde(default)]
    pub external_member_id: Option<String>,
    #[serde(default)]
    pub member_id: Option<MemberId>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub immediate_claim: bool,
}
