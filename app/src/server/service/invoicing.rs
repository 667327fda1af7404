//! Seat changes billed now (`proration_behavior: invoice`): the prorated debit is charged to the
//! subscription's saved payment method as a `subscription_update` order, and the change applies only
//! once it is paid; a refused charge changes nothing (402 `PaymentFailed`).
//!
//! The order (`pending`) and its proration are written before the charge, whose idempotency key is
//! the order's id; the change and the paid order are then written at once. What a crash leaves in
//! between is settled by the sweeper ([`Services::settle_invoiced_changes`]): charged, the change
//! applies if the subscription is still as it was planned from, else the money is given back;
//! never charged, the order is forgotten.

use chrono::TimeDelta;

use crate::{
    model::{
        MinorUnits, OrderId,
        billing::{BillingReason, OrderItem, OrderStatus},
    },
    server::{
        payment::{Charge, PaymentError},
        store::{OrderRecord, SeatCountTarget, SeatCountWrite, StoreError, SubscriptionRecord},
    },
};

use super::{
    ServiceError, Services,
    billing::{order_wire, subscription_core},
};

/// How old a pending invoiced change must be before the sweeper settles it (its request is surely
/// over by then).
const LEFT_AFTER: TimeDelta = TimeDelta::minutes(2);
const SWEEP_BATCH: u32 = 50;

impl Services {
    /// Charges and applies `target` (a change now with a positive proration) planned from `record`;
    /// `changed` is the subscription as it will be. None when the subscription changed meanwhile
    /// (the charge was given back; the caller plans again).
    pub(super) async fn invoiced_change(
        &self,
        record: &SubscriptionRecord,
        changed: SubscriptionRecord,
        target: SeatCountTarget,
    ) -> Result<Option<SubscriptionRecord>, ServiceError> {
        let SeatCountTarget::Now {
            seats,
            proration: Some(entry),
            ..
        } = target
        else {
            return Err(ServiceError::invalid_field(
                "proration_behavior",
                "only a change that costs more is invoiced",
            ));
        };
        let Some(method) = self.store().renewal_payment_method(record.id).await? else {
            return Err(ServiceError::PaymentFailed(
                "Payment failed with reason: missing_payment_method.".into(),
            ));
        };
        let now = self.now();
        let (_, product) = self
            .parties(
                record.organization_id,
                record.customer_id,
                record.product_id,
            )
            .await?;
        let order = OrderRecord {
            id: OrderId::new(),
            organization_id: record.organization_id,
            created_at: now,
            modified_at: None,
            customer_id: record.customer_id,
            product_id: record.product_id,
            subscription_id: Some(record.id),
            checkout_id: None,
            status: OrderStatus::Pending,
            billing_reason: BillingReason::SubscriptionUpdate,
            seats,
            subtotal_amount: entry.amount,
            total_amount: entry.amount,
            currency: record.currency.clone(),
            items: vec![OrderItem {
                created_at: now,
                modified_at: None,
                id: uuid::Uuid::now_v7(),
                label: format!(
                    "{} ({} → {} seats)",
                    product.name, entry.seats_from, entry.seats_to
                ),
                amount: entry.amount,
                tax_amount: MinorUnits::ZERO,
                proration: true,
                product_price_id: Some(record.price_id),
                start_timestamp: Some(entry.period_start),
                end_timestamp: Some(entry.period_end),
            }],
            metadata: record.metadata.clone(),
            refunded_amount: MinorUnits::ZERO,
            payment_reference: None,
        };
        self.store().start_invoiced_change(&order, &entry).await?;
        let charge = Charge {
            idempotency_key: order.id.to_string(),
            amount: entry.amount,
            currency: record.currency.clone(),
            token: method,
            description: format!(
                "{}: {} → {} seats until {}",
                product.name,
                entry.seats_from,
                entry.seats_to,
                entry.period_end.date_naive()
            ),
        };
        let reference = match self.payments.charge(&charge, now).await {
            Ok(receipt) => receipt.reference,
            Err(PaymentError::Declined(_) | PaymentError::InvalidToken(_)) => {
                // The provider's words may name the payment method: a fixed answer instead.
                self.store().drop_invoiced_change(order.id).await?;
                return Err(ServiceError::PaymentFailed(
                    "Payment failed with reason: card_declined.".into(),
                ));
            }
            Err(err @ PaymentError::Unavailable(_)) => {
                tracing::warn!(order_id = %order.id, error = %err, "invoiced change: charge outcome unknown; left to the sweeper");
                return Err(ServiceError::PaymentPending);
            }
        };
        Ok(self
            .apply_invoiced(record, &changed, &order, &reference)
            .await?
            .then_some(changed))
    }

