//! Records of customer seats and their rows.

use chrono::{DateTime, Utc};

use crate::{
    model::{
        BenefitGrantId, BenefitId, CustomerId, Email, MemberId, OrderId, OrganizationId,
        SeatAuditId, SeatId, SubscriptionId,
        customer::MemberRole,
        metadata::Metadata,
        seat::{ActorType, BenefitGrantProperties, SeatAction, SeatPool, SeatStatus},
    },
    server::token::TokenHash,
};

use super::{LicenseKeyRecord, MemberRecord, NewCustomerSession, NewEmail, NewEvent, StoreError};

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
    status: SeatStatus,
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
        let pool = SeatPool::from_columns(r.subscription_id, r.order_id)
            .ok_or_else(|| corrupt("seat pool", r.id))?;
        Ok(Self {
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            pool,
            status: r.status,
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

/// A benefit given to a seat holder.
#[derive(Clone, Debug, PartialEq)]
pub struct GrantRecord {
    pub id: BenefitGrantId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub benefit_id: BenefitId,
    pub customer_id: CustomerId,
    pub member_id: MemberId,
    pub seat_id: SeatId,
    pub pool: SeatPool,
    pub granted_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub properties: BenefitGrantProperties,
}

#[derive(sqlx::FromRow)]
pub(super) struct GrantRow {
    id: BenefitGrantId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    benefit_id: BenefitId,
    customer_id: CustomerId,
    member_id: MemberId,
    seat_id: SeatId,
    subscription_id: Option<SubscriptionId>,
    order_id: Option<OrderId>,
    granted_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    properties: String,
}

impl TryFrom<GrantRow> for GrantRecord {
    type Error = StoreError;

    fn try_from(r: GrantRow) -> Result<Self, Self::Error> {
        Ok(Self {
            pool: SeatPool::from_columns(r.subscription_id, r.order_id)
                .ok_or_else(|| corrupt("grant pool", r.id))?,
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            benefit_id: r.benefit_id,
            customer_id: r.customer_id,
            member_id: r.member_id,
            seat_id: r.seat_id,
            granted_at: r.granted_at,
            revoked_at: r.revoked_at,
            properties: serde_json::from_str(&r.properties)
                .map_err(|e| corrupt("grant properties", e))?,
        })
    }
}

/// One entry of the seat audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub id: SeatAuditId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub seat_id: SeatId,
    pub pool: SeatPool,
    pub action: SeatAction,
    pub actor_type: ActorType,
    pub actor_id: Option<uuid::Uuid>,
    pub email: Email,
    /// A transfer's new seat and holder.
    pub transferred_to: Option<(SeatId, Email)>,
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: SeatAuditId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    seat_id: SeatId,
    subscription_id: Option<SubscriptionId>,
    order_id: Option<OrderId>,
    action: SeatAction,
    actor_type: ActorType,
    actor_id: Option<uuid::Uuid>,
    email: String,
    to_seat_id: Option<SeatId>,
    to_email: Option<String>,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> Result<Self, Self::Error> {
        Ok(Self {
            pool: SeatPool::from_columns(r.subscription_id, r.order_id)
                .ok_or_else(|| corrupt("audit pool", r.id))?,
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            seat_id: r.seat_id,
            action: r.action,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            email: Email::parse(&r.email).map_err(|e| corrupt("audit email", e))?,
            transferred_to: match (r.to_seat_id, r.to_email) {
                (Some(seat_id), Some(email)) => Some((
                    seat_id,
                    Email::parse(&email).map_err(|e| corrupt("audit transfer email", e))?,
                )),
                _ => None,
            },
        })
    }
}

/// Everything one assignment writes, in one transaction.
#[derive(Clone, Debug)]
pub struct SeatAssignment {
    pub seat: SeatRecord,
    /// The invitation's hash; none when the seat is claimed at once.
    pub invitation: Option<TokenHash>,
    /// A member to create first (the holder was not yet a member of the billing customer).
    pub new_member: Option<MemberRecord>,
    /// Grants of a seat claimed at once, and the license keys they give.
    pub grants: Vec<GrantRecord>,
    pub license_keys: Vec<LicenseKeyRecord>,
    /// The invitation email.
    pub email: Option<NewEmail>,
    pub audit: Vec<AuditRecord>,
    pub events: Vec<NewEvent>,
}

/// Everything a claim writes, if its conditional update wins.
#[derive(Clone, Debug)]
pub struct SeatClaimWrite {
    pub seat_id: SeatId,
    pub invitation: TokenHash,
    pub now: DateTime<Utc>,
    pub grants: Vec<GrantRecord>,
    /// The license keys the grants give.
    pub license_keys: Vec<LicenseKeyRecord>,
    pub session: NewCustomerSession,
    pub audit: AuditRecord,
    pub events: Vec<NewEvent>,
}

/// A new invitation for a pending seat.
#[derive(Clone, Debug)]
pub struct SeatResendWrite {
    pub seat_id: SeatId,
    pub invitation: TokenHash,
    pub expires_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub email: NewEmail,
    pub audit: AuditRecord,
}

/// A transfer: the old seat revoked (its audit entry the transfer's) and the new seat assigned in
/// its place, without the pool's count moving (no audit entry of its own but a claim's).
#[derive(Clone, Debug)]
pub struct SeatTransferWrite {
    pub revoke: SeatRevokeWrite,
    pub assignment: SeatAssignment,
}

/// A revocation: the seat, its grants, its audit entry and events.
#[derive(Clone, Debug)]
pub struct SeatRevokeWrite {
    pub seat: SeatRecord,
    pub now: DateTime<Utc>,
    pub audit: AuditRecord,
    pub events: Vec<NewEvent>,
}

/// The holder of a live customer or member session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub organization_id: OrganizationId,
    pub customer_id: CustomerId,
    pub member_id: MemberId,
    pub role: MemberRole,
}
