//! SQL of a pool's context and of a caller's read of a pool, and the implementation of
//! [`PoolStore`](super::PoolStore) shared by both backends. A request with a token authenticates
//! and reads the pool it acts on in one query: an outer join from the credential's row to the
//! pool, so the caller is found even when the pool is not theirs.

use const_format::concatcp;

use super::{
    CallerOnPool, CallerRecord, CredentialHash, PoolContextRecord, PoolStore, SqlStore, StoreError,
    db::{Record, query_as},
    seats::{CallerOnPoolRow, PoolContextRow, SessionCallerRow, TokenCallerRow},
};
use crate::{
    model::{OrganizationId, seat::SeatPool},
    server::token::TokenHash,
};

/// The columns of a `PoolContextRow`, after `FROM <pool table> p` and [`POOL_CONTEXT_JOINS`].
pub(super) const POOL_CONTEXT_COLUMNS: &str = "c.id, c.organization_id, c.created_at, c.modified_at, c.type, c.email, c.name, c.external_id, \
         c.metadata, c.deleted_at, c.seats_view_version, p.status AS pool_status, p.product_id AS pool_product_id, \
         p.seats AS pool_seats, p.used_seats AS pool_used_seats, p.seats_version AS pool_seats_version, \
         pr.name AS product_name, o.name AS organization_name, o.slug AS organization_slug, \
         o.invitation_ttl_seconds";
/// The joins the pool context columns come from. Outer joins, so that a caller's read finds the
/// caller when the pool is missing; every pool has its customer, product and organization.
pub(super) const POOL_CONTEXT_JOINS: &str = " LEFT JOIN customers c ON c.id = p.customer_id \
         LEFT JOIN products pr ON pr.id = p.product_id LEFT JOIN organizations o ON o.id = p.organization_id";

/// `$1` pool, `$2` organization: the pool with its customer, product name and organization.
pub(super) const SUBSCRIPTION_CONTEXT: &str = concatcp!(
    "SELECT ",
    POOL_CONTEXT_COLUMNS,
    " FROM subscriptions p",
    POOL_CONTEXT_JOINS,
    " WHERE p.id = $1 AND p.organization_id = $2"
);
pub(super) const ORDER_CONTEXT: &str = concatcp!(
    "SELECT ",
    POOL_CONTEXT_COLUMNS,
    " FROM orders p",
    POOL_CONTEXT_JOINS,
    " WHERE p.id = $1 AND p.organization_id = $2"
);

/// A live access token's caller columns, and the join of `$3`'s pool of its organization.
const TOKEN_ON: &str = concatcp!(
    "SELECT t.id AS token_id, t.organization_id AS token_organization_id, t.scopes, t.expires_at, ",
    POOL_CONTEXT_COLUMNS,
    " FROM access_tokens t LEFT JOIN "
);
const TOKEN_POOL: &str = " p ON p.id = $3 AND p.organization_id = t.organization_id";
const TOKEN_LIVE: &str = " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)";
/// A live session's caller columns (a removed member's sessions are dead), and the join of `$3`'s
/// pool of its organization.
const SESSION_ON: &str = concatcp!(
    "SELECT s.organization_id AS session_organization_id, s.customer_id AS session_customer_id, \
     s.member_id AS session_member_id, m.role AS member_role, ",
    POOL_CONTEXT_COLUMNS,
    " FROM customer_sessions s JOIN members m ON m.id = s.member_id LEFT JOIN "
);
const SESSION_POOL: &str = " p ON p.id = $3 AND p.organization_id = s.organization_id";
const SESSION_LIVE: &str =
    " WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.deleted_at IS NULL";

/// `$1` credential hash, `$2` now, `$3` pool: the live caller, with the context of the pool when it
/// belongs to the caller's organization (else null pool columns); no row when the credential is
/// not live.
pub(super) const TOKEN_ON_SUBSCRIPTION: &str = concatcp!(
    TOKEN_ON,
    "subscriptions",
    TOKEN_POOL,
    POOL_CONTEXT_JOINS,
    TOKEN_LIVE
);
pub(super) const TOKEN_ON_ORDER: &str = concatcp!(
    TOKEN_ON,
    "orders",
    TOKEN_POOL,
    POOL_CONTEXT_JOINS,
    TOKEN_LIVE
);
pub(super) const SESSION_ON_SUBSCRIPTION: &str = concatcp!(
    SESSION_ON,
    "subscriptions",
    SESSION_POOL,
    POOL_CONTEXT_JOINS,
    SESSION_LIVE
);
pub(super) const SESSION_ON_ORDER: &str = concatcp!(
    SESSION_ON,
    "orders",
    SESSION_POOL,
    POOL_CONTEXT_JOINS,
    SESSION_LIVE
);

impl SqlStore {
    /// A caller's read of a pool: `sql` is one of the `*_ON_*` queries, whose caller columns `C`
    /// decodes.
    async fn caller_on<C>(
        &self,
        sql: &'static str,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
        pool_id: uuid::Uuid,
    ) -> Result<Option<CallerOnPool>, StoreError>
    where
        CallerOnPoolRow<C>: Record,
        CallerRecord: TryFrom<C, Error = StoreError>,
    {
        let row: Option<CallerOnPoolRow<C>> = query_as(sql)
            .bind(hash.as_bytes())
            .bind(now)
            .bind(pool_id)
            .fetch_optional(&self.db)
            .await?;
        row.map(TryInto::try_into).transpose()
    }
}

#[async_trait::async_trait]
impl PoolStore for SqlStore {
    async fn pool_context(
        &self,
        organization_id: OrganizationId,
        pool: SeatPool,
    ) -> Result<Option<PoolContextRecord>, StoreError> {
        match pool {
            SeatPool::Subscription(id) => {
                self.find_by::<PoolContextRow, _>(SUBSCRIPTION_CONTEXT, id, organization_id)
                    .await
            }
            SeatPool::Order(id) => {
                self.find_by::<PoolContextRow, _>(ORDER_CONTEXT, id, organization_id)
                    .await
            }
        }
    }

    async fn caller_on_pool(
        &self,
        credential: &CredentialHash,
        now: chrono::DateTime<chrono::Utc>,
        pool: SeatPool,
    ) -> Result<Option<CallerOnPool>, StoreError> {
        let pool_id = match pool {
            SeatPool::Subscription(id) => id.as_uuid(),
            SeatPool::Order(id) => id.as_uuid(),
        };
        match (credential, pool) {
            (CredentialHash::AccessToken(hash), SeatPool::Subscription(_)) => {
                self.caller_on::<TokenCallerRow>(TOKEN_ON_SUBSCRIPTION, hash, now, pool_id)
                    .await
            }
            (CredentialHash::AccessToken(hash), SeatPool::Order(_)) => {
                self.caller_on::<TokenCallerRow>(TOKEN_ON_ORDER, hash, now, pool_id)
                    .await
            }
            (CredentialHash::Session(hash), SeatPool::Subscription(_)) => {
                self.caller_on::<SessionCallerRow>(SESSION_ON_SUBSCRIPTION, hash, now, pool_id)
                    .await
            }
            (CredentialHash::Session(hash), SeatPool::Order(_)) => {
                self.caller_on::<SessionCallerRow>(SESSION_ON_ORDER, hash, now, pool_id)
                    .await
            }
        }
    }
}
