//! SQL of customer seats and the implementation of [`SeatStore`](super::SeatStore) shared by both
//! backends. Capacity is one conditional update on the pool's counter inside the assigning
//! transaction; the unique partial indexes refuse a second active seat for an email or a member.

use const_format::concatcp;

use super::{
    AuditRecord, Backend, CallerOnPool, CallerRecord, CredentialHash, CustomerRecord, GrantFilter,
    GrantRecord, MemberRecord, NewEvent, PoolContextRecord, SeatAssignment, SeatClaimWrite,
    SeatRecord, SeatResendWrite, SeatRevokeWrite, SeatStore, SessionRecord, SqlStore, Store,
    StoreError, SubscriptionRecord, billing_sql,
    catalog::to_json,
    catalog_sql,
    chain::Chain,
    customers_sql,
    db::{On, Query, Record, Tx, query, query_as, query_scalar},
    emails_sql,
    filters::pool_rows,
    seats::{
        AuditRow, CallerOnPoolRow, GrantRow, PoolContextRow, SeatRow, SessionCallerRow,
        TokenCallerRow,
    },
};
use crate::model::Named;
use crate::{
    model::{
        CustomerId, Email, MemberId, OrganizationId, PageRequest, SeatId,
        seat::{SeatPool, SeatStatus},
    },
    server::token::TokenHash,
};

pub(super) const SEAT_COLUMNS: &str = "id, organization_id, created_at, modified_at, subscription_id, order_id, status, customer_id, member_id, \
         email, invitation_token_expires_at, claimed_at, revoked_at, seat_metadata";

pub(super) const INSERT_SEAT: &str = concatcp!(
    "INSERT INTO customer_seats (",
    SEAT_COLUMNS,
    ", invitation_token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
);

pub(super) const SELECT_SEAT: &str = concatcp!(
    "SELECT ",
    SEAT_COLUMNS,
    " FROM customer_seats WHERE id = $1 AND organization_id = $2"
);

/// The capacity check: a pool that is full, or closed (its customer was deleted), takes no seat.
pub(super) const TAKE_SUBSCRIPTION_SEAT: &str = "UPDATE subscriptions SET used_seats = used_seats + 1 \
     WHERE id = $1 AND used_seats < seats AND NOT seats_closed";
pub(super) const TAKE_ORDER_SEAT: &str = "UPDATE orders SET used_seats = used_seats + 1 \
     WHERE id = $1 AND used_seats < seats AND NOT seats_closed";

/// `$1` customer, `$2` closed: closes every pool of a customer being deleted, and so waits for, or
/// orders itself before, any assignment into them; or reopens them, while the customer is live.
pub(super) const CLOSE_SUBSCRIPTIONS_OF_CUSTOMER: &str = "UPDATE subscriptions SET seats_closed = $2 \
     WHERE customer_id = $1 AND ($2 OR EXISTS (SELECT 1 FROM customers c WHERE c.id = $1 AND c.deleted_at IS NULL))";
pub(super) const CLOSE_ORDERS_OF_CUSTOMER: &str = "UPDATE orders SET seats_closed = $2 \
     WHERE customer_id = $1 AND ($2 OR EXISTS (SELECT 1 FROM customers c WHERE c.id = $1 AND c.deleted_at IS NULL))";
/// `$1` customer: how many seats of the customer's pools are still active.
pub(super) const COUNT_ACTIVE_SEATS_OF_CUSTOMER: &str = "SELECT COUNT(*) FROM customer_seats WHERE customer_id = $1 AND status IN ('pending', 'claimed')";
pub(super) const FREE_SUBSCRIPTION_SEAT: &str =
    "UPDATE subscriptions SET used_seats = used_seats - 1 WHERE id = $1 AND used_seats > 0";
pub(super) const FREE_ORDER_SEAT: &str =
    "UPDATE orders SET used_seats = used_seats - 1 WHERE id = $1 AND used_seats > 0";

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

