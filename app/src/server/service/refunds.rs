//! Refunds (`POST`/`GET /v1/refunds`): all or part of a paid order given back through the payment
//! provider.
//!
//! - At least 1 and at most what is left of the order (422 beyond it); a wholly refunded order is
//!   403 `RefundedAlready`; only paid orders can be refunded.
//! - A one-time order refunded whole has its seats revoked and its pool closed; `revoke_benefits`
//!   does the same on a partial refund. A subscription's order keeps its seats (they end with the
//!   subscription), so `revoke_benefits` is refused there.
//! - Events `refund.created` (pending), then `refund.updated` (succeeded or failed) with
//!   `order.updated` and `order.refunded` (the order as it then is).
//!
//! The refund is written `pending` with its amount reserved on the order, then asked of the provider
//! under the refund's id, then settled; the sweeper finishes a refund a crash left pending by asking
//! again under the same id (the provider refunds once per id).

use chrono::TimeDelta;

use crate::{
    model::{
        ListResource, MinorUnits, PageRequest, RefundId, Scope,
        billing::OrderStatus,
        refund::{Refund, RefundCreate, RefundStatus},
        seat::SeatPool,
    },
    server::{
        payment::PaymentError,
        store::{RefundFilter, RefundRecord, RefundSettlement, StoreError},
    },
};

use super::{OrganizationCaller, SeatCaller, ServiceError, Services, billing::order_wire};

/// How old a pending refund must be before the sweeper finishes it.
const LEFT_AFTER: TimeDelta = TimeDelta::minutes(2);
const SWEEP_BATCH: u32 = 50;
const MAX_COMMENT_CHARS: usize = 1000;

fn refund_wire(r: &RefundRecord) -> Refund {
    Refund {
        id: r.id,
        created_at: r.created_at,
        modified_at: r.modified_at,
        metadata: r.metadata.clone(),
        status: r.status,
        reason: r.reason,
        amount: r.amount,
        tax_amount: MinorUnits::ZERO,
        currency: r.currency.clone(),
        organization_id: r.organization_id,
        order_id: r.order_id,
        subscription_id: r.subscription_id,
        customer_id: r.customer_id,
        revoke_benefits: r.revoke_benefits,
        dispute: None,
    }
}

