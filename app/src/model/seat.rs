//! Customer seats as the API returns and accepts them: one assignment of a seat in a pool (a
//! subscription or a one-time order) to a member of the billing customer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Named;

use super::{
    BenefitGrantId, BenefitId, CheckoutId, CustomerId, Email, MemberId, OrderId, ProductId,
    SeatAuditId, SeatId, SubscriptionId,
    benefit::Benefit,
    customer::{Customer, Member},
    metadata::Metadata,
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
pub enum SeatStatus {
    Pending,
    Claimed,
    Revoked,
}

impl SeatStatus {
    /// Pending and claimed seats use up the pool; revoked ones do not.
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Pending | Self::Claimed)
    }
}

impl Named for SeatStatus {}

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

/// One page of the seats of one pool, oldest first (a page holds up to 1,000 seats by default,
/// a whole pool), and the pool's capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatsList {
    pub seats: Vec<CustomerSeat>,
    pub available_seats: u32,
    pub total_seats: u32,
    /// How many seats the list has in all (beyond Polar's shape, which has no pages).
    pub pagination: crate::model::Pagination,
}

/// Body of `POST /v1/customer-seats` (Polar's `SeatAssign`) and of `POST
/// /v1/customer-portal/seats` (`CustomerSeatAssign`). The pool is named by exactly one of
/// `subscription_id`, `order_id` and `checkout_id`; the holder by exactly one of `email`,
/// `external_member_id` (optionally with `email`), `member_id`, `customer_id` and
/// `external_customer_id`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatAssign {
    #[serde(default)]
    pub subscription_id: Option<SubscriptionId>,
    #[serde(default)]
    pub order_id: Option<OrderId>,
    /// Resolves to the subscription or order the checkout created.
    #[serde(default)]
    pub checkout_id: Option<CheckoutId>,
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

/// Body of `POST /v1/customer-seats/{id}/transfer` and `POST
/// /v1/customer-portal/seats/{id}/transfer` (beyond Polar): the seat's new holder, named as in
/// [`SeatAssign`] by exactly one of `email`, `external_member_id` (optionally with `email`),
/// `member_id`, `customer_id` and `external_customer_id`. The new seat keeps the old one's
/// metadata unless `metadata` is given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatTransfer {
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
    pub metadata: Option<Metadata>,
    /// Merchant only: the new seat is claimed at once, with no invitation.
    #[serde(default)]
    pub immediate_claim: bool,
}

impl SeatTransfer {
    /// The assignment this transfer makes in `pool`, with `metadata` unless it names its own.
    pub fn assignment(&self, pool: SeatPool, metadata: &Metadata) -> SeatAssign {
        SeatAssign {
            subscription_id: pool.subscription_id(),
            order_id: pool.order_id(),
            checkout_id: None,
            email: self.email.clone(),
            external_customer_id: self.external_customer_id.clone(),
            customer_id: self.customer_id,
            external_member_id: self.external_member_id.clone(),
            member_id: self.member_id,
            metadata: self.metadata.clone().unwrap_or_else(|| metadata.clone()),
            immediate_claim: self.immediate_claim,
        }
    }
}

/// Body of `POST /v1/customer-seats/claim`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatClaim {
    pub invitation_token: String,
}

/// What an invitation link leads to; reading it changes nothing (email scanners follow links).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatClaimInfo {
    pub product_name: String,
    pub product_id: ProductId,
    pub organization_name: String,
    pub organization_slug: String,
    /// The invited person's email.
    pub customer_email: Email,
    pub can_claim: bool,
}

/// A claimed seat and a member session for its new holder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSeatClaimResponse {
    pub seat: CustomerSeat,
    pub customer_session_token: String,
}

/// What happened to a seat.
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
pub enum SeatAction {
    Assigned,
    Claimed,
    Resent,
    Revoked,
    /// The seat was reassigned: revoked, and a new seat given to someone else in its place (the
    /// entry names that seat and its holder).
    Transferred,
}

impl SeatAction {
    pub const ALL: [Self; 5] = [
        Self::Assigned,
        Self::Claimed,
        Self::Resent,
        Self::Revoked,
        Self::Transferred,
    ];
}

impl Named for SeatAction {}

/// Who changed a seat.
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
pub enum ActorType {
    /// The merchant's API, with an organization access token (`actor_id`: the token's id).
    Organization,
    /// The billing customer's portal session (`actor_id`: the customer).
    Customer,
    /// A member: through a portal session, or the invited person claiming (`actor_id`: the member).
    Member,
    /// Seatkeeper itself (e.g. a member's removal revoking their seats).
    System,
}

impl ActorType {
    pub const ALL: [Self; 4] = [
        Self::Organization,
        Self::Customer,
        Self::Member,
        Self::System,
    ];
}

impl Named for ActorType {}

/// One entry of the seat audit log: who did what to which seat, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatAuditEntry {
    pub id: SeatAuditId,
    pub created_at: DateTime<Utc>,
    pub seat_id: SeatId,
    pub subscription_id: Option<SubscriptionId>,
    pub order_id: Option<OrderId>,
    pub action: SeatAction,
    pub actor_type: ActorType,
    /// The access token, customer or member that acted; none for the system.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Uuid))]
    pub actor_id: Option<uuid::Uuid>,
    /// The seat holder's email.
    pub email: Email,
    /// A transfer's new seat, given in this seat's place (only for `transferred`).
    pub to_seat_id: Option<SeatId>,
    /// A transfer's new holder (only for `transferred`).
    pub to_email: Option<Email>,
}

/// One page of a pool's audit log, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatAuditLog {
    pub entries: Vec<SeatAuditEntry>,
    pub pagination: crate::model::Pagination,
}

/// A benefit given to a member because they hold a claimed seat (Polar's `BenefitGrant`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BenefitGrant {
    pub id: BenefitGrantId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub granted_at: Option<DateTime<Utc>>,
    pub is_granted: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    pub is_revoked: bool,
    pub subscription_id: Option<SubscriptionId>,
    pub order_id: Option<OrderId>,
    pub customer_id: CustomerId,
    pub member_id: Option<MemberId>,
    pub benefit_id: BenefitId,
    pub seat_id: SeatId,
    pub customer: Customer,
    pub member: Option<Member>,
    pub benefit: Benefit,
    pub properties: BenefitGrantProperties,
}

/// What a grant gives: for a license-key benefit, its key's id and the key with all but its last
/// six characters hidden (the key itself is read at `/v1/license-keys/{license_key_id}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BenefitGrantProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_key_id: Option<crate::model::LicenseKeyId>,
    /// The key with all but its last six characters hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_key: Option<String>,
    /// A custom benefit's note for the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The pool a seat belongs to: exactly one subscription or one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeatPool {
    Subscription(SubscriptionId),
    Order(OrderId),
}

impl SeatPool {
    /// The pool of a row's two pool columns; exactly one must be set.
    pub fn from_columns(
        subscription_id: Option<SubscriptionId>,
        order_id: Option<OrderId>,
    ) -> Option<Self> {
        match (subscription_id, order_id) {
            (Some(id), None) => Some(Self::Subscription(id)),
            (None, Some(id)) => Some(Self::Order(id)),
            _ => None,
        }
    }

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
