//! The writes of a seat's life shared by the seat store's transactions: inserting a seat, its
//! grants and audit entries (each also as parameters bound onto a longer statement), the
//! one-execution assignment, a revocation with everything it frees, and a transfer.

use super::{
    AuditRecord, Backend, GrantRecord, SeatAssignment, SeatRecord, SeatRevokeWrite,
    SeatTransferWrite, SqlStore, Store, StoreError,
    catalog::to_json,
    catalog_sql,
    chain::Chain,
    customers_sql,
    db::{On, Query, Tx, query},
    emails_sql, license_keys,
    seats_sql::{
        FREE_ORDER_SEAT, FREE_SUBSCRIPTION_SEAT, HOLD_ORDER_SEAT, HOLD_SUBSCRIPTION_SEAT,
        INSERT_AUDIT, INSERT_GRANT, INSERT_SEAT, REVOKE_GRANTS_OF_SEAT, REVOKE_SEAT,
        REVOKE_SEAT_IN_STATUS, TAKE_ORDER_SEAT, TAKE_SUBSCRIPTION_SEAT,
    },
};
use crate::{
    model::{Named, seat::SeatPool},
    server::token::TokenHash,
};

impl SqlStore {
    /// An assignment: the capacity taken and every write that goes with it, handed to the
    /// database at once (see `store/chain.rs`): on PostgreSQL one statement, so one round trip; on
    /// SQLite one script in a write transaction.
    pub(super) async fn assign_in_one_execution(
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
        for _ in &assignment.license_keys {
            chain.insert(license_keys::INSERT_LICENSE_KEY)?;
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
        let backend = self.backend();
        let mut statement = query(sqlx::AssertSqlSafe(chain.finish(backend)));
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
        for key in &assignment.license_keys {
            statement = Self::bind_license_key(statement, key);
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
        let statement = statement.scalar::<i64>();
        match backend {
            Backend::Postgres => {
                if statement.fetch_one(&self.db).await? != 1 {
                    return Err(StoreError::NoCapacity);
                }
            }
            Backend::Sqlite => {
                let mut tx = self.db.begin_write().await?;
                if statement.fetch_one(&mut tx).await? != 1 {
                    return Err(StoreError::NoCapacity);
                }
                tx.commit().await?;
            }
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
            .bind(entry.transferred_to.as_ref().map(|(seat_id, _)| *seat_id))
            .bind(
                entry
                    .transferred_to
                    .as_ref()
                    .map(|(_, email)| email.as_str()),
            )
    }

    /// Revokes a seat, frees its place and revokes its grants; false (nothing written) when
    /// it was not active.
    pub(super) async fn revoke_seat_with(
        tx: &mut Tx,
        revoke: &SeatRevokeWrite,
    ) -> Result<bool, StoreError> {
        if !Self::retire_seat_with(tx, revoke, false).await? {
            return Ok(false);
        }
        match revoke.seat.pool {
            SeatPool::Subscription(id) => {
                query(FREE_SUBSCRIPTION_SEAT)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
            }
            SeatPool::Order(id) => query(FREE_ORDER_SEAT).bind(id).execute(&mut *tx).await?,
        };
        Self::insert_audit_with(&mut *tx, &revoke.audit).await?;
        for event in &revoke.events {
            Self::insert_event_with(&mut *tx, event).await?;
        }
        Ok(true)
    }

    /// A transfer: the old seat retired (only if still in the status it was read in), then the new
    /// one written in its place while the pool still takes seats; its count does not move. False
    /// (nothing written) when the old seat was revoked or claimed meanwhile. The seat's row is
    /// locked before the pool's, as a revocation does. The old seat's audit entry names the new
    /// seat, so it is written after it.
    pub(super) async fn transfer_seat_with(
        tx: &mut Tx,
        transfer: &SeatTransferWrite,
    ) -> Result<bool, StoreError> {
        let revoke = &transfer.revoke;
        if !Self::retire_seat_with(tx, revoke, true).await? {
            return Ok(false);
        }
        let assignment = &transfer.assignment;
        let held = match assignment.seat.pool {
            SeatPool::Subscription(id) => query(HOLD_SUBSCRIPTION_SEAT).bind(id),
            SeatPool::Order(id) => query(HOLD_ORDER_SEAT).bind(id),
        }
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() != 1 {
            return Err(StoreError::NoCapacity);
        }
        if let Some(member) = &assignment.new_member {
            Self::bind_member(query(customers_sql::INSERT_MEMBER), member)
                .execute(&mut *tx)
                .await?;
        }
        Self::bind_seat(
            query(INSERT_SEAT),
            &assignment.seat,
            assignment.invitation.as_ref(),
        )?
        .execute(&mut *tx)
        .await?;
        for grant in &assignment.grants {
            Self::insert_grant_with(&mut *tx, grant).await?;
        }
        for key in &assignment.license_keys {
            Self::insert_license_key_with(&mut *tx, key).await?;
        }
        if let Some(email) = &assignment.email {
            Self::insert_email_with(&mut *tx, email).await?;
        }
        for entry in std::iter::once(&revoke.audit).chain(&assignment.audit) {
            Self::insert_audit_with(&mut *tx, entry).await?;
        }
        for event in revoke.events.iter().chain(&assignment.events) {
            Self::insert_event_with(&mut *tx, event).await?;
        }
        Ok(true)
    }

    /// Revokes a seat and its grants, keys and activations, leaving its place in the pool taken
    /// and its audit entry and events to the caller; false (nothing written) when it was not active
    /// (or, `in_read_status`, no longer in the status it was read in).
    async fn retire_seat_with(
        tx: &mut Tx,
        revoke: &SeatRevokeWrite,
        in_read_status: bool,
    ) -> Result<bool, StoreError> {
        let seat = &revoke.seat;
        let revoked = if in_read_status {
            query(REVOKE_SEAT_IN_STATUS)
                .bind(seat.id)
                .bind(revoke.now)
                .bind(seat.status.as_str())
        } else {
            query(REVOKE_SEAT).bind(seat.id).bind(revoke.now)
        }
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() != 1 {
            return Ok(false);
        }
        Self::erase_emails_of_seat_with(&mut *tx, seat.id).await?;
        query(REVOKE_GRANTS_OF_SEAT)
            .bind(seat.id)
            .bind(revoke.now)
            .execute(&mut *tx)
            .await?;
        // Its license keys stop validating, and the devices they were activated on lose them. The
        // keys' rows first: an activation committed meanwhile is then one this statement's delete
        // sees, and one that waits for the row finds the key revoked.
        query(license_keys::REVOKE_LICENSE_KEYS_OF_SEAT)
            .bind(seat.id)
            .bind(revoke.now)
            .execute(&mut *tx)
            .await?;
        query(license_keys::DELETE_ACTIVATIONS_OF_SEAT)
            .bind(seat.id)
            .execute(&mut *tx)
            .await?;
        Ok(true)
    }
}
