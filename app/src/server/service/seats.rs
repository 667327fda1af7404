//! Customer seats (first increment): assign by email into a subscription or order pool, list a
//! pool, revoke. Capacity is enforced by the database inside the assigning transaction (see
//! [`SeatStore`](crate::server::store::SeatStore)); an email or member holds at most one active seat
//! per pool. Claim, resend, invitation emails, the other holder identifiers and the portal API come
//! next (issue "Customer seats").

use std::collections::HashMap;

use chrono::TimeDelta;

use crate::{
    model::{
        LocSegment, MemberId, Scope, SeatId, ValidationIssue,
        billing::{OrderStatus, SubscriptionStatus},
        customer::{Member, MemberRole},
        seat::{CustomerSeat, SeatAssign, SeatStatus, SeatsList},
    },
    server::{
        store::{CustomerRecord, MemberRecord, SeatPool, SeatRecord, StoreError},
        token,
    },
};

use super::{OrganizationCaller, ServiceError, Services};

/// Prefix of invitation tokens.
pub const INVITATION_TOKEN_PREFIX: &str = "skp_inv_";

fn invalid(field: &str, msg: impl Into<String>) -> ServiceError {
    ServiceError::Validation(vec![ValidationIssue {
        loc: vec![LocSegment::from("body"), LocSegment::from(field)],
        msg: msg.into(),
        kind: "value_error".into(),
    }])
}

