//! Customer seats for whoever manages a pool: the merchant (organization token) or the billing
//! customer's portal session. The pool and its context, list, read, revoke, resend, and the pool's
//! audit log; assigning is in `seat_assign.rs`.
//!
//! Capacity is enforced by the database inside the assigning transaction (see
//! [`SeatStore`](crate::server::store::SeatStore)); an email or member holds at most one active seat
//! per pool. Every change is written with its audit entry, outbox events and invitation email in one
//! transaction.

use std::collections::HashMap;

use chrono::TimeDelta;

use crate::model::Named;
use crate::{
    domain::seats::{PoolKind, SeatEvent, transition, why_pool_refuses_seats},
    model::{
        CustomerId, MemberId, PageRequest, Pagination, SeatAuditId, SeatId,
        customer::Member,
        seat::{
            CustomerSeat, SeatAction, SeatAssign, SeatAuditEntry, SeatAuditLog, SeatPool,
            SeatStatus, SeatsList,
        },
    },
    server::{
        store::{
            AuditRecord, CustomerRecord, GrantRecord, MemberRecord, PoolContextRecord, SeatRecord,
            SeatResendWrite, SeatRevokeWrite,
        },
        token,
    },
};

use super::{SeatCaller, ServiceError, Services};

/// Prefix of invitation tokens.
pub const INVITATION_TOKEN_PREFIX: &str = "skp_inv_";

/// A seat as the API returns it: never with its invitation token.
pub(super) fn seat_wire(
    seat: SeatRecord,
    member: Member,
    customer: &CustomerRecord,
) -> CustomerSeat {
    CustomerSeat {
        id: seat.id,
        created_at: seat.created_at,
        modified_at: seat.modified_at,
        subscription_id: seat.pool.subscription_id(),
        order_id: seat.pool.order_id(),
        status: seat.status,
        customer_id: seat.customer_id,
        member_id: seat.member_id,
        member,
        email: seat.email,
        customer_email: customer.email.clone(),
        invitation_token_expires_at: seat.invitation_token_expires_at,
        claimed_at: seat.claimed_at,
        revoked_at: seat.revoked_at,
        seat_metadata: seat.metadata,
    }
}

fn audit_wire(entry: AuditRecord) -> SeatAuditEntry {
    SeatAuditEntry {
        id: entry.id,
        created_at: entry.created_at,
        seat_id: entry.seat_id,
        subscription_id: entry.pool.subscription_id(),
        order_id: entry.pool.order_id(),
        action: entry.action,
        actor_type: entry.actor_type,
        actor_id: entry.actor_id,
        email: entry.email,
        to_seat_id: entry.transferred_to.as_ref().map(|(seat_id, _)| *seat_id),
        to_email: entry.transferred_to.map(|(_, email)| email),
    }
}

pub(super) fn pool_not_found(pool: SeatPool) -> ServiceError {
    ServiceError::not_found(match pool {
        SeatPool::Subscription(_) => "Subscription",
        SeatPool::Order(_) => "Order",
    })
}

/// The context of a pool read from the store, if the caller may see it (else 404).
pub(super) fn context_of(
    caller: &SeatCaller,
    pool: SeatPool,
    record: Option<&PoolContextRecord>,
) -> Result<PoolContext, ServiceError> {
    let record = record
        .filter(|found| caller.may_see_customer(found.customer.id))
        .ok_or_else(|| pool_not_found(pool))?;
    let kind = match pool {
        SeatPool::Subscription(_) => PoolKind::Subscription,
        SeatPool::Order(_) => PoolKind::Order,
    };
    let unusable =
        why_pool_refuses_seats(kind, &record.status, record.customer.deleted_at.is_some());
    Ok(PoolContext {
        customer: record.customer.clone(),
        product_id: record.product_id,
        product_name: record.product_name.clone(),
        organization_name: record.organization_name.clone(),
        organization_slug: record.organization_slug.clone(),
        invitation_ttl: TimeDelta::seconds(record.invitation_ttl_seconds),
        unusable,
    })
}

/// A pool with its billing customer and product, checked to belong to the caller.
pub(super) struct PoolContext {
    pub customer: CustomerRecord,
    pub product_id: crate::model::ProductId,
    pub product_name: String,
    pub organization_name: String,
    pub organization_slug: crate::model::Slug,
    /// How long an invitation link lives.
    pub invitation_ttl: TimeDelta,
    /// Why no seat can be assigned or claimed in it right now, if so.
    pub unusable: Option<String>,
}

