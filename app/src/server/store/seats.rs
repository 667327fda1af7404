//! Records of customer seats and their rows.

use chrono::{DateTime, Utc};

use crate::{
    model::{
        BenefitGrantId, BenefitId, CustomerId, Email, MemberId, OrderId, OrganizationId, ProductId,
        SeatAuditId, SeatId, Slug, SubscriptionId,
        customer::MemberRole,
        metadata::Metadata,
        seat::{ActorType, BenefitGrantProperties, SeatAction, SeatPool, SeatStatus},
    },
    server::token::TokenHash,
};

use super::{
    AccessTokenRecord, CustomerRecord, MemberRecord, NewCustomerSession, NewEmail, NewEvent,
    StoreError,
};

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

/// A pool and what assigning, claiming, inviting and listing need around it, read in one query:
/// its billing customer (even if deleted), its product's name, its organization's name, slug and
/// invitation lifetime, how many of its seats are taken, and its stamp.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolContextRecord {
    /// The subscription's or order's status, as stored.
    pub status: String,
    pub customer: CustomerRecord,
    pub product_id: ProductId,
    pub product_name: String,
    pub organization_name: String,
    pub organization_slug: Slug,
    pub invitation_ttl_seconds: i64,
    /// Seats taken (pending or claimed).
    pub used_seats: u32,
    pub stamp: PoolStamp,
}

impl PoolContextRecord {
    /// The pool's size.
    pub fn seats(&self) -> u32 {
        u32::try_from(self.stamp.seats).unwrap_or(u32::MAX)
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PoolContextRow {
    #[sqlx(flatten)]
    customer: super::customers::CustomerRow,
    pool_status: String,
    pool_product_id: ProductId,
    product_name: String,
    organization_name: String,
    organization_slug: String,
    invitation_ttl_seconds: i64,
    pool_seats: i64,
    pool_used_seats: i64,
    pool_seats_version: i64,
    seats_view_version: i64,
}

impl TryFrom<PoolContextRow> for PoolContextRecord {
    type Error = StoreError;

    fn try_from(row: PoolContextRow) -> Result<Self, Self::Error> {
        let customer = CustomerRecord::try_from(row.customer)?;
        Ok(Self {
            status: row.pool_status,
            product_id: row.pool_product_id,
            product_name: row.product_name,
            organization_slug: Slug::parse(&row.organization_slug)
                .map_err(|e| corrupt("organization slug", e))?,
            organization_name: row.organization_name,
            invitation_ttl_seconds: row.invitation_ttl_seconds,
            used_seats: u32::try_from(row.pool_used_seats).map_err(|e| corrupt("used seats", e))?,
            stamp: PoolStamp {
                customer_id: customer.id,
                seats: row.pool_seats,
                seats_version: row.pool_seats_version,
                view_version: row.seats_view_version,
            },
            customer,
        })
    }
}

/// What a pool's seat list is built from, as counters: any change to the list (a seat written, the
/// pool resized, the customer or one of its members updated) changes the stamp. A cached list is
/// served only while its stamp is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStamp {
    pub customer_id: CustomerId,
    pub seats: i64,
    pub seats_version: i64,
    pub view_version: i64,
}

/// The hash of a credential a request presented, as the store looks it up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CredentialHash {
    /// An organization access token's.
    AccessToken(TokenHash),
    /// A customer or member session token's.
    Session(TokenHash),
}

/// Who a live credential belongs to.
#[derive(Clone, Debug, PartialEq)]
pub enum CallerRecord {
    AccessToken(AccessTokenRecord),
    Session(SessionRecord),
}

/// A live credential's caller and, when the pool it asks about belongs to the caller's
/// organization, that pool's context: authentication and authorization on a pool in one read.
#[derive(Clone, Debug, PartialEq)]
pub struct CallerOnPool {
    pub caller: CallerRecord,
    pub pool: Option<PoolContextRecord>,
}

/// The caller columns of an access token (aliased apart from the customer's).
#[derive(sqlx::FromRow)]
pub(super) struct TokenCallerRow {
    token_id: crate::model::AccessTokenId,
    token_organization_id: OrganizationId,
    scopes: String,
    expires_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenCallerRow> for CallerRecord {
    type Error = StoreError;

    fn try_from(row: TokenCallerRow) -> Result<Self, Self::Error> {
        super::records::access_token_record(
            row.token_id,
            row.token_organization_id,
            &row.scopes,
            row.expires_at,
        )
        .map(Self::AccessToken)
    }
}

/// The caller columns of a session (aliased apart from the customer's).
#[derive(sqlx::FromRow)]
pub(super) struct SessionCallerRow {
    session_organization_id: OrganizationId,
    session_customer_id: CustomerId,
    session_member_id: MemberId,
    member_role: MemberRole,
}

impl TryFrom<SessionCallerRow> for CallerRecord {
    type Error = StoreError;

    fn try_from(row: SessionCallerRow) -> Result<Self, Self::Error> {
        Ok(Self::Session(SessionRecord {
            organization_id: row.session_organization_id,
            customer_id: row.session_customer_id,
            member_id: row.session_member_id,
            role: row.member_role,
        }))
    }
}

/// One row of a caller's outer join with a pool: the caller's columns, then the pool's context
/// columns, all null when the pool is not the caller's organization's.
pub(super) struct CallerOnPoolRow<C> {
    caller: C,
    pool: Option<PoolContextRow>,
}

impl<'r, R, C> sqlx::FromRow<'r, R> for CallerOnPoolRow<C>
where
    R: sqlx::Row,
    C: sqlx::FromRow<'r, R>,
    PoolContextRow: sqlx::FromRow<'r, R>,
    &'r str: sqlx::ColumnIndex<R>,
    Option<ProductId>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let found: Option<ProductId> = row.try_get("pool_product_id")?;
        Ok(Self {
            caller: C::from_row(row)?,
            pool: found.map(|_| PoolContextRow::from_row(row)).transpose()?,
        })
    }
}

impl<C> TryFrom<CallerOnPoolRow<C>> for CallerOnPool
where
    CallerRecord: TryFrom<C, Error = StoreError>,
{
    type Error = StoreError;

    fn try_from(row: CallerOnPoolRow<C>) -> Result<Self, Self::Error> {
        Ok(Self {
            caller: row.caller.try_into()?,
            pool: row.pool.map(TryInto::try_into).transpose()?,
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
    /// Also in `properties`; a column of its own so a unique index can guard it.
    pub license_key: Option<String>,
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
    license_key: Option<String>,
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
            license_key: r.license_key,
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
    /// Grants of a seat claimed at once.
    pub grants: Vec<GrantRecord>,
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