/// `$1` seat, `$2` now: one conditional update, so a second revoke changes nothing.
pub(super) const REVOKE_SEAT: &str = "UPDATE customer_seats SET status = 'revoked', revoked_at = $2, modified_at = $2, \
     invitation_token_hash = NULL, invitation_token_expires_at = NULL WHERE id = $1 AND status IN ('pending', 'claimed')";

pub(super) const SELECT_MEMBER_BY_EMAIL: &str = "SELECT id, customer_id, organization_id, created_at, modified_at, \
     email, name, external_id, role, deleted_at FROM members WHERE customer_id = $1 AND email = $2 AND deleted_at IS NULL";

pub(super) const SELECT_MEMBER_EVEN_REMOVED: &str = "SELECT id, customer_id, organization_id, created_at, \
     modified_at, email, name, external_id, role, deleted_at FROM members WHERE id = $1 AND customer_id = $2";

pub(super) const ALL_MEMBERS_OF_CUSTOMER: &str = "SELECT id, customer_id, organization_id, created_at, modified_at, \
     email, name, external_id, role, deleted_at FROM members WHERE customer_id = $1";

pub(super) const SELECT_SEAT_BY_INVITATION: &str = concatcp!(
    "SELECT ",
    SEAT_COLUMNS,
    " FROM customer_seats WHERE invitation_token_hash = $1"
);

pub(super) const ACTIVE_SEATS_OF_CUSTOMER: &str = concatcp!(
    "SELECT ",
    SEAT_COLUMNS,
    " FROM customer_seats WHERE customer_id = $1 AND status IN ('pending', 'claimed') ORDER BY created_at, id"
);

pub(super) const ACTIVE_SEATS_OF_MEMBER: &str = concatcp!(
    "SELECT ",
    SEAT_COLUMNS,
    " FROM customer_seats WHERE member_id = $1 AND status IN ('pending', 'claimed') ORDER BY created_at, id"
);

/// `$1` seat, `$2` token hash, `$3` now: the claim. Only a pending seat whose unexpired token
/// matches moves, so of two concurrent claims exactly one changes a row.
pub(super) const CLAIM_SEAT: &str = "UPDATE customer_seats SET status = 'claimed', claimed_at = $3, modified_at = $3, \
     invitation_token_hash = NULL, invitation_token_expires_at = NULL \
     WHERE id = $1 AND invitation_token_hash = $2 AND status = 'pending' AND invitation_token_expires_at > $3";

/// `$1` seat, `$2` new token hash, `$3` new expiry, `$4` now.
pub(super) const RESEND_SEAT: &str = "UPDATE customer_seats SET invitation_token_hash = $2, \
     invitation_token_expires_at = $3, modified_at = $4 WHERE id = $1 AND status = 'pending'";

pub(super) const GRANT_COLUMNS: &str = "id, organization_id, created_at, modified_at, benefit_id, customer_id, member_id, seat_id, subscription_id, \
         order_id, granted_at, revoked_at, license_key, properties";

pub(super) const INSERT_GRANT: &str = concatcp!(
    "INSERT INTO benefit_grants (",
    GRANT_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
);

pub(super) const REVOKE_GRANTS_OF_SEAT: &str = "UPDATE benefit_grants SET revoked_at = $2, modified_at = $2 WHERE seat_id = $1 AND revoked_at IS NULL";

pub(super) const GRANTS_OF_SEAT: &str = concatcp!(
    "SELECT ",
    GRANT_COLUMNS,
    " FROM benefit_grants WHERE seat_id = $1 ORDER BY created_at, id"
);

pub(super) const AUDIT_COLUMNS: &str = "id, organization_id, created_at, seat_id, subscription_id, order_id, action, actor_type, actor_id, email";