impl Services {
    /// The pool named by exactly one of `subscription_id`, `order_id` and `checkout_id`.
    pub(super) async fn requested_pool(
        &self,
        caller: &SeatCaller,
        input: &SeatAssign,
    ) -> Result<SeatPool, ServiceError> {
        match (input.subscription_id, input.order_id, input.checkout_id) {
            (Some(id), None, None) => Ok(SeatPool::Subscription(id)),
            (None, Some(id), None) => Ok(SeatPool::Order(id)),
            (None, None, Some(id)) => {
                let checkout = self
                    .store()
                    .checkout(caller.organization_id(), id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("Checkout"))?;
                match (checkout.subscription_id, checkout.order_id) {
                    (Some(id), _) => Ok(SeatPool::Subscription(id)),
                    (None, Some(id)) => Ok(SeatPool::Order(id)),
                    (None, None) => Err(ServiceError::rejected(
                        "InvalidSeatAssignmentRequest",
                        format!(
                            "the checkout is {} and has created no subscription or order yet",
                            checkout.status.as_str()
                        ),
                    )),
                }
            }
            _ => Err(ServiceError::invalid_field(
                "subscription_id",
                "give exactly one of subscription_id, order_id and checkout_id",
            )),
        }
    }

    /// The pool with its customer, product and organization, if the caller may see it (else 404):
    /// one read.
    pub(super) async fn pool_context(
        &self,
        caller: &SeatCaller,
        pool: SeatPool,
    ) -> Result<PoolContext, ServiceError> {
        let record = self
            .store()
            .pool_context(caller.organization_id(), pool)
            .await?;
        context_of(caller, pool, record.as_ref())
    }

    pub(super) fn audit(
        &self,
        caller: &SeatCaller,
        seat: &SeatRecord,
        action: SeatAction,
    ) -> AuditRecord {
        let (actor_type, actor_id) = caller.actor();
        AuditRecord {
            id: SeatAuditId::new(),
            organization_id: seat.organization_id,
            created_at: self.now(),
            seat_id: seat.id,
            pool: seat.pool,
            action,
            actor_type,
            actor_id,
            email: seat.email.clone(),
            transferred_to: None,
        }
    }

    /// The seats of a pool whose context the caller was allowed to read (revoked ones too, oldest
    /// first), optionally of one status, and its free count.
    pub(super) async fn seat_list_of(
        &self,
        context: &PoolContextRecord,
        pool: SeatPool,
        status: Option<SeatStatus>,
        page: PageRequest,
    ) -> Result<SeatsList, ServiceError> {
        let (seats, total) = self.store().seats_of(pool, status, page).await?;
        let members: HashMap<MemberId, MemberRecord> = if seats.is_empty() {
            HashMap::new()
        } else {
            self.store()
                .all_members(context.customer.id)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect()
        };
        let mut out = Vec::with_capacity(seats.len());
        for seat in seats {
            let member = members
                .get(&seat.member_id)
                .cloned()
                .ok_or_else(|| ServiceError::not_found("Member"))?;
            out.push(seat_wire(seat, member.into(), &context.customer));
        }
        let total_seats = context.seats();
        Ok(SeatsList {
            seats: out,
            available_seats: total_seats.saturating_sub(context.used_seats),
            total_seats,
            pagination: Pagination::of(total, page),
        })
    }

