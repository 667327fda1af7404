//! The persistence contract of seat pools, seats and the email outbox their writes fill (part of
//! [`Store`](super::Store)).

use async_trait::async_trait;

use super::{
    AuditRecord, CallerOnPool, CredentialHash, CustomerRecord, EmailRecord, GrantFilter,
    GrantRecord, MemberRecord, NewEvent, PoolContextRecord, PoolRead, SeatAssignment,
    SeatClaimWrite, SeatRecord, SeatResendWrite, SeatRevokeWrite, StoreError,
};
use crate::{
    model::{CustomerId, EmailId, MemberId, OrganizationId, PageRequest, SeatId, seat::SeatPool},
    server::token::TokenHash,
};

/// Who is asking and what they may see of a pool: a pool's context, and a credential's caller read
/// together with it.
#[async_trait]
pub trait PoolStore: Send + Sync {
    /// A pool of the organization with its customer, product name and organization, if it exists.
    async fn pool_context(
        &self,
        organization_id: OrganizationId,
        pool: SeatPool,
    ) -> Result<Option<PoolContextRecord>, StoreError>;

    /// The live caller behind a credential and, when `pool` belongs to the caller's organization,
    /// what `read` asks of the pool (its stamp, or its whole context): a request's authentication
    /// and its authorization on a pool in one read. None when the credential is unknown, revoked
    /// or expired.
    async fn caller_on_pool(
        &self,
        credential: &CredentialHash,
        now: chrono::DateTime<chrono::Utc>,
        pool: SeatPool,
        read: PoolRead,
    ) -> Result<Option<CallerOnPool>, StoreError>;
}

/// Customer seats, their grants and audit log. Capacity (`pending + claimed ≤ seats`) is enforced
/// inside [`assign_seat`]'s transaction by a conditional update of the pool's counter, so it holds
/// under any concurrency and across processes; a claim is one conditional update on the token hash.
///
/// [`assign_seat`]: SeatStore::assign_seat
#[async_trait]
pub trait SeatStore: Send + Sync {
    /// Takes one seat of the pool and writes the assignment (member first, seat, grants, email,
    /// audit, events). [`StoreError::NoCapacity`] when the pool is full; [`StoreError::Conflict`]
    /// when the email or member already holds an active seat in the pool. Either way nothing is
    /// written.
    async fn assign_seat(&self, assignment: &SeatAssignment) -> Result<(), StoreError>;

    /// Claims a pending seat whose unexpired token matches; false (nothing written) otherwise.
    async fn claim_seat(&self, claim: &SeatClaimWrite) -> Result<bool, StoreError>;

    /// Replaces a pending seat's token and expiry and queues the new invitation; false (nothing
    /// written) when the seat is not pending.
    async fn resend_seat(&self, resend: &SeatResendWrite) -> Result<bool, StoreError>;

    /// Revokes a pending or claimed seat, frees its place, revokes its grants. False (and nothing
    /// written) when the seat was already revoked.
    async fn revoke_seat(&self, revoke: &SeatRevokeWrite) -> Result<bool, StoreError>;

    /// Closes every pool of a customer to new seats (the first step of deleting it), or reopens
    /// them (a deletion that did not happen).
    async fn close_pools_of_customer(
        &self,
        customer_id: CustomerId,
        closed: bool,
    ) -> Result<(), StoreError>;

    /// Deletes a customer (`customer.deleted_at` set) with its members, closes its pools to new seats
    /// and revokes `revokes`, in one transaction. [`StoreError::Stale`] (nothing written) when a seat
    /// of the customer not in `revokes` is still active: one was assigned after the caller listed
    /// them.
    async fn delete_customer(
        &self,
        customer: &CustomerRecord,
        events: &[NewEvent],
        revokes: &[SeatRevokeWrite],
    ) -> Result<(), StoreError>;

    /// Removes a member and revokes their seats in one transaction.
    async fn remove_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
        revokes: &[SeatRevokeWrite],
    ) -> Result<(), StoreError>;

    async fn seat(
        &self,
        organization_id: OrganizationId,
        id: SeatId,
    ) -> Result<Option<SeatRecord>, StoreError>;

    /// The seat whose current invitation has this hash (any status, any expiry).
    async fn seat_by_invitation(
        &self,
        invitation: &TokenHash,
    ) -> Result<Option<SeatRecord>, StoreError>;

    /// One page of a pool's seats (revoked ones included, optionally of one status), oldest
    /// first; and how many there are.
    async fn seats_of(
        &self,
        pool: SeatPool,
        status: Option<crate::model::seat::SeatStatus>,
        page: PageRequest,
    ) -> Result<(Vec<SeatRecord>, u64), StoreError>;

    /// The pending and claimed seats of a customer's pools.
    async fn active_seats_of_customer(
        &self,
        customer_id: CustomerId,
    ) -> Result<Vec<SeatRecord>, StoreError>;

    /// The pending and claimed seats a member holds, in any pool.
    async fn active_seats_of_member(
        &self,
        member_id: MemberId,
    ) -> Result<Vec<SeatRecord>, StoreError>;

    /// The grants a seat gave, revoked ones too.
    async fn grants_of_seat(&self, seat_id: SeatId) -> Result<Vec<GrantRecord>, StoreError>;

    /// Grants, newest first, filtered; and their total count.
    async fn list_grants(
        &self,
        organization_id: OrganizationId,
        filter: &GrantFilter,
        page: PageRequest,
    ) -> Result<(Vec<GrantRecord>, u64), StoreError>;

    /// One page of the audit log of a pool, oldest first; and how many entries it has.
    async fn seat_audit(
        &self,
        organization_id: OrganizationId,
        pool: SeatPool,
        page: PageRequest,
    ) -> Result<(Vec<AuditRecord>, u64), StoreError>;
}

/// The email outbox. Emails are inserted by the writes that cause them (see [`SeatStore`]); this
/// is the sender's side.
#[async_trait]
pub trait EmailStore: Send + Sync {
    /// Leases the next email due at `now` to the worker `lease` until `lease_until` (counting an
    /// attempt); an email another worker holds is skipped. None when nothing is due.
    async fn lease_next_email(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        lease: uuid::Uuid,
    ) -> Result<Option<EmailRecord>, StoreError>;

    /// Records a delivery, only while `lease` still holds the email (false otherwise: nothing
    /// written). With `erase_bodies` the stored bodies (which carry single-use links) are erased.
    async fn mark_email_sent(
        &self,
        id: EmailId,
        lease: uuid::Uuid,
        now: chrono::DateTime<chrono::Utc>,
        transport: &str,
        erase_bodies: bool,
    ) -> Result<bool, StoreError>;

    /// Records a failed attempt, only while `lease` holds the email: retried at `retry_at`, or given
    /// up (bodies erased) when none.
    async fn mark_email_failed(
        &self,
        id: EmailId,
        lease: uuid::Uuid,
        error: &str,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// The newest emails, for the development mailbox.
    async fn recent_emails(&self, limit: u32) -> Result<Vec<EmailRecord>, StoreError>;
}
