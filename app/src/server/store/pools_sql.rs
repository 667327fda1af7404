//! SQL of a pool's context and of a caller's read of a pool, and the implementation of
//! [`PoolStore`](super::PoolStore) shared by both backends. A request with a token authenticates
//! and reads the pool it acts on in one query: an outer join from the credential's row to the
//! pool, so the caller is found even when the pool is not theirs. A seat list reads only the
//! pool's stamp (two indexed rows), an assignment the whole context.

use const_format::concatcp;

use std::{collections::HashMap, sync::LazyLock};

use super::{
    CallerOnPool, CredentialHash, PoolContextRecord, PoolRead, PoolStore, SqlStore, StoreError,
    db::{Record, query_as},
    pools::{CallerOnPoolRow, PoolContextRow, SessionCallerRow, StampRow, TokenCallerRow},
};
use crate::{
    model::{OrganizationId, seat::SeatPool},
    server::token::TokenHash,
};

/// How many seats a pool may give out now, as its lists report it: a subscription's seats, or fewer
/// while a smaller count is scheduled for its renewal (the assignment's capacity check is the same);
/// an order's seats.
const SUBSCRIPTION_CAPACITY: &str =
    "CASE WHEN p.pending_seats < p.seats THEN p.pending_seats ELSE p.seats END";
const ORDER_CAPACITY: &str = "p.seats";

/// The columns of a `PoolContextRow`, after `FROM <pool table> p` and [`POOL_CONTEXT_JOINS`]: these,
/// the pool's capacity, then [`POOL_CONTEXT_TAIL`].
const POOL_CONTEXT_HEAD: &str = "c.id, c.organization_id, c.created_at, c.modified_at, c.type, c.email, c.name, c.external_id, \
         c.metadata, c.deleted_at, c.seats_view_version, p.status AS pool_status, p.product_id AS pool_product_id, ";
const POOL_CONTEXT_TAIL: &str = " AS pool_seats, p.used_seats AS pool_used_seats, p.seats_version AS pool_seats_version, \
         pr.name AS product_name, o.name AS organization_name, o.slug AS organization_slug, \
         o.invitation_ttl_seconds";
const SUBSCRIPTION_CONTEXT_COLUMNS: &str =
    concatcp!(POOL_CONTEXT_HEAD, SUBSCRIPTION_CAPACITY, POOL_CONTEXT_TAIL);
const ORDER_CONTEXT_COLUMNS: &str = concatcp!(POOL_CONTEXT_HEAD, ORDER_CAPACITY, POOL_CONTEXT_TAIL);
/// The joins the pool context columns come from. Outer joins, so that a caller's read finds the
/// caller when the pool is missing; every pool has its customer, product and organization.
pub(super) const POOL_CONTEXT_JOINS: &str = " LEFT JOIN customers c ON c.id = p.customer_id \
         LEFT JOIN products pr ON pr.id = p.product_id LEFT JOIN organizations o ON o.id = p.organization_id";

/// `$1` pool, `$2` organization: the pool with its customer, product name and organization. An
/// order that pays for a subscription is not a pool (its seats are the subscription's).
pub(super) const SUBSCRIPTION_CONTEXT: &str = concatcp!(
    "SELECT ",
    SUBSCRIPTION_CONTEXT_COLUMNS,
    " FROM subscriptions p",
    POOL_CONTEXT_JOINS,
    " WHERE p.id = $1 AND p.organization_id = $2"
);
pub(super) const ORDER_CONTEXT: &str = concatcp!(
    "SELECT ",
    ORDER_CONTEXT_COLUMNS,
    " FROM orders p",
    POOL_CONTEXT_JOINS,
    " WHERE p.id = $1 AND p.organization_id = $2 AND p.subscription_id IS NULL"
);

/// The columns of a `StampRow`, after `FROM <pool table> p` and [`STAMP_JOINS`]: these, the pool's
/// capacity, then [`STAMP_TAIL`].
const STAMP_HEAD: &str = "p.customer_id AS pool_customer_id, ";
const STAMP_TAIL: &str =
    " AS pool_seats, p.seats_version AS pool_seats_version, c.seats_view_version";
const SUBSCRIPTION_STAMP_COLUMNS: &str = concatcp!(STAMP_HEAD, SUBSCRIPTION_CAPACITY, STAMP_TAIL);
const ORDER_STAMP_COLUMNS: &str = concatcp!(STAMP_HEAD, ORDER_CAPACITY, STAMP_TAIL);
const STAMP_JOINS: &str = " LEFT JOIN customers c ON c.id = p.customer_id";

/// Whose credential a caller's read looks up.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum CallerTable {
    AccessToken,
    Session,
}

/// Which table a pool is a row of.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum PoolTable {
    Subscriptions,
    Orders,
}

