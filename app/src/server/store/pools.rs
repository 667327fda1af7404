//! Records of a pool as its callers see it: its context (what assigning, claiming and inviting
//! need), its stamp (what a kept seat list is checked against), and a credential's caller read
//! together with either.

use chrono::{DateTime, Utc};

use crate::{
    model::{CustomerId, MemberId, OrganizationId, ProductId, Scopes, Slug, customer::MemberRole},
    server::token::TokenHash,
};

use super::{AccessTokenRecord, CustomerRecord, SessionRecord, StoreError};

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
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

/// What a caller's read fetches of the pool besides authorizing the caller on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolRead {
    /// The stamp only: enough to answer a kept seat list.
    Stamp,
    /// The whole context: what assigning needs.
    Context,
}

/// What a caller's read found of a pool of the caller's organization.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolSeen {
    Stamp(PoolStamp),
    Context(Box<PoolContextRecord>),
}

impl PoolSeen {
    /// The pool's stamp, which either read gives.
    pub fn stamp(&self) -> PoolStamp {
        match self {
            Self::Stamp(stamp) => *stamp,
            Self::Context(context) => context.stamp,
        }
    }

    /// The context, when the read asked for it.
    pub fn context(&self) -> Option<&PoolContextRecord> {
        match self {
            Self::Stamp(_) => None,
            Self::Context(context) => Some(context),
        }
    }
}

/// A live credential's caller and, when the pool it asks about belongs to the caller's
/// organization, what the read fetched of that pool: authentication and authorization on a pool in
/// one read.
#[derive(Clone, Debug, PartialEq)]
pub struct CallerOnPool {
    pub caller: CallerRecord,
    pub pool: Option<PoolSeen>,
}

/// The caller columns of an access token (aliased apart from the customer's).
#[derive(sqlx::FromRow)]
pub(super) struct TokenCallerRow {
    token_id: crate::model::AccessTokenId,
    token_organization_id: OrganizationId,
    #[sqlx(try_from = "String")]
    scopes: Scopes,
    expires_at: Option<DateTime<Utc>>,
}

impl From<TokenCallerRow> for CallerRecord {
    fn from(row: TokenCallerRow) -> Self {
        Self::AccessToken(AccessTokenRecord {
            id: row.token_id,
            organization_id: row.token_organization_id,
            scopes: row.scopes,
            expires_at: row.expires_at,
        })
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

impl From<SessionCallerRow> for CallerRecord {
    fn from(row: SessionCallerRow) -> Self {
        Self::Session(SessionRecord {
            organization_id: row.session_organization_id,
            customer_id: row.session_customer_id,
            member_id: row.session_member_id,
            role: row.member_role,
        })
    }
}

/// A pool's stamp columns (after `FROM <pool table> p JOIN customers c`).
#[derive(sqlx::FromRow)]
pub(super) struct StampRow {
    pool_customer_id: CustomerId,
    pool_seats: i64,
    pool_seats_version: i64,
    seats_view_version: i64,
}

impl From<StampRow> for PoolSeen {
    fn from(row: StampRow) -> Self {
        Self::Stamp(PoolStamp {
            customer_id: row.pool_customer_id,
            seats: row.pool_seats,
            seats_version: row.pool_seats_version,
            view_version: row.seats_view_version,
        })
    }
}

impl TryFrom<PoolContextRow> for PoolSeen {
    type Error = StoreError;

    fn try_from(row: PoolContextRow) -> Result<Self, Self::Error> {
        PoolContextRecord::try_from(row).map(|context| Self::Context(Box::new(context)))
    }
}

/// One row of a caller's outer join with a pool: the caller's columns `C`, then the pool's columns
/// `P` (a stamp or a context), all null when the pool is not the caller's organization's.
pub(super) struct CallerOnPoolRow<C, P> {
    caller: C,
    pool: Option<P>,
}

impl<'r, R, C, P> sqlx::FromRow<'r, R> for CallerOnPoolRow<C, P>
where
    R: sqlx::Row,
    C: sqlx::FromRow<'r, R>,
    P: sqlx::FromRow<'r, R>,
    &'r str: sqlx::ColumnIndex<R>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        // Not null in every pool; null only when the outer join found none.
        let found: Option<i64> = row.try_get("pool_seats")?;
        Ok(Self {
            caller: C::from_row(row)?,
            pool: found.map(|_| P::from_row(row)).transpose()?,
        })
    }
}

impl<C, P> TryFrom<CallerOnPoolRow<C, P>> for CallerOnPool
where
    CallerRecord: From<C>,
    PoolSeen: TryFrom<P>,
    StoreError: From<<PoolSeen as TryFrom<P>>::Error>,
{
    type Error = StoreError;

    fn try_from(row: CallerOnPoolRow<C, P>) -> Result<Self, Self::Error> {
        let pool = match row.pool {
            Some(pool) => Some(PoolSeen::try_from(pool).map_err(StoreError::from)?),
            None => None,
        };
        Ok(Self {
            caller: CallerRecord::from(row.caller),
            pool,
        })
    }
}
