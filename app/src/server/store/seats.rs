//! Records of customer seats and their rows.

use chrono::{DateTime, Utc};

use crate::model::{
    CustomerId, Email, MemberId, OrderId, OrganizationId, SeatId, SubscriptionId,
    metadata::Metadata, seat::SeatStatus,
};

use super::StoreError;

/// The pool a seat belongs to: exactly one subscription or one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatPool {
    Subscription(SubscriptionId),
    Order(OrderId),
}

impl SeatPool {
    pub fn subscription_id(self) -> Option<SubscriptionId> {
        match self {
            Self::Subscription(id) => Some(id),
            Self::Order(_) => None,
        }
    }

    pub fn order_id(self) -> Option<OrderId> {
        match self {
            Self::Order(id) => Some(id),
            Self::Subscription(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SeatRecord {
    pub id: SeatId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub pool: SeatPool,
    pub status: SeatStatus,
    pub customer_id: CustomerId,
    pub member_id: MemberId,
    pub email: Email,
    pub invitation_token_expires_at: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub metadata: Metadata,
}

/// A pool's size and how many of its seats are pending or claimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub seats: u32,
    pub used: u32,
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

#[derive(sqlx::FromRow)]
pub(super) struct SeatRow {
    id: SeatId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    subscription_id: Option<SubscriptionId>,
    order_id: Option<OrderId>,
    status: String,
    customer_id: CustomerId,
    member_id: MemberId,
    email: String,
    invitation_token_expires_at: Option<DateTime<Utc>>,
    claimed_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    seat_metadata: String,
}

impl TryFrom<SeatRow> for SeatRecord {
    type Error = StoreError;

    fn try_from(r: SeatRow) -> Result<Self, Self::Error> {
        let pool = match (r.subscription_id, r.order_id) {
            (Some(id), None) => SeatPool::Subscription(id),
            (None, Some(id)) => SeatPool::Order(id),
            _ => return Err(corrupt("seat pool", r.id)),
        };
        Ok(Self {
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            pool,
            status: SeatStatus::parse(&r.status)
                .ok_or_else(|| corrupt("seat status", &r.status))?,
            customer_id: r.customer_id,
            member_id: r.member_id,
            email: Email::parse(&r.email).map_err(|e| corrupt("seat email", e))?,
            invitation_token_expires_at: r.invitation_token_expires_at,
            claimed_at: r.claimed_at,
            revoked_at: r.revoked_at,
            metadata: serde_json::from_str(&r.seat_metadata)
                .map_err(|e| corrupt("seat metadata", e))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct UsageRow {
    pub(super) seats: i64,
    pub(super) used_seats: i64,
}