impl Services {
    /// `POST /v1/refunds`.
    #[tracing::instrument(skip_all, fields(order_id = %input.order_id), err(level = "info"))]
    pub async fn create_refund(
        &self,
        caller: &OrganizationCaller,
        input: RefundCreate,
    ) -> Result<Refund, ServiceError> {
        caller.require_any(&[Scope::RefundsWrite])?;
        if input.amount < 1 {
            return Err(ServiceError::invalid_field(
                "amount",
                "must be greater than or equal to 1",
            ));
        }
        if let Err(msg) = input.metadata.validate() {
            return Err(ServiceError::invalid_field("metadata", msg));
        }
        let comment = match input.comment.map(|c| c.trim().to_owned()) {
            Some(c) if c.chars().count() > MAX_COMMENT_CHARS => {
                return Err(ServiceError::invalid_field(
                    "comment",
                    format!("at most {MAX_COMMENT_CHARS} characters"),
                ));
            }
            Some(c) if c.is_empty() => None,
            other => other,
        };
        let order = self
            .store()
            .order(caller.organization_id, input.order_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Order"))?;
        if order.status == OrderStatus::Refunded {
            return Err(ServiceError::refused(
                "RefundedAlready",
                "Order is already fully refunded.",
            ));
        }
        if order.status != OrderStatus::Paid {
            return Err(ServiceError::invalid_field(
                "order_id",
                "only a paid order can be refunded",
            ));
        }
        if input.revoke_benefits && order.subscription_id.is_some() {
            return Err(ServiceError::invalid_field(
                "revoke_benefits",
                "only a one-time purchase's seats are revoked by a refund; a subscription's end \
                 with the subscription (revoke it)",
            ));
        }
        let left = order.total_amount.get() - order.refunded_amount.get();
        if input.amount > left {
            return Err(ServiceError::invalid_field(
                "amount",
                format!("at most {left} is left to refund of this order"),
            ));
        }
        let Some(reference) = order.payment_reference.clone() else {
            return Err(ServiceError::invalid_field(
                "order_id",
                "this order was not paid through the payment provider (a free order)",
            ));
        };
        let now = self.now();
        let refund = RefundRecord {
            id: RefundId::new(),
            organization_id: caller.organization_id,
            created_at: now,
            modified_at: None,
            order_id: order.id,
            subscription_id: order.subscription_id,
            customer_id: order.customer_id,
            status: RefundStatus::Pending,
            reason: input.reason,
            amount: MinorUnits(input.amount),
            currency: order.currency.clone(),
            comment,
            revoke_benefits: input.revoke_benefits,
            metadata: input.metadata,
        };
        let created = self.event(
            caller.organization_id,
            "refund.created",
            &refund_wire(&refund),
        )?;
        if !self.store().start_refund(&refund, &[created]).await? {
            // Another refund of the order got there first.
            return Err(ServiceError::invalid_field(
                "amount",
                "that much of this order is no longer left to refund",
            ));
        }
        let settled = self.ask_refund(&refund, &reference).await?;
        Ok(refund_wire(&settled))
    }

    /// Asks the provider for `refund` and settles it; answers it as it then is.
    async fn ask_refund(
        &self,
        refund: &RefundRecord,
        reference: &str,
    ) -> Result<RefundRecord, ServiceError> {
        let now = self.now();
        let outcome = self
            .payments
            .refund_part(reference, refund.amount, &refund.id.to_string(), now)
            .await;
        let succeeded = match outcome {
            Ok(()) => true,
            Err(PaymentError::Declined(why) | PaymentError::InvalidToken(why)) => {
                tracing::warn!(refund_id = %refund.id, reason = %why, "refund refused by the payment provider");
                false
            }
            Err(err @ PaymentError::Unavailable(_)) => {
                tracing::warn!(refund_id = %refund.id, error = %err, "refund outcome unknown; left to the sweeper");
                return Err(ServiceError::PaymentPending);
            }
        };
        for _ in 0..3 {
            let settled = match self.settle_refund(refund, succeeded, now).await? {
                Some(settled) => settled,
                None => {
                    // Settled by someone else meanwhile: theirs is the answer. Otherwise a seat
                    // was assigned in the pool being closed: list its seats again.
                    let current = self
                        .store()
                        .refund(refund.organization_id, refund.id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("Refund"))?;
                    if current.status == RefundStatus::Pending {
                        continue;
                    }
                    current
                }
            };
            if settled.status != RefundStatus::Succeeded {
                return Err(ServiceError::rejected(
                    "RefundFailed",
                    "the payment provider refused the refund; nothing was refunded",
                ));
            }
            return Ok(settled);
        }
        Err(ServiceError::Conflict {
            error: "RefundBusy",
            detail: "seats of this order are being assigned right now; the refund is done and \
                     will be settled shortly"
                .into(),
        })
    }

    /// Writes a refund's outcome with what follows from it; None when the store found it changed
    /// (settled meanwhile, or a seat assigned in the pool it closes).
    async fn settle_refund(
        &self,
        refund: &RefundRecord,
        succeeded: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<RefundRecord>, ServiceError> {
        let mut settled = refund.clone();
        settled.modified_at = Some(now);
        settled.status = if succeeded {
            RefundStatus::Succeeded
        } else {
            RefundStatus::Failed
        };
        let order = self
            .store()
            .order(refund.organization_id, refund.order_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Order"))?;
        let mut revokes = Vec::new();
        let mut events = Vec::new();
        let mut close_pool = false;
        // Whole once the succeeded refunds, this one included, are the order's total (refunds
        // still pending do not count).
        let refunded_before = self.store().succeeded_refunds_total(order.id).await?;
        let whole =
            succeeded && refunded_before.get() + refund.amount.get() == order.total_amount.get();
        let org = refund.organization_id;
        events.push(self.event(org, "refund.updated", &refund_wire(&settled))?);
        if succeeded {
            close_pool = order.subscription_id.is_none() && (whole || refund.revoke_benefits);
            if close_pool {
                let system = SeatCaller::System(order.organization_id);
                revokes = self
                    .revoke_pool_writes(&system, SeatPool::Order(order.id), order.customer_id)
                    .await?;
            }
            let mut refunded = order.clone();
            refunded.modified_at = Some(now);
            if whole {
                refunded.status = OrderStatus::Refunded;
            }
            let (customer, product) = self
                .parties(order.organization_id, order.customer_id, order.product_id)
                .await?;
            let subscription = match order.subscription_id {
                Some(id) => self
                    .store()
                    .subscription(order.organization_id, id)
                    .await?
                    .as_ref()
                    .map(super::billing::subscription_core),
                None => None,
            };
            let order_out = order_wire(&refunded, customer, product, subscription);
            events.push(self.event(org, "order.updated", &order_out)?);
            events.push(self.event(org, "order.refunded", &order_out)?);
        }
        let settlement = RefundSettlement {
            refund_id: refund.id,
            order_id: refund.order_id,
            now,
            succeeded,
            amount: refund.amount,
            whole,
            revokes,
            close_pool,
            events,
        };
        match self.store().settle_refund(&settlement).await {
            Ok(()) => Ok(Some(settled)),
            Err(StoreError::Stale(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// `GET /v1/refunds`.
    pub async fn list_refunds(
        &self,
        caller: &OrganizationCaller,
        filter: RefundFilter,
        page: PageRequest,
    ) -> Result<ListResource<Refund>, ServiceError> {
        caller.require_any(&[Scope::RefundsRead, Scope::RefundsWrite])?;
        let (records, total) = self
            .store()
            .list_refunds(caller.organization_id, &filter, page)
            .await?;
        Ok(ListResource::new(
            records.iter().map(refund_wire).collect(),
            total,
            page,
        ))
    }

    /// Finishes refunds a crash left pending (part of the sweeper's pass).
    pub(super) async fn settle_pending_refunds(&self) -> Result<(), ServiceError> {
        let before = self.now() - LEFT_AFTER;
        for refund in self.store().pending_refunds(before, SWEEP_BATCH).await? {
            let reference = self
                .store()
                .order(refund.organization_id, refund.order_id)
                .await?
                .and_then(|o| o.payment_reference);
            let Some(reference) = reference else {
                continue;
            };
            if let Err(err) = self.ask_refund(&refund, &reference).await {
                tracing::warn!(refund_id = %refund.id, error = %err, "could not settle a refund yet");
            }
        }
        Ok(())
    }
}
