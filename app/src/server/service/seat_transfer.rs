//! Reassigning a seat (beyond Polar): the old holder's seat is revoked with its grants, license
//! keys and activations, and a new seat is given to someone else in its place, in one transaction
//! whose pool count never moves, so no other request can take the place in between. The audit log
//! records it as one `transferred` entry on the old seat naming the new seat and holder; each side
//! has its events (`customer_seat.revoked` with `benefit_grant.revoked`, then
//! `customer_seat.assigned`, or, claimed at once, `customer_seat.claimed` with
//! `benefit_grant.created`).

use crate::{
    domain::seats::{SeatEvent, transition},
    model::{
        SeatId,
        seat::{CustomerSeat, SeatAction, SeatTransfer},
    },
    server::store::{SeatTransferWrite, StoreError},
};

use super::{
    SeatCaller, ServiceError, Services,
    seat_assign::{assign_error, check_assign},
};

fn not_active() -> ServiceError {
    ServiceError::rejected(
        "SeatAlreadyRevoked",
        "this seat is revoked: only a pending or claimed seat can be reassigned",
    )
}

/// How many times a transfer reads the seat again when it changed under it (claimed, or a new
/// member created by another request) before giving up.
const ATTEMPTS: u32 = 3;

impl Services {
    /// Gives seat `id` to the holder `input` names, as one step; answers the new seat.
    #[tracing::instrument(skip_all, fields(seat_id = %id), err(level = "info"))]
    pub async fn transfer_seat(
        &self,
        caller: &SeatCaller,
        id: SeatId,
        input: SeatTransfer,
    ) -> Result<CustomerSeat, ServiceError> {
        caller.require_write()?;
        let (mut seat, mut customer, mut member) = self.seat_parts(caller, id).await?;
        let assign = input.assignment(seat.pool, &seat.metadata);
        let holder = check_assign(caller, &assign)?;
        let context = self.pool_context(caller, seat.pool).await?;
        if let Some(why) = &context.unusable {
            return Err(ServiceError::rejected(
                "SeatNotAvailable",
                format!("no seat can be reassigned: {why}"),
            ));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            if transition(seat.status, SeatEvent::Revoke).is_none() {
                return Err(not_active());
            }
            let (new_holder, is_new) = self
                .holder(caller, &context.customer, holder.clone())
                .await?;
            if new_holder.id == seat.member_id {
                return Err(ServiceError::rejected(
                    "SeatAlreadyAssigned",
                    format!("{} already holds this seat", seat.email),
                ));
            }
            // The transfer is one audit entry, on the old seat (made first, so it lists before a
            // claim of the new seat); the new seat keeps only a claim's.
            let mut revoke = self
                .revoke_write(caller, &seat, member.clone(), &customer)
                .await?;
            let (mut assignment, wire) = self
                .prepare_assignment(caller, &context, seat.pool, &assign, new_holder, is_new)
                .await?;
            assignment
                .audit
                .retain(|entry| entry.action != SeatAction::Assigned);
            revoke.audit.action = SeatAction::Transferred;
            revoke.audit.transferred_to = Some((wire.id, wire.email.clone()));
            let write = SeatTransferWrite { revoke, assignment };
            let retry = match self.store().transfer_seat(&write).await {
                Ok(true) => return Ok(wire),
                // Revoked or claimed since we read it: read it again.
                Ok(false) => true,
                // Another request created this member between our read and our write: use theirs.
                Err(StoreError::Conflict { constraint }) if is_new && constraint.is_member() => {
                    false
                }
                // The pool was closed or ended since we read it.
                Err(StoreError::NoCapacity) => {
                    return Err(ServiceError::rejected(
                        "SeatNotAvailable",
                        "no seat can be reassigned: this pool no longer takes seats",
                    ));
                }
                Err(err) => return Err(assign_error(err, &wire.email)),
            };
            if attempt == ATTEMPTS {
                return Err(ServiceError::Conflict {
                    error: "SeatChanged",
                    detail: "this seat changed while it was being reassigned; retry".into(),
                });
            }
            if retry {
                (seat, customer, member) = self.seat_parts(caller, id).await?;
            }
        }
    }
}
