//! Customer seats for whoever manages a pool: the merchant (organization token) or the billing
//! customer's portal session. Assign (every `SeatAssign` holder identifier, invitation or immediate
//! claim), list, read, revoke, resend, and the pool's audit log.
//!
//! Capacity is enforced by the database inside the assigning transaction (see
//! [`SeatStore`](crate::server::store::SeatStore)); an email or member holds at most one active seat
//! per pool. Every change is written with its audit entry, outbox events and invitation email in one
//! transaction.

use std::collections::HashMap;

use chrono::TimeDelta;

use crate::{
    domain::seats::{
        Holder, PoolKind, SeatEvent, initial_status, transition, why_pool_refuses_seats,
    },
    model::{
        MemberId, PageRequest, Pagination, SeatAuditId, SeatId,
        customer::{Member, MemberRole},
        metadata::Metadata,
        seat::{
            CustomerSeat, SeatAction, SeatAssign, SeatAuditEntry, SeatAuditLog, SeatPool,
            SeatStatus, SeatsList,
        },
    },
    server::{
        store::{
            AuditRecord, CustomerRecord, GrantRecord, MemberRecord, PoolContextRecord,
            SeatAssignment, SeatRecord, SeatResendWrite, SeatRevokeWrite, StoreError,
        },
        token,
    },
};

use super::{OrganizationCaller, SeatCaller, ServiceError, Services, auth::access_token_hash};

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
    }
}

/// Most keys a seat's metadata may have.
pub const SEAT_METADATA_MAX_KEYS: usize = 10;
/// Largest a seat's metadata may be, as JSON.
pub const SEAT_METADATA_MAX_BYTES: usize = 1024;

/// Seat metadata: the general metadata rules, at most 10 keys, and at most 1 KB as JSON.
fn validate_seat_metadata(metadata: &Metadata) -> Result<(), String> {
    metadata.validate()?;
    if metadata.0.len() > SEAT_METADATA_MAX_KEYS {
        return Err(format!(
            "seat metadata may have at most {SEAT_METADATA_MAX_KEYS} keys (got {})",
            metadata.0.len()
        ));
    }
    let size = serde_json::to_string(metadata).map_or(usize::MAX, |json| json.len());
    if size > SEAT_METADATA_MAX_BYTES {
        return Err(format!(
            "seat metadata may be at most {SEAT_METADATA_MAX_BYTES} bytes as JSON (got {size})"
        ));
    }
    Ok(())
}

/// What a failed assignment write means to the caller.
fn assign_error(err: StoreError, email: &crate::model::Email) -> ServiceError {
    match err {
        StoreError::NoCapacity => ServiceError::rejected(
            "SeatNotAvailable",
            "no seats available in this pool: revoke a seat or buy more",
        ),
        StoreError::Conflict { constraint } if constraint.is_member() => ServiceError::rejected(
            "SeatAlreadyAssigned",
            format!("{email} is being added as a member by another request; retry"),
        ),
        StoreError::Conflict { .. } => ServiceError::rejected(
            "SeatAlreadyAssigned",
            format!("{email} already holds a seat in this pool"),
        ),
        other => other.into(),
    }
}

pub(super) fn pool_not_found(pool: SeatPool) -> ServiceError {
    ServiceError::not_found(match pool {
        SeatPool::Subscription(_) => "Subscription",
        SeatPool::Order(_) => "Order",
    })
}

/// The context of a pool read from the store, if the caller may see it (else 404).
fn context_of(
    caller: &SeatCaller,
    pool: SeatPool,
    record: Option<PoolContextRecord>,
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
        customer: record.customer,
        product_id: record.product_id,
        product_name: record.product_name,
        organization_name: record.organization_name,
        organization_slug: record.organization_slug,
        invitation_ttl: TimeDelta::seconds(record.invitation_ttl_seconds),
        unusable,
    })
}