    /// A seat the caller may see, with its billing customer and holder.
    pub(super) async fn seat_parts(
        &self,
        caller: &SeatCaller,
        id: SeatId,
    ) -> Result<(SeatRecord, CustomerRecord, Member), ServiceError> {
        let seat = self
            .store()
            .seat(caller.organization_id(), id)
            .await?
            .filter(|s| caller.may_see_customer(s.customer_id))
            .ok_or_else(|| ServiceError::not_found("Seat"))?;
        let customer = self
            .store()
            .customer_even_deleted(caller.organization_id(), seat.customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        let member = self
            .store()
            .member_even_removed(seat.customer_id, seat.member_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Member"))?;
        Ok((seat, customer, member.into()))
    }

    pub async fn get_seat(
        &self,
        caller: &SeatCaller,
        id: SeatId,
    ) -> Result<CustomerSeat, ServiceError> {
        caller.require_read()?;
        let (seat, customer, member) = self.seat_parts(caller, id).await?;
        Ok(seat_wire(seat, member, &customer))
    }

    /// What revoking `seat` writes: its audit entry and events (the seat's, and one per live grant).
    pub(super) async fn revoke_write(
        &self,
        caller: &SeatCaller,
        seat: &SeatRecord,
        member: Member,
        customer: &CustomerRecord,
    ) -> Result<SeatRevokeWrite, ServiceError> {
        let now = self.now();
        let mut revoked = seat.clone();
        revoked.status = transition(seat.status, SeatEvent::Revoke).ok_or_else(|| {
            ServiceError::rejected("SeatAlreadyRevoked", "this seat is already revoked")
        })?;
        revoked.revoked_at = Some(now);
        revoked.modified_at = Some(now);
        revoked.invitation_token_expires_at = None;
        let live_grants: Vec<GrantRecord> = self
            .store()
            .grants_of_seat(seat.id)
            .await?
            .into_iter()
            .filter(|g| g.revoked_at.is_none())
            .map(|mut g| {
                g.revoked_at = Some(now);
                g.modified_at = Some(now);
                g
            })
            .collect();
        let wire = seat_wire(revoked, member, customer);
        let mut events = self
            .grant_events(&live_grants, "benefit_grant.revoked")
            .await?;
        events.push(self.event(seat.organization_id, "customer_seat.revoked", &wire)?);
        Ok(SeatRevokeWrite {
            seat: seat.clone(),
            now,
            audit: self.audit(caller, seat, SeatAction::Revoked),
            events,
        })
    }

    /// What revoking `seats` of `customer` writes (its members read once).
    pub(super) async fn revoke_writes(
        &self,
        caller: &SeatCaller,
        customer: &CustomerRecord,
        seats: Vec<SeatRecord>,
    ) -> Result<Vec<SeatRevokeWrite>, ServiceError> {
        if seats.is_empty() {
            return Ok(Vec::new());
        }
        let members = self.store().all_members(customer.id).await?;
        let mut revokes = Vec::with_capacity(seats.len());
        for seat in seats {
            let member = members
                .iter()
                .find(|m| m.id == seat.member_id)
                .cloned()
                .ok_or_else(|| ServiceError::not_found("Member"))?;
            revokes.push(
                self.revoke_write(caller, &seat, Member::from(member), customer)
                    .await?,
            );
        }
        Ok(revokes)
    }

    /// What revoking every seat given out of `pool`, a pool of `customer_id`, writes (pending and
    /// claimed ones).
    pub(super) async fn revoke_pool_writes(
        &self,
        caller: &SeatCaller,
        pool: SeatPool,
        customer_id: CustomerId,
    ) -> Result<Vec<SeatRevokeWrite>, ServiceError> {
        let seats: Vec<SeatRecord> = self
            .store()
            .active_seats_of_customer(customer_id)
            .await?
            .into_iter()
            .filter(|seat| seat.pool == pool)
            .collect();
        if seats.is_empty() {
            return Ok(Vec::new());
        }
        let customer = self
            .store()
            .customer(caller.organization_id(), customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        self.revoke_writes(caller, &customer, seats).await
    }

    /// Revokes a seat and its benefit grants. Idempotent: revoking a revoked seat changes nothing
    /// and emits nothing.
    #[tracing::instrument(skip_all, fields(seat_id = %id), err(level = "info"))]
    pub async fn revoke_seat(
        &self,
        caller: &SeatCaller,
        id: SeatId,
    ) -> Result<CustomerSeat, ServiceError> {
        caller.require_write()?;
        let (seat, customer, member) = self.seat_parts(caller, id).await?;
        if transition(seat.status, SeatEvent::Revoke).is_some() {
            let write = self
                .revoke_write(caller, &seat, member.clone(), &customer)
                .await?;
            self.store().revoke_seat(&write).await?;
        }
        let current = self
            .store()
            .seat(caller.organization_id(), id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Seat"))?;
        Ok(seat_wire(current, member, &customer))
    }

    /// Sends a pending seat's invitation again with a new token and expiry; the old link stops
    /// working at once.
    #[tracing::instrument(skip_all, fields(seat_id = %id), err(level = "info"))]
    pub async fn resend_seat(
        &self,
        caller: &SeatCaller,
        id: SeatId,
    ) -> Result<CustomerSeat, ServiceError> {
        caller.require_write()?;
        let (seat, customer, member) = self.seat_parts(caller, id).await?;
        let not_pending = || {
            ServiceError::rejected(
                "SeatNotPending",
                "only a pending seat's invitation can be sent again",
            )
        };
        if transition(seat.status, SeatEvent::Resend).is_none() {
            return Err(not_pending());
        }
        self.invitation_limits
            .check(seat.organization_id, seat.id)?;
        let context = self.pool_context(caller, seat.pool).await?;
        let now = self.now();
        let mut resent = seat.clone();
        resent.invitation_token_expires_at = Some(now + context.invitation_ttl);
        resent.modified_at = Some(now);
        let invitation = token::generate(INVITATION_TOKEN_PREFIX);
        let email = self.invitation_email(&context, &resent, invitation.expose());
        let write = SeatResendWrite {
            seat_id: seat.id,
            invitation: invitation.hash.clone(),
            expires_at: resent.invitation_token_expires_at.unwrap_or(now),
            now,
            email,
            audit: self.audit(caller, &seat, SeatAction::Resent),
        };
        if !self.store().resend_seat(&write).await? {
            return Err(not_pending());
        }
        Ok(seat_wire(resent, member, &customer))
    }

    /// Who did what to the pool's seats, oldest first.
    pub async fn seat_audit_log(
        &self,
        caller: &SeatCaller,
        pool: SeatPool,
        page: PageRequest,
    ) -> Result<SeatAuditLog, ServiceError> {
        caller.require_read()?;
        self.pool_context(caller, pool).await?;
        let (entries, total) = self
            .store()
            .seat_audit(caller.organization_id(), pool, page)
            .await?;
        Ok(SeatAuditLog {
            entries: entries.into_iter().map(audit_wire).collect(),
            pagination: Pagination::of(total, page),
        })
    }
}
