//! SQL of customer seats and the implementation of [`SeatStore`](super::SeatStore) shared by both
//! backends. Capacity is one conditional update on the pool's counter inside the assigning
//! transaction; the unique partial indexes refuse a second active seat for an email or a member.

use const_format::concatcp;

use super::{
    AuditRecord, CustomerRecord, GrantFilter, GrantRecord, MemberRecord, NewEvent, SeatAssignment,
    SeatClaimWrite, SeatRecord, SeatResendWrite, SeatRevokeWrite, SeatStore, SeatTransferWrite,
    SqlStore, StoreError, customers_sql,
    db::{query, query_as, query_scalar},
    filters::pool_rows,
    seats::{AuditRow, GrantRow, SeatRow},
};
use crate::{
    model::{
        BenefitGrantId, CustomerId, MemberId, Named, OrganizationId, PageRequest, SeatId,
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

/// The capacity check: a pool that is full, closed (its customer was deleted) or no longer active
/// takes no seat, whatever the request read before (a cancellation racing an assignment wins or
/// waits for it, on the pool's row). Every seat is inserted after this statement took its place,
/// so it also moves the pool's stamp (`seats_version`, which seat updates move by trigger): one
/// new version of the pool's row per assignment.
pub(super) const TAKE_SUBSCRIPTION_SEAT: &str = "UPDATE subscriptions SET used_seats = used_seats + 1, seats_version = seats_version + 1 \
     WHERE id = $1 AND used_seats < seats AND (pending_seats IS NULL OR used_seats < pending_seats) \
     AND NOT seats_closed AND status IN ('active', 'trialing')";
/// An order that pays for a subscription is not a pool: its seats are the subscription's. A
/// refunded order takes no seat.
pub(super) const TAKE_ORDER_SEAT: &str = "UPDATE orders SET used_seats = used_seats + 1, seats_version = seats_version + 1 \
     WHERE id = $1 AND used_seats < seats AND NOT seats_closed AND subscription_id IS NULL \
     AND status = 'paid'";

/// A transfer's check that the pool still takes seats (the capacity check's conditions but the
/// count, which a transfer does not move), moving its stamp for the seat it inserts.
pub(super) const HOLD_SUBSCRIPTION_SEAT: &str = "UPDATE subscriptions SET seats_version = seats_version + 1 \
     WHERE id = $1 AND NOT seats_closed AND status IN ('active', 'trialing')";
pub(super) const HOLD_ORDER_SEAT: &str = "UPDATE orders SET seats_version = seats_version + 1 \
     WHERE id = $1 AND NOT seats_closed AND subscription_id IS NULL AND status = 'paid'";

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

const REVOKE_SEAT_SET: &str = "UPDATE customer_seats SET status = 'revoked', revoked_at = $2, modified_at = $2, \
     invitation_token_hash = NULL, invitation_token_expires_at = NULL WHERE id = $1";

/// `$1` seat, `$2` now: one conditional update, so a second revoke changes nothing.
pub(super) const REVOKE_SEAT: &str =
    concatcp!(REVOKE_SEAT_SET, " AND status IN ('pending', 'claimed')");

/// `$1` seat, `$2` now, `$3` the status it was read in: a transfer revokes only the seat whose
/// grants and events it prepared (a seat claimed meanwhile has grants it did not see).
pub(super) const REVOKE_SEAT_IN_STATUS: &str = concatcp!(
    REVOKE_SEAT_SET,
    " AND status = $3 AND status IN ('pending', 'claimed')"
);

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
         order_id, granted_at, revoked_at, properties";

pub(super) const INSERT_GRANT: &str = concatcp!(
    "INSERT INTO benefit_grants (",
    GRANT_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
);

pub(super) const REVOKE_GRANTS_OF_SEAT: &str = "UPDATE benefit_grants SET revoked_at = $2, modified_at = $2 WHERE seat_id = $1 AND revoked_at IS NULL";

const SELECT_GRANT: &str = concatcp!(
    "SELECT ",
    GRANT_COLUMNS,
    " FROM benefit_grants WHERE id = $1 AND organization_id = $2"
);

pub(super) const GRANTS_OF_SEAT: &str = concatcp!(
    "SELECT ",
    GRANT_COLUMNS,
    " FROM benefit_grants WHERE seat_id = $1 ORDER BY created_at, id"
);

pub(super) const AUDIT_COLUMNS: &str = "id, organization_id, created_at, seat_id, subscription_id, order_id, action, actor_type, actor_id, email, \
     to_seat_id, to_email";

pub(super) const INSERT_AUDIT: &str = concatcp!(
    "INSERT INTO seat_audit_log (",
    AUDIT_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
);

#[async_trait::async_trait]
impl SeatStore for SqlStore {
    async fn assign_seat(&self, assignment: &SeatAssignment) -> Result<(), StoreError> {
        self.assign_in_one_execution(assignment).await
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
        for key in &claim.license_keys {
            Self::insert_license_key_with(&mut tx, key).await?;
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

    async fn transfer_seat(&self, transfer: &SeatTransferWrite) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let transferred = Self::transfer_seat_with(&mut tx, transfer).await?;
        if transferred {
            tx.commit().await?;
        }
        Ok(transferred)
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

    async fn grant(
        &self,
        organization_id: OrganizationId,
        id: BenefitGrantId,
    ) -> Result<Option<GrantRecord>, StoreError> {
        self.find_by::<GrantRow, _>(SELECT_GRANT, id, organization_id)
            .await
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
}