fn seat_wire(seat: SeatRecord, member: Member, customer: &CustomerRecord) -> CustomerSeat {
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

impl Services {
    /// The pool named by exactly one of `subscription_id` / `order_id`, with its billing customer,
    /// checked to be usable (active or trialing subscription; paid order).
    async fn usable_pool(
        &self,
        caller: &OrganizationCaller,
        pool: SeatPool,
    ) -> Result<CustomerRecord, ServiceError> {
        let (customer_id, usable, what) = match pool {
            SeatPool::Subscription(id) => {
                let s = self
                    .store()
                    .subscription(caller.organization_id, id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("Subscription"))?;
                let ok = matches!(
                    s.status,
                    SubscriptionStatus::Active | SubscriptionStatus::Trialing
                );
                (
                    s.customer_id,
                    ok,
                    format!("the subscription is {}", s.status.as_str()),
                )
            }
            SeatPool::Order(id) => {
                let o = self
                    .store()
                    .order(caller.organization_id, id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("Order"))?;
                (
                    o.customer_id,
                    o.status == OrderStatus::Paid,
                    format!("the order is {}", o.status.as_str()),
                )
            }
        };
        if !usable {
            return Err(ServiceError::Rejected {
                error: "SeatNotAvailable",
                detail: format!("no seat can be assigned: {what}"),
            });
        }
        self.store()
            .customer_even_deleted(caller.organization_id, customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))
    }

    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id), err(level = "info"))]
    pub async fn assign_seat(
        &self,
        caller: &OrganizationCaller,
        input: SeatAssign,
    ) -> Result<CustomerSeat, ServiceError> {
        caller.require_any(&[Scope::CustomerSeatsWrite])?;
        let pool = match (input.subscription_id, input.order_id) {
            (Some(id), None) => SeatPool::Subscription(id),
            (None, Some(id)) => SeatPool::Order(id),
            _ => {
                return Err(invalid(
                    "subscription_id",
                    "give exactly one of subscription_id and order_id",
                ));
            }
        };
        if input.customer_id.is_some()
            || input.external_customer_id.is_some()
            || input.member_id.is_some()
            || input.external_member_id.is_some()
        {
            return Err(invalid(
                "email",
                "this server assigns seats by email for now; member and customer identifiers come next",
            ));
        }
        let Some(email) = input.email else {
            return Err(invalid("email", "give the email of the person to invite"));
        };
        if input.immediate_claim {
            return Err(invalid(
                "immediate_claim",
                "immediate_claim is not available yet",
            ));
        }
        if let Err(msg) = input.metadata.validate() {
            return Err(invalid("metadata", msg));
        }
        let customer = self.usable_pool(caller, pool).await?;
        let now = self.now();
        let existing = self.store().member_by_email(customer.id, &email).await?;
        let new_member = match existing {
            Some(_) => None,
            None => Some(MemberRecord {
                id: MemberId::new(),
                customer_id: customer.id,
                organization_id: caller.organization_id,
                created_at: now,
                modified_at: None,
                email: email.clone(),
                name: None,
                external_id: None,
                role: MemberRole::Member,
                deleted_at: None,
            }),
        };
        let member = existing
            .or_else(|| new_member.clone())
            .ok_or_else(|| ServiceError::not_found("Member"))?;
        let organization = self
            .store()
            .organization(caller.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        let invitation = token::generate(INVITATION_TOKEN_PREFIX);
        let seat = SeatRecord {
            id: SeatId::new(),
            organization_id: caller.organization_id,
            created_at: now,
            modified_at: None,
            pool,
            status: SeatStatus::Pending,
            customer_id: customer.id,
            member_id: member.id,
            email,
            invitation_token_expires_at: Some(
                now + TimeDelta::seconds(organization.invitation_ttl_seconds),
            ),
            claimed_at: None,
            revoked_at: None,
            metadata: input.metadata,
        };
        let wire = seat_wire(seat.clone(), Member::from(member.clone()), &customer);
        let mut events = Vec::new();
        if let Some(member) = &new_member {
            events.push(self.event(
                caller.organization_id,
                "member.created",
                &Member::from(member.clone()),
            )?);
        }
        events.push(self.event(caller.organization_id, "customer_seat.assigned", &wire)?);
        self.store()
            .assign_seat(&seat, Some(&invitation.hash), new_member.as_ref(), &events)
            .await
            .map_err(|err| match err {
                StoreError::NoCapacity => ServiceError::Rejected {
                    error: "SeatNotAvailable",
                    detail: "no seats available in this pool: revoke a seat or buy more".into(),
                },
                StoreError::Conflict { .. } => ServiceError::Rejected {
                    error: "SeatAlreadyAssigned",
                    detail: format!("{} already holds a seat in this pool", wire.email),
                },
                other => other.into(),
            })?;
        Ok(wire)
    }

    /// The seats of a pool (revoked ones too, oldest first) and its free count.
    pub async fn list_seats(
        &self,
        caller: &OrganizationCaller,
        pool: SeatPool,
    ) -> Result<SeatsList, ServiceError> {
        caller.require_any(&[Scope::CustomerSeatsRead, Scope::CustomerSeatsWrite])?;
        let usage = self
            .store()
            .pool_usage(caller.organization_id, pool)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found(match pool {
                    SeatPool::Subscription(_) => "Subscription",
                    SeatPool::Order(_) => "Order",
                })
            })?;
        let seats = self.store().seats_of(pool).await?;
        let Some(first) = seats.first() else {
            return Ok(SeatsList {
                seats: Vec::new(),
                available_seats: usage.seats.saturating_sub(usage.used),
                total_seats: usage.seats,
            });
        };
        let customer = self
            .store()
            .customer_even_deleted(caller.organization_id, first.customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        let members: HashMap<MemberId, MemberRecord> = self
            .store()
            .all_members(customer.id)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let mut out = Vec::with_capacity(seats.len());
        for seat in seats {
            let member = members
                .get(&seat.member_id)
                .cloned()
                .ok_or_else(|| ServiceError::not_found("Member"))?;
            out.push(seat_wire(seat, member.into(), &customer));
        }
        Ok(SeatsList {
            seats: out,
            available_seats: usage.seats.saturating_sub(usage.used),
            total_seats: usage.seats,
        })
    }

    /// Revokes a seat. Idempotent: revoking a revoked seat changes nothing and emits nothing.
    #[tracing::instrument(skip_all, fields(seat_id = %id), err(level = "info"))]
    pub async fn revoke_seat(
        &self,
        caller: &OrganizationCaller,
        id: SeatId,
    ) -> Result<CustomerSeat, ServiceError> {
        caller.require_any(&[Scope::CustomerSeatsWrite])?;
        let seat = self
            .store()
            .seat(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Seat"))?;
        let customer = self
            .store()
            .customer_even_deleted(caller.organization_id, seat.customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        let member: Member = self
            .store()
            .all_members(customer.id)
            .await?
            .into_iter()
            .find(|m| m.id == seat.member_id)
            .ok_or_else(|| ServiceError::not_found("Member"))?
            .into();
        if seat.status.is_active() {
            let now = self.now();
            let mut revoked = seat.clone();
            revoked.status = SeatStatus::Revoked;
            revoked.revoked_at = Some(now);
            revoked.modified_at = Some(now);
            revoked.invitation_token_expires_at = None;
            let wire = seat_wire(revoked, member.clone(), &customer);
            let event = self.event(caller.organization_id, "customer_seat.revoked", &wire)?;
            self.store().revoke_seat(&seat, now, &[event]).await?;
        }
        let current = self
            .store()
            .seat(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Seat"))?;
        Ok(seat_wire(current, member, &customer))
    }
}