/// `$1` credential hash, `$2` now, `$3` pool: the live caller, with what `read` asks of the pool
/// when it belongs to the caller's organization (else null pool columns); no row when the
/// credential is not live. Each of the eight is built once.
fn caller_on_pool_sql(caller: CallerTable, pool: PoolTable, read: PoolRead) -> &'static str {
    type Key = (CallerTable, PoolTable, PoolRead);
    static SQL: LazyLock<HashMap<Key, String>> = LazyLock::new(|| {
        let mut all = HashMap::new();
        for caller in [CallerTable::AccessToken, CallerTable::Session] {
            for pool in [PoolTable::Subscriptions, PoolTable::Orders] {
                for read in [PoolRead::Stamp, PoolRead::Context] {
                    all.insert((caller, pool, read), build(caller, pool, read));
                }
            }
        }
        all
    });
    fn build(caller: CallerTable, pool: PoolTable, read: PoolRead) -> String {
        let (caller_columns, from, organization, live) = match caller {
            CallerTable::AccessToken => (
                "t.id AS token_id, t.organization_id AS token_organization_id, t.scopes, \
                 t.expires_at",
                "access_tokens t",
                "t.organization_id",
                "t.token_hash = $1 AND t.revoked_at IS NULL \
                 AND (t.expires_at IS NULL OR t.expires_at > $2)",
            ),
            // A removed member's sessions are dead.
            CallerTable::Session => (
                "s.organization_id AS session_organization_id, \
                 s.customer_id AS session_customer_id, s.member_id AS session_member_id, \
                 m.role AS member_role",
                "customer_sessions s JOIN members m ON m.id = s.member_id",
                "s.organization_id",
                "s.token_hash = $1 AND s.expires_at > $2 AND m.deleted_at IS NULL",
            ),
        };
        // An order that pays for a subscription is not a pool of its own.
        let (table, only_pools) = match pool {
            PoolTable::Subscriptions => ("subscriptions", ""),
            PoolTable::Orders => ("orders", " AND p.subscription_id IS NULL"),
        };
        let (pool_columns, joins) = match (read, pool) {
            (PoolRead::Stamp, PoolTable::Subscriptions) => {
                (SUBSCRIPTION_STAMP_COLUMNS, STAMP_JOINS)
            }
            (PoolRead::Stamp, PoolTable::Orders) => (ORDER_STAMP_COLUMNS, STAMP_JOINS),
            (PoolRead::Context, PoolTable::Subscriptions) => {
                (SUBSCRIPTION_CONTEXT_COLUMNS, POOL_CONTEXT_JOINS)
            }
            (PoolRead::Context, PoolTable::Orders) => (ORDER_CONTEXT_COLUMNS, POOL_CONTEXT_JOINS),
        };
        format!(
            "SELECT {caller_columns}, {pool_columns} FROM {from} \
             LEFT JOIN {table} p ON p.id = $3 AND p.organization_id = {organization}{only_pools}{joins} \
             WHERE {live}"
        )
    }
    SQL[&(caller, pool, read)].as_str()
}

impl SqlStore {
    /// A caller's read of a pool: `sql` from [`caller_on_pool_sql`], whose caller columns `C` and
    /// pool columns `P` decode.
    async fn caller_on<C, P>(
        &self,
        sql: &'static str,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
        pool_id: uuid::Uuid,
    ) -> Result<Option<CallerOnPool>, StoreError>
    where
        CallerOnPoolRow<C, P>: Record,
        CallerOnPool: TryFrom<CallerOnPoolRow<C, P>, Error = StoreError>,
    {
        let row: Option<CallerOnPoolRow<C, P>> = query_as(sql)
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
        read: PoolRead,
    ) -> Result<Option<CallerOnPool>, StoreError> {
        let (table, pool_id) = match pool {
            SeatPool::Subscription(id) => (PoolTable::Subscriptions, id.as_uuid()),
            SeatPool::Order(id) => (PoolTable::Orders, id.as_uuid()),
        };
        let (hash, caller) = match credential {
            CredentialHash::AccessToken(hash) => (hash, CallerTable::AccessToken),
            CredentialHash::Session(hash) => (hash, CallerTable::Session),
        };
        let sql = caller_on_pool_sql(caller, table, read);
        match (caller, read) {
            (CallerTable::AccessToken, PoolRead::Stamp) => {
                self.caller_on::<TokenCallerRow, StampRow>(sql, hash, now, pool_id)
                    .await
            }
            (CallerTable::AccessToken, PoolRead::Context) => {
                self.caller_on::<TokenCallerRow, PoolContextRow>(sql, hash, now, pool_id)
                    .await
            }
            (CallerTable::Session, PoolRead::Stamp) => {
                self.caller_on::<SessionCallerRow, StampRow>(sql, hash, now, pool_id)
                    .await
            }
            (CallerTable::Session, PoolRead::Context) => {
                self.caller_on::<SessionCallerRow, PoolContextRow>(sql, hash, now, pool_id)
                    .await
            }
        }
    }
}
