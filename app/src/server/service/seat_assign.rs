//! Assigning a seat: the holder a request names (every `SeatAssign` identifier), the member found or
//! created for it, and the write set of a pending seat with its emailed invitation, or (merchant
//! only) of a seat claimed at once. Capacity and one active seat per holder are the database's to
//! enforce, inside the one transaction that writes the assignment (see
//! [`SeatStore::assign_seat`](crate::server::store::SeatStore::assign_seat)).

use crate::{
    domain::seats::{Holder, initial_status},
    model::{
        MemberId, SeatId,
        customer::{Member, MemberRole},
        metadata::Metadata,
        seat::{CustomerSeat, SeatAction, SeatAssign, SeatPool},
    },
    server::{
        store::{CustomerRecord, MemberRecord, PoolRead, SeatAssignment, SeatRecord, StoreError},
        token,
    },
};

use super::{
    Credential, SeatCaller, ServiceError, Services,
    seats::{INVITATION_TOKEN_PREFIX, PoolContext, context_of, seat_wire},
};

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
pub(super) fn assign_error(err: StoreError, email: &crate::model::Email) -> ServiceError {
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

/// The checks of an assignment that need no database: the caller's right to write, `immediate_claim`
/// only for the merchant, the metadata's size, exactly one holder identifier.
pub(super) fn check_assign(
    caller: &SeatCaller,
    input: &SeatAssign,
) -> Result<Holder, ServiceError> {
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

impl Services {
    /// The member who will hold the seat, and whether it must be created with the seat.
    pub(super) async fn holder(
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

    /// Assigns a seat for whoever presents `credential`: a pending seat with an emailed
    /// invitation, or (organization tokens only) a seat claimed at once with `immediate_claim`.
    /// When the request names its pool (`subscription_id` or `order_id`), the caller and the
    /// pool's context are one read; a `checkout_id` is looked up once the caller is known.
    #[tracing::instrument(skip_all, fields(organization_id), err(level = "info"))]
    pub async fn assign_seat(
        &self,
        credential: Credential<'_>,
        input: SeatAssign,
    ) -> Result<CustomerSeat, ServiceError> {
        let named = match (input.subscription_id, input.order_id, input.checkout_id) {
            (Some(id), None, None) => Some(SeatPool::Subscription(id)),
            (None, Some(id), None) => Some(SeatPool::Order(id)),
            _ => None,
        };
        let (caller, holder, pool, record) = match named {
            Some(pool) => {
                let (caller, seen) = self
                    .caller_on_pool(credential, pool, PoolRead::Context)
                    .await?;
                let holder = check_assign(&caller, &input)?;
                let record = seen.and_then(|seen| seen.context().cloned());
                (caller, holder, pool, record)
            }
            None => {
                let caller = self.authenticate(credential).await?;
                let holder = check_assign(&caller, &input)?;
                let pool = self.requested_pool(&caller, &input).await?;
                let record = self
                    .store()
                    .pool_context(caller.organization_id(), pool)
                    .await?;
                (caller, holder, pool, record)
            }
        };
        tracing::Span::current().record(
            "organization_id",
            tracing::field::display(caller.organization_id()),
        );
        let context = context_of(&caller, pool, record.as_ref())?;
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
    pub(super) async fn prepare_assignment(
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
        let (invitation, email, (grants, license_keys)) = if input.immediate_claim {
            seat.status = initial_status(true);
            seat.claimed_at = Some(now);
            seat.invitation_token_expires_at = None;
            audit.push(self.audit(caller, &seat, SeatAction::Claimed));
            let grants = self.grants_for(&seat, context.product_id).await?;
            (None, None, grants)
        } else {
            let invitation = token::generate(INVITATION_TOKEN_PREFIX);
            let email = self.invitation_email(context, &seat, invitation.expose());
            (Some(invitation.hash), Some(email), (Vec::new(), Vec::new()))
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
            license_keys,
            email,
            audit,
            events,
        };
        Ok((assignment, wire))
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