/// The checks of an assignment that need no database: the caller's right to write, `immediate_claim`
/// only for the merchant, the metadata's size, exactly one holder identifier.
fn check_assign(caller: &SeatCaller, input: &SeatAssign) -> Result<Holder, ServiceError> {
    caller.require_write()?;
    if input.immediate_claim && !caller.is_organization() {
        return Err(ServiceError::invalid_field(
            "immediate_claim",
            "immediate_claim is only available to the merchant's API",
        ));
    }
    validate_seat_metadata(&input.metadata)
        .map_err(|msg| ServiceError::invalid_field("metadata", msg))?;
    let holder =
        Holder::of(input).map_err(|err| ServiceError::invalid_field(err.field, err.message))?;
    // External ids are free text, bounded like every other (`text.rs`).
    match &holder {
        Holder::ExternalMember { external_id, .. } => {
            super::text::optional_text("external_member_id", Some(external_id.clone()))?;
        }
        Holder::ExternalCustomer(external_id) => {
            super::text::optional_text("external_customer_id", Some(external_id.clone()))?;
        }
        Holder::Email(_) | Holder::Member(_) | Holder::Customer(_) => {}
    }
    Ok(holder)
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
    async fn requested_pool(
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
        context_of(caller, pool, record)
    }

    /// The member who will hold the seat, and whether it must be created with the seat.
    async fn holder(
        &self,
        caller: &SeatCaller,
        customer: &CustomerRecord,
        holder: Holder,
    ) -> Result<(MemberRecord, bool), ServiceError> {
        let email = match holder {
            Holder::Email(email) => email,
            Holder::Member(id) => {
                let member = self.store().member(customer.id, id).await?.ok_or_else(|| {
                    ServiceError::missing(
                        "MemberNotFound",
                        "no member with this id under the pool's customer",
                    )
                })?;
                return Ok((member, false));
            }
            Holder::ExternalMember { external_id, email } => {
                let found = self
                    .store()
                    .member_by_external_id(customer.id, &external_id)
                    .await?;
                return match (found, email) {
                    (Some(member), Some(email)) if member.email != email => {
                        Err(ServiceError::rejected(
                            "MemberEmailMismatch",
                            format!(
                                "the member with external id {external_id:?} has another email \
                                 ({}), not {email}",
                                member.email
                            ),
                        ))
                    }
                    (Some(member), _) => Ok((member, false)),
                    (None, None) => Err(ServiceError::missing(
                        "MemberNotFound",
                        format!(
                            "no member with external id {external_id:?}: give its email too to create it"
                        ),
                    )),
                    (None, Some(email)) => {
                        match self.store().member_by_email(customer.id, &email).await? {
                            Some(member) => Err(ServiceError::rejected(
                                "MemberEmailMismatch",
                                match member.external_id {
                                    Some(other) => format!(
                                        "{email} is already a member with external id {other:?}, not {external_id:?}"
                                    ),
                                    None => format!(
                                        "{email} is already a member without an external id: assign by \
                                         email or member_id, or set the member's external_id first"
                                    ),
                                },
                            )),
                            None => Ok((self.new_member(customer, email, Some(external_id)), true)),
                        }
                    }
                };
            }
            // A portal session may only name its own customer: other customers' emails are not
            // its to learn.
            Holder::Customer(id) => {
                let other = self
                    .store()
                    .customer(caller.organization_id(), id)
                    .await?
                    .filter(|c| caller.may_see_customer(c.id))
                    .ok_or_else(|| {
                        ServiceError::missing("CustomerNotFound", "no customer with this id")
                    })?;
                Self::customer_email(other)?
            }
            Holder::ExternalCustomer(external_id) => {
                let other = self
                    .store()
                    .customer_by_external_id(caller.organization_id(), &external_id)
                    .await?
                    .filter(|c| caller.may_see_customer(c.id))
                    .ok_or_else(|| {
                        ServiceError::missing(
                            "CustomerNotFound",
                            format!("no customer with external id {external_id:?}"),
                        )
                    })?;
                Self::customer_email(other)?
            }
        };
        match self.store().member_by_email(customer.id, &email).await? {
            Some(member) => Ok((member, false)),
            None => Ok((self.new_member(customer, email, None), true)),
        }
    }

    fn customer_email(customer: CustomerRecord) -> Result<crate::model::Email, ServiceError> {
        customer.email.ok_or_else(|| {
            ServiceError::rejected(
                "InvalidSeatAssignmentRequest",
                "this customer has no email to invite",
            )
        })
    }

    fn new_member(
        &self,
        customer: &CustomerRecord,
        email: crate::model::Email,
        external_id: Option<String>,
    ) -> MemberRecord {
        MemberRecord {
            id: MemberId::new(),
            customer_id: customer.id,
            organization_id: customer.organization_id,
            created_at: self.now(),
            modified_at: None,
            email,
            name: None,
            external_id,
            role: MemberRole::Member,
            deleted_at: None,
        }
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
        }
    }

    /// Assigns a seat: a pending seat with an emailed invitation, or (organization tokens only) a
    /// seat claimed at once with `immediate_claim`.
    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id()), err(level = "info"))]
    pub async fn assign_seat(
        &self,
        caller: &SeatCaller,
        input: SeatAssign,
    ) -> Result<CustomerSeat, ServiceError> {
        let holder = check_assign(caller, &input)?;
        let pool = self.requested_pool(caller, &input).await?;
        let context = self.pool_context(caller, pool).await?;
        self.assign_in_pool(caller, &input, holder, pool, context)
            .await
    }

    /// The merchant API's assign with its access token: when the request names its pool directly
    /// (`subscription_id` or `order_id`), the token and the pool's context are one read. The same
    /// answers, errors and order of checks as [`Services::assign_seat`].
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn assign_seat_for_token(
        &self,
        token: &str,
        input: SeatAssign,
    ) -> Result<CustomerSeat, ServiceError> {
        let pool = match (input.subscription_id, input.order_id, input.checkout_id) {
            (Some(id), None, None) => SeatPool::Subscription(id),
            (None, Some(id), None) => SeatPool::Order(id),
            _ => {
                let caller = SeatCaller::Organization(self.authenticate_access_token(token).await?);
                return self.assign_seat(&caller, input).await;
            }
        };
        let found = self
            .store()
            .access_token_with_pool_context(&access_token_hash(token)?, self.now(), pool)
            .await?;
        let (caller, record) = match found {
            Some((token, record)) => (
                OrganizationCaller::of_live_token(Some(token))?,
                Some(record),
            ),
            // The token is not live (401) or the pool is not its organization's (404 below).
            None => (self.authenticate_access_token(token).await?, None),
        };
        let caller = SeatCaller::Organization(caller);
        let holder = check_assign(&caller, &input)?;
        let context = context_of(&caller, pool, record)?;
        self.assign_in_pool(&caller, &input, holder, pool, context)
            .await
    }

    /// Assigns a seat of a pool the caller may see.
    async fn assign_in_pool(
        &self,
        caller: &SeatCaller,
        input: &SeatAssign,
        holder: Holder,
        pool: SeatPool,
        context: PoolContext,
    ) -> Result<CustomerSeat, ServiceError> {
        if let Some(why) = &context.unusable {
            return Err(ServiceError::rejected(
                "SeatNotAvailable",
                format!("no seat can be assigned: {why}"),
            ));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (member, is_new) = self
                .holder(caller, &context.customer, holder.clone())
                .await?;
            let (assignment, wire) = self
                .prepare_assignment(caller, &context, pool, input, member, is_new)
                .await?;
            match self.store().assign_seat(&assignment).await {
                Ok(()) => return Ok(wire),
                // Another request created this member between our read and our write: use theirs.
                Err(StoreError::Conflict { constraint })
                    if is_new && attempt == 1 && constraint.is_member() =>
                {
                    continue;
                }
                Err(err) => return Err(assign_error(err, &wire.email)),
            }
        }
    }

    /// Everything one assignment writes, and the seat as the API returns it.
    #[allow(clippy::too_many_arguments)]
    async fn prepare_assignment(
        &self,
        caller: &SeatCaller,
        context: &PoolContext,
        pool: SeatPool,
        input: &SeatAssign,
        member: MemberRecord,
        is_new: bool,
    ) -> Result<(SeatAssignment, CustomerSeat), ServiceError> {
        let now = self.now();
        let mut seat = SeatRecord {
            id: SeatId::new(),
            organization_id: caller.organization_id(),
            created_at: now,
            modified_at: None,
            pool,
            status: initial_status(false),
            customer_id: context.customer.id,
            member_id: member.id,
            email: member.email.clone(),
            invitation_token_expires_at: Some(now + context.invitation_ttl),
            claimed_at: None,
            revoked_at: None,
            metadata: input.metadata.clone(),
        };
        let mut events = Vec::new();
        if is_new {
            events.push(self.event(
                caller.organization_id(),
                "member.created",
                &Member::from(member.clone()),
            )?);
        }
        let mut audit = vec![self.audit(caller, &seat, SeatAction::Assigned)];
        let (invitation, email, grants) = if input.immediate_claim {
            seat.status = initial_status(true);
            seat.claimed_at = Some(now);
            seat.invitation_token_expires_at = None;
            audit.push(self.audit(caller, &seat, SeatAction::Claimed));
            let grants = self.grants_for(&seat, context.product_id).await?;
            (None, None, grants)
        } else {
            let invitation = token::generate(INVITATION_TOKEN_PREFIX);
            let email = self.invitation_email(context, &seat, invitation.expose());
            (Some(invitation.hash), Some(email), Vec::new())
        };
        let wire = seat_wire(
            seat.clone(),
            Member::from(member.clone()),
            &context.customer,
        );
        if input.immediate_claim {
            events.push(self.event(caller.organization_id(), "customer_seat.claimed", &wire)?);
            events.extend(self.grant_events(&grants, "benefit_grant.created").await?);
        } else {
            events.push(self.event(caller.organization_id(), "customer_seat.assigned", &wire)?);
        }
        let assignment = SeatAssignment {
            seat,
            invitation,
            new_member: is_new.then_some(member),
            grants,
            email,
            audit,
            events,
        };
        Ok((assignment, wire))
    }

    /// The seats of a pool (revoked ones too, oldest first), optionally of one status, and its
    /// free count.
    pub async fn list_seats(
        &self,
        caller: &SeatCaller,
        pool: SeatPool,
        status: Option<SeatStatus>,
        page: PageRequest,
    ) -> Result<SeatsList, ServiceError> {
        caller.require_read()?;
        let context = self.pool_context(caller, pool).await?;
        let usage = self
            .store()
            .pool_usage(caller.organization_id(), pool)
            .await?
            .ok_or_else(|| pool_not_found(pool))?;
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
        Ok(SeatsList {
            seats: out,
            available_seats: usage.seats.saturating_sub(usage.used),
            total_seats: usage.seats,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(keys: usize, value_len: usize) -> Metadata {
        Metadata(
            (0..keys)
                .map(|i| (format!("k{i}"), serde_json::json!("x".repeat(value_len))))
                .collect(),
        )
    }

    #[test]
    fn seat_metadata_allows_ten_keys_and_refuses_eleven() {
        assert!(validate_seat_metadata(&metadata(10, 5)).is_ok());
        assert!(
            validate_seat_metadata(&metadata(11, 5))
                .unwrap_err()
                .contains("10 keys")
        );
    }

    #[test]
    fn seat_metadata_over_one_kilobyte_is_refused() {
        assert!(
            validate_seat_metadata(&metadata(3, 400))
                .unwrap_err()
                .contains("1024 bytes")
        );
    }
}