    /// Applies a charged invoiced change: the subscription becomes `changed`, its `order` paid by
    /// the charge `reference`, with the events. False when the subscription changed meanwhile:
    /// then the money goes back.
    async fn apply_invoiced(
        &self,
        record: &SubscriptionRecord,
        changed: &SubscriptionRecord,
        order: &OrderRecord,
        reference: &str,
    ) -> Result<bool, ServiceError> {
        let now = self.now();
        let (customer, product) = self
            .parties(
                record.organization_id,
                record.customer_id,
                record.product_id,
            )
            .await?;
        let mut paid = order.clone();
        paid.status = OrderStatus::Paid;
        paid.modified_at = Some(now);
        paid.payment_reference = Some(reference.to_owned());
        let order_out = order_wire(&paid, customer, product, Some(subscription_core(changed)));
        let org = record.organization_id;
        let events = vec![
            self.subscription_event(changed, "subscription.updated")
                .await?,
            self.event(org, "order.created", &order_out)?,
            self.event(org, "order.paid", &order_out)?,
        ];
        let write = SeatCountWrite {
            subscription_id: record.id,
            now,
            from_seats: record.seats,
            target: SeatCountTarget::Now {
                seats: changed.seats,
                amount: changed.amount,
                proration: None,
            },
            events,
        };
        match self
            .store()
            .finish_invoiced_change(&write, order.id, reference)
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Stale(_)) => {
                self.give_back_invoiced(order.id, reference).await?;
                Ok(false)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Marks an invoiced change's order refunded and gives its charge back, unless someone else
    /// settled the order first (then the money stays with the change it paid for).
    async fn give_back_invoiced(
        &self,
        order_id: OrderId,
        reference: &str,
    ) -> Result<(), ServiceError> {
        if !self
            .store()
            .refunded_invoiced_change(order_id, self.now())
            .await?
        {
            return Ok(());
        }
        if let Err(err) = self.payments.refund(reference, self.now()).await {
            tracing::error!(order_id = %order_id, error = %err, "the charge of an invoiced change that did not apply could not be refunded; refund it by hand");
            return Err(ServiceError::PaymentPending);
        }
        Ok(())
    }

    /// Settles invoiced changes a crash left pending (part of the sweeper's pass).
    pub(super) async fn settle_invoiced_changes(&self) -> Result<(), ServiceError> {
        let before = self.now() - LEFT_AFTER;
        for order in self
            .store()
            .pending_update_orders(before, SWEEP_BATCH)
            .await?
        {
            if let Err(err) = self.settle_invoiced_change(&order).await {
                tracing::warn!(order_id = %order.id, error = %err, "could not settle an invoiced change yet");
            }
        }
        Ok(())
    }

    async fn settle_invoiced_change(&self, order: &OrderRecord) -> Result<(), ServiceError> {
        let receipt = self
            .payments
            .find_charge(&order.id.to_string())
            .await
            .map_err(|_| ServiceError::PaymentPending)?;
        let Some(receipt) = receipt else {
            tracing::info!(order_id = %order.id, "unfinished invoiced change dropped: nothing was charged");
            self.store().drop_invoiced_change(order.id).await?;
            return Ok(());
        };
        let (Some(subscription_id), Some(entry)) = (
            order.subscription_id,
            self.store().entry_of_order(order.id).await?,
        ) else {
            return self.give_back_invoiced(order.id, &receipt.reference).await;
        };
        let record = self
            .store()
            .subscription(order.organization_id, subscription_id)
            .await?;
        let Some(record) = record.filter(|r| r.seats == entry.seats_from) else {
            return self.give_back_invoiced(order.id, &receipt.reference).await;
        };
        let tiers = self.tiers_of(&record).await?;
        let (Ok(old), Ok(new)) = (
            tiers.amount_for(record.seats),
            tiers.amount_for(entry.seats_to),
        ) else {
            return self.give_back_invoiced(order.id, &receipt.reference).await;
        };
        let now = self.now();
        let Some(amount) = record
            .amount
            .checked_sub(old)
            .and_then(|a| a.checked_add(new))
        else {
            return self.give_back_invoiced(order.id, &receipt.reference).await;
        };
        let mut changed = record.clone();
        changed.seats = entry.seats_to;
        changed.amount = amount;
        changed.modified_at = Some(now);
        changed.changes.clear_scheduled();
        self.apply_invoiced(&record, &changed, order, &receipt.reference)
            .await
            .map(drop)
    }
}