pub(super) const INSERT_AUDIT: &str = concatcp!(
    "INSERT INTO seat_audit_log (",
    AUDIT_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

/// `$1` token hash, `$2` now: a live session of a live member.
pub(super) const SELECT_LIVE_SESSION: &str = "SELECT s.organization_id, s.customer_id, s.member_id, m.role \
     FROM customer_sessions s JOIN members m ON m.id = s.member_id \
     WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.deleted_at IS NULL";

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

    pub(super) async fn insert_seat_with(
        executor: impl Into<On<'_>>,
        seat: &SeatRecord,
        invitation: Option<&TokenHash>,
    ) -> Result<(), StoreError> {
        Self::bind_seat(query(INSERT_SEAT), seat, invitation)?
            .execute(executor)
            .await?;
        Ok(())
    }

    /// PostgreSQL's assignment: the same writes as the transaction of `assign_seat`, as one
    /// statement (see `store/chain.rs`), so one round trip.
    pub(super) async fn assign_in_one_statement(
        &self,
        assignment: &SeatAssignment,
    ) -> Result<(), StoreError> {
        let seat = &assignment.seat;
        let mut chain = match seat.pool {
            SeatPool::Subscription(_) => Chain::new(TAKE_SUBSCRIPTION_SEAT, 1),
            SeatPool::Order(_) => Chain::new(TAKE_ORDER_SEAT, 1),
        };
        if assignment.new_member.is_some() {
            chain.insert(customers_sql::INSERT_MEMBER)?;
        }
        chain.insert(INSERT_SEAT)?;
        for _ in &assignment.grants {
            chain.insert(INSERT_GRANT)?;
        }
        if assignment.email.is_some() {
            chain.insert(emails_sql::INSERT_EMAIL)?;
        }
        for _ in &assignment.audit {
            chain.insert(INSERT_AUDIT)?;
        }
        for _ in &assignment.events {
            chain.insert(catalog_sql::INSERT_EVENT)?;
        }
        let mut statement = query(sqlx::AssertSqlSafe(chain.finish()));
        statement = match seat.pool {
            SeatPool::Subscription(id) => statement.bind(id),
            SeatPool::Order(id) => statement.bind(id),
        };
        if let Some(member) = &assignment.new_member {
            statement = Self::bind_member(statement, member);
        }
        statement = Self::bind_seat(statement, seat, assignment.invitation.as_ref())?;
        for grant in &assignment.grants {
            statement = Self::bind_grant(statement, grant)?;
        }
        if let Some(email) = &assignment.email {
            statement = Self::bind_email(statement, email);
        }
        for entry in &assignment.audit {
            statement = Self::bind_audit(statement, entry);
        }
        for event in &assignment.events {
            statement = Self::bind_event(statement, event)?;
        }
        let taken: i64 = statement.scalar().fetch_one(&self.db).await?;
        if taken != 1 {
            return Err(StoreError::NoCapacity);
        }
        Ok(())
    }

    /// Binds the parameters of `INSERT_SEAT` onto `query`.
    pub(super) fn bind_seat<'q>(
        query: Query<'q>,
        seat: &'q SeatRecord,
        invitation: Option<&'q TokenHash>,
    ) -> Result<Query<'q>, StoreError> {
        Ok(query
            .bind(seat.id)
            .bind(seat.organization_id)
            .bind(seat.created_at)
            .bind(seat.modified_at)
            .bind(seat.pool.subscription_id())
            .bind(seat.pool.order_id())
            .bind(seat.status.as_str())
            .bind(seat.customer_id)
            .bind(seat.member_id)
            .bind(seat.email.as_str())
            .bind(seat.invitation_token_expires_at)
            .bind(seat.claimed_at)
            .bind(seat.revoked_at)
            .bind(to_json(&seat.metadata)?)
            .bind(invitation.map(|h| h.as_bytes())))
    }

    pub(super) async fn insert_grant_with(
        executor: impl Into<On<'_>>,
        grant: &GrantRecord,
    ) -> Result<(), StoreError> {
        Self::bind_grant(query(INSERT_GRANT), grant)?
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Binds the parameters of `INSERT_GRANT` onto `query`.
    pub(super) fn bind_grant<'q>(
        query: Query<'q>,
        grant: &'q GrantRecord,
    ) -> Result<Query<'q>, StoreError> {
        Ok(query
            .bind(grant.id)
            .bind(grant.organization_id)
            .bind(grant.created_at)
            .bind(grant.modified_at)
            .bind(grant.benefit_id)
            .bind(grant.customer_id)
            .bind(grant.member_id)
            .bind(grant.seat_id)
            .bind(grant.pool.subscription_id())
            .bind(grant.pool.order_id())
            .bind(grant.granted_at)
            .bind(grant.revoked_at)
            .bind(grant.license_key.as_deref())
            .bind(to_json(&grant.properties)?))
    }

    pub(super) async fn insert_audit_with(
        executor: impl Into<On<'_>>,
        entry: &AuditRecord,
    ) -> Result<(), StoreError> {
        Self::bind_audit(query(INSERT_AUDIT), entry)
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Binds the parameters of `INSERT_AUDIT` onto `query`.
    pub(super) fn bind_audit<'q>(query: Query<'q>, entry: &'q AuditRecord) -> Query<'q> {
        query
            .bind(entry.id)
            .bind(entry.organization_id)
            .bind(entry.created_at)
            .bind(entry.seat_id)
            .bind(entry.pool.subscription_id())
            .bind(entry.pool.order_id())
            .bind(entry.action.as_str())
            .bind(entry.actor_type.as_str())
            .bind(entry.actor_id)
            .bind(entry.email.as_str())
    }

    /// Revokes a seat, frees its place and revokes its grants; false (nothing written) when
    /// it was not active.
    pub(super) async fn revoke_seat_with(
        tx: &mut Tx,
        revoke: &SeatRevokeWrite,
    ) -> Result<bool, StoreError> {
        let seat = &revoke.seat;
        let revoked = query(REVOKE_SEAT)
            .bind(seat.id)
            .bind(revoke.now)
            .execute(&mut *tx)
            .await?;
        if revoked.rows_affected() != 1 {
            return Ok(false);
        }
        Self::erase_emails_of_seat_with(&mut *tx, seat.id).await?;
        match seat.pool {
            SeatPool::Subscription(id) => {
                query(FREE_SUBSCRIPTION_SEAT)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
            }
            SeatPool::Order(id) => query(FREE_ORDER_SEAT).bind(id).execute(&mut *tx).await?,
        };
        query(REVOKE_GRANTS_OF_SEAT)
            .bind(seat.id)
            .bind(revoke.now)
            .execute(&mut *tx)
            .await?;
        Self::insert_audit_with(&mut *tx, &revoke.audit).await?;
        for event in &revoke.events {
            Self::insert_event_with(&mut *tx, event).await?;
        }
        Ok(true)
    }
}

#[async_trait::async_trait]
impl SeatStore for SqlStore {
    async fn assign_seat(&self, assignment: &SeatAssignment) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            return self.assign_in_one_statement(assignment).await;
        }
        let seat = &assignment.seat;
        let mut tx = self.db.begin_write().await?;
        if let Some(member) = &assignment.new_member {
            Self::write_member_with(&mut tx, member, true).await?;
        }
        let taken = match seat.pool {
            SeatPool::Subscription(id) => {
                query(TAKE_SUBSCRIPTION_SEAT)
                    .bind(id)
                    .execute(&mut tx)
                    .await?
            }
            SeatPool::Order(id) => query(TAKE_ORDER_SEAT).bind(id).execute(&mut tx).await?,
        };
        if taken.rows_affected() != 1 {
            return Err(StoreError::NoCapacity);
        }
        Self::insert_seat_with(&mut tx, seat, assignment.invitation.as_ref()).await?;
        for grant in &assignment.grants {
            Self::insert_grant_with(&mut tx, grant).await?;
        }
        if let Some(email) = &assignment.email {
            Self::insert_email_with(&mut tx, email).await?;
        }
        for entry in &assignment.audit {
            Self::insert_audit_with(&mut tx, entry).await?;
        }
        Self::commit_with_events(tx, &assignment.events).await
    }

    async fn claim_seat(&self, claim: &SeatClaimWrite) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let claimed = query(CLAIM_SEAT)
            .bind(claim.seat_id)
            .bind(claim.invitation.as_bytes())
            .bind(claim.now)
            .execute(&mut tx)
            .await?;
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        Self::erase_emails_of_seat_with(&mut tx, claim.seat_id).await?;
        for grant in &claim.grants {
            Self::insert_grant_with(&mut tx, grant).await?;
        }
        Self::insert_customer_session_with(&mut tx, &claim.session).await?;
        Self::insert_audit_with(&mut tx, &claim.audit).await?;
        Self::commit_with_events(tx, &claim.events).await?;
        Ok(true)
    }

    async fn resend_seat(&self, resend: &SeatResendWrite) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let moved = query(RESEND_SEAT)
            .bind(resend.seat_id)
            .bind(resend.invitation.as_bytes())
            .bind(resend.expires_at)
            .bind(resend.now)
            .execute(&mut tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        // The earlier invitation's link is dead now: erase it before queueing the new one.
        Self::erase_emails_of_seat_with(&mut tx, resend.seat_id).await?;
        Self::insert_email_with(&mut tx, &resend.email).await?;
        Self::insert_audit_with(&mut tx, &resend.audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn revoke_seat(&self, revoke: &SeatRevokeWrite) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let revoked = Self::revoke_seat_with(&mut tx, revoke).await?;
        if revoked {
            tx.commit().await?;
        }
        Ok(revoked)
    }

    async fn remove_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
        revokes: &[SeatRevokeWrite],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        for revoke in revokes {
            Self::revoke_seat_with(&mut tx, revoke).await?;
        }
        Self::write_member_with(&mut tx, member, false).await?;
        Self::commit_with_events(tx, std::slice::from_ref(event)).await
    }

    async fn close_pools_of_customer(
        &self,
        customer_id: CustomerId,
        closed: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(CLOSE_SUBSCRIPTIONS_OF_CUSTOMER)
            .bind(customer_id)
            .bind(closed)
            .execute(&mut tx)
            .await?;
        query(CLOSE_ORDERS_OF_CUSTOMER)
            .bind(customer_id)
            .bind(closed)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_customer(
        &self,
        customer: &CustomerRecord,
        events: &[NewEvent],
        revokes: &[SeatRevokeWrite],
    ) -> Result<(), StoreError> {
        let deleted_at = customer.deleted_at.ok_or(StoreError::Stale(
            "a customer to delete needs its deletion time",
        ))?;
        let mut tx = self.db.begin_write().await?;
        Self::write_customer_with(&mut tx, customer, false).await?;
        query(CLOSE_SUBSCRIPTIONS_OF_CUSTOMER)
            .bind(customer.id)
            .bind(true)
            .execute(&mut tx)
            .await?;
        query(CLOSE_ORDERS_OF_CUSTOMER)
            .bind(customer.id)
            .bind(true)
            .execute(&mut tx)
            .await?;
        for revoke in revokes {
            Self::revoke_seat_with(&mut tx, revoke).await?;
        }
        let active: i64 = query_scalar(COUNT_ACTIVE_SEATS_OF_CUSTOMER)
            .bind(customer.id)
            .fetch_one(&mut tx)
            .await?;
        if active != 0 {
            // A seat was assigned after the caller listed what to revoke: nothing is written,
            // the caller lists again.
            return Err(StoreError::Stale("a seat was assigned meanwhile"));
        }
        query(customers_sql::DELETE_MEMBERS_OF_CUSTOMER)
            .bind(customer.id)
            .bind(deleted_at)
            .execute(&mut tx)
            .await?;
        Self::commit_with_events(tx, events).await
    }

    async fn seat(
        &self,
        organization_id: OrganizationId,
        id: SeatId,
    ) -> Result<Option<SeatRecord>, StoreError> {
        self.find_by::<SeatRow, _>(SELECT_SEAT, id, organization_id)
            .await
    }

    async fn seat_by_invitation(
        &self,
        invitation: &TokenHash,
    ) -> Result<Option<SeatRecord>, StoreError> {
        let row: Option<SeatRow> = query_as(SELECT_SEAT_BY_INVITATION)
            .bind(invitation.as_bytes())
            .fetch_optional(&self.db)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn seats_of(
        &self,
        pool: SeatPool,
        status: Option<SeatStatus>,
        page: PageRequest,
    ) -> Result<(Vec<SeatRecord>, u64), StoreError> {
        let mut list = pool_rows(pool);
        list.with("status = {}", status.map(|s| s.as_str()));
        self.run_list::<SeatRow, _>(&list, SEAT_COLUMNS, "customer_seats", page)
            .await
    }

    async fn active_seats_of_customer(
        &self,
        customer_id: CustomerId,
    ) -> Result<Vec<SeatRecord>, StoreError> {
        let rows: Vec<SeatRow> = query_as(ACTIVE_SEATS_OF_CUSTOMER)
            .bind(customer_id)
            .fetch_all(&self.db)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn active_seats_of_member(
        &self,
        member_id: MemberId,
    ) -> Result<Vec<SeatRecord>, StoreError> {
        let rows: Vec<SeatRow> = query_as(ACTIVE_SEATS_OF_MEMBER)
            .bind(member_id)
            .fetch_all(&self.db)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

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

    async fn grants_of_seat(&self, seat_id: SeatId) -> Result<Vec<GrantRecord>, StoreError> {
        let rows: Vec<GrantRow> = query_as(GRANTS_OF_SEAT)
            .bind(seat_id)
            .fetch_all(&self.db)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn list_grants(
        &self,
        organization_id: OrganizationId,
        filter: &GrantFilter,
        page: PageRequest,
    ) -> Result<(Vec<GrantRecord>, u64), StoreError> {
        let list = filter.sql(organization_id);
        self.run_list::<GrantRow, _>(&list, GRANT_COLUMNS, "benefit_grants", page)
            .await
    }

    async fn seat_audit(
        &self,
        organization_id: OrganizationId,
        pool: SeatPool,
        page: PageRequest,
    ) -> Result<(Vec<AuditRecord>, u64), StoreError> {
        let mut list = pool_rows(pool);
        list.with("organization_id = {}", Some(organization_id));
        self.run_list::<AuditRow, _>(&list, AUDIT_COLUMNS, "seat_audit_log", page)
            .await
    }

    async fn live_session(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        Ok(query_as(SELECT_LIVE_SESSION)
            .bind(hash.as_bytes())
            .bind(now)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn member_by_email(
        &self,
        customer_id: CustomerId,
        email: &Email,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.find_by::<MemberRecord, _>(SELECT_MEMBER_BY_EMAIL, customer_id, email.as_str())
            .await
    }

    async fn member_even_removed(
        &self,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.find_by::<MemberRecord, _>(SELECT_MEMBER_EVEN_REMOVED, id, customer_id)
            .await
    }

    async fn all_members(&self, customer_id: CustomerId) -> Result<Vec<MemberRecord>, StoreError> {
        Ok(query_as(ALL_MEMBERS_OF_CUSTOMER)
            .bind(customer_id)
            .fetch_all(&self.db)
            .await?)
    }

    async fn claimed_subscriptions(
        &self,
        member_id: MemberId,
        page: PageRequest,
    ) -> Result<(Vec<SubscriptionRecord>, u64), StoreError> {
        let subscriptions: Vec<SubscriptionRecord> = query_as(billing_sql::CLAIMED_SUBSCRIPTIONS)
            .bind(member_id)
            .bind(i64::from(page.limit()))
            .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.db)
            .await?;
        let total: i64 = query_scalar(billing_sql::COUNT_CLAIMED_SUBSCRIPTIONS)
            .bind(member_id)
            .fetch_one(&self.db)
            .await?;
        Ok((subscriptions, u64::try_from(total).unwrap_or_default()))
    }
}
