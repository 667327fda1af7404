//! The renewal scheduler's pass (part of [`Services::run_due_work`]): every live subscription whose
//! period has ended is renewed, ended, or marked past due.
//!
//! - Set to cancel at the period's end: it ends, and its seats are revoked.
//! - Otherwise a `subscription_cycle` order bills the coming period in advance (see
//!   `domain::renewals`): the saved payment method is charged, then the new period, its seat count
//!   (a scheduled count applies), the order and the billed prorations are written at once, with
//!   `subscription.cycled`, `subscription.updated`, `order.created` and `order.paid`.
//! - A charge that fails leaves it `past_due` (`subscription.past_due`); its seats stay usable, no
//!   new seat is given out, and the charge is tried again every day until the organization's grace
//!   period (`past_due_grace_days`, 7 by default) ends it.
//!
//! Several processes may run the pass at once: each renewal is one conditional update on the period
//! it renews, so exactly one process writes it, and its charge carries a key made of the
//! subscription, the period and the attempt, so the provider charges it once whoever asks.

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    domain::renewals::{RenewalInput, next_period, plan_renewal},
    model::{
        MinorUnits, OrderId,
        billing::{BillingReason, OrderItem, OrderStatus, SubscriptionStatus},
    },
    server::{
        payment::{Charge, PaymentError},
        store::{
            BillingEntryRecord, OrderRecord, PastDueWrite, RenewalWrite, StoreError,
            SubscriptionRecord,
        },
    },
};

use super::{
    SeatCaller, ServiceError, Services,
    billing::{order_wire, subscription_core},
};

/// Subscriptions renewed per read.
const BATCH: u32 = 50;
/// Reads per pass at most: a clock moved by years renews each period in turn, but a pass ends.
const MAX_READS: usize = 200;
/// How long after a failed renewal charge it is tried again.
const RETRY_AFTER: TimeDelta = TimeDelta::days(1);

/// What one subscription's turn did.
#[derive(Debug, PartialEq, Eq)]
enum Turn {
    /// It moved on (renewed, ended, or marked past due).
    Done,
    /// Nothing was written (another process was first, or the provider was unreachable).
    Skipped,
}

impl Services {
    /// Renews, ends or marks past due every subscription that is due, until none is.
    pub async fn renew_due_subscriptions(&self) -> Result<(), ServiceError> {
        for _ in 0..MAX_READS {
            let due = self.store().due_subscriptions(self.now(), BATCH).await?;
            if due.is_empty() {
                return Ok(());
            }
            let mut progressed = false;
            for record in due {
                let id = record.id;
                match self.renewal_turn(record).await {
                    Ok(Turn::Done) => progressed = true,
                    Ok(Turn::Skipped) => {}
                    // One subscription's failure does not hold up the others; it is due again at
                    // the next pass.
                    Err(err) => {
                        tracing::error!(subscription_id = %id, error = ?err, "renewal failed");
                    }
                }
            }
            if !progressed {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn renewal_turn(&self, record: SubscriptionRecord) -> Result<Turn, ServiceError> {
        let now = self.now();
        let system = SeatCaller::System(record.organization_id);
        let grace_over = match record.changes.past_due_at {
            Some(since) if record.status == SubscriptionStatus::PastDue => {
                let days = self
                    .store()
                    .past_due_grace_days(record.organization_id)
                    .await?;
                since + TimeDelta::days(i64::from(days)) <= now
            }
            _ => false,
        };
        if record.cancel_at_period_end || grace_over {
            let ended = self.end_subscription(&system, record, None, None).await?;
            return Ok(if ended.is_some() {
                Turn::Done
            } else {
                Turn::Skipped
            });
        }
        self.renew(record, now).await
    }

    async fn renew(
        &self,
        record: SubscriptionRecord,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let overflow =
            || ServiceError::invalid_field("amount", "the renewal's amount is too large");
        let tiers = self.tiers_of(&record).await?;
        let entries = self.store().unbilled_entries(record.id).await?;
        let prorations = entries
            .iter()
            .try_fold(MinorUnits::ZERO, |sum, e| sum.checked_add(e.amount))
            .ok_or_else(overflow)?;
        let current_charge = tiers
            .amount_for(record.seats)
            .map_err(super::checkouts::pricing_error)?;
        // A fixed part of the price, if any, renews as it is.
        let fixed = record
            .amount
            .checked_sub(current_charge)
            .ok_or_else(overflow)?;
        let input = RenewalInput {
            seats: record.seats,
            scheduled: record.changes.scheduled().map(|s| s.seats),
            assigned: record.changes.used_seats,
            prorations,
        };
        let (plan, seat_charge) = plan_renewal(input, |n| tiers.amount_for(n))
            .map_err(super::checkouts::pricing_error)?;
        let amount = seat_charge.checked_add(fixed).ok_or_else(overflow)?;
        let total = plan.total.checked_add(fixed).ok_or_else(overflow)?;
        if plan.scheduled_refused {
            tracing::warn!(subscription_id = %record.id, "a scheduled seat count was not applied: more seats are given out");
        }
        let period = next_period(
            record.started_at,
            record.recurring_interval,
            record.current_period_end,
        )
        .ok_or_else(|| ServiceError::invalid_field("current_period_end", "no next period"))?;
        let (customer, product) = self
            .parties(
                record.organization_id,
                record.customer_id,
                record.product_id,
            )
            .await?;

        let mut receipt_reference = None;
        if total.get() > 0 {
            let key = format!(
                "renewal_{}_{}_{}",
                record.id,
                period.start.timestamp(),
                record.changes.retry_at.map_or(0, |at| at.timestamp())
            );
            let Some(method) = self.store().renewal_payment_method(record.id).await? else {
                return self.past_due(record, now, "no saved payment method").await;
            };
            let charge = Charge {
                idempotency_key: key,
                amount: total,
                currency: record.currency.clone(),
                token: method,
                description: format!(
                    "{} × {} seats, {} to {}",
                    product.name,
                    plan.seats,
                    period.start.date_naive(),
                    period.end.date_naive()
                ),
            };
            match self.payments.charge(&charge, now).await {
                Ok(receipt) => receipt_reference = Some(receipt.reference),
                Err(PaymentError::Declined(why) | PaymentError::InvalidToken(why)) => {
                    return self.past_due(record, now, &why).await;
                }
                Err(err @ PaymentError::Unavailable(_)) => {
                    tracing::warn!(subscription_id = %record.id, error = %err, "renewal charge outcome unknown; tried again at the next pass");
                    return Ok(Turn::Skipped);
                }
            }
        }

        let line = |label: String, amount: MinorUnits, proration: bool, from, to| OrderItem {
            created_at: now,
            modified_at: None,
            id: uuid::Uuid::now_v7(),
            label,
            amount,
            tax_amount: MinorUnits::ZERO,
            proration,
            product_price_id: Some(record.price_id),
            start_timestamp: Some(from),
            end_timestamp: Some(to),
        };
        let mut items = vec![line(
            format!("{} × {} seats", product.name, plan.seats),
            seat_charge,
            false,
            period.start,
            period.end,
        )];
        if fixed.get() != 0 {
            items.push(line(
                product.name.clone(),
                fixed,
                false,
                period.start,
                period.end,
            ));
        }
        for entry in &entries {
            let label = if entry.amount.get() < 0 {
                format!(
                    "Remaining time on {} ({} → {} seats)",
                    product.name, entry.seats_from, entry.seats_to
                )
            } else {
                format!(
                    "{} ({} → {} seats)",
                    product.name, entry.seats_from, entry.seats_to
                )
            };
            items.push(line(
                label,
                entry.amount,
                true,
                entry.period_start,
                entry.period_end,
            ));
        }
        let carried = (plan.carried.get() < 0).then(|| BillingEntryRecord {
            id: uuid::Uuid::now_v7(),
            organization_id: record.organization_id,
            subscription_id: record.id,
            created_at: now,
            amount: plan.carried,
            currency: record.currency.clone(),
            seats_from: plan.seats,
            seats_to: plan.seats,
            period_start: period.start,
            period_end: period.end,
        });
        if let Some(carry) = &carried {
            items.push(line(
                "Credit carried to the next renewal".into(),
                MinorUnits(-carry.amount.get()),
                true,
                period.start,
                period.end,
            ));
        }
        let order = OrderRecord {
            id: OrderId::new(),
            organization_id: record.organization_id,
            created_at: now,
            modified_at: None,
            customer_id: record.customer_id,
            product_id: record.product_id,
            subscription_id: Some(record.id),
            checkout_id: None,
            status: OrderStatus::Paid,
            billing_reason: BillingReason::SubscriptionCycle,
            seats: plan.seats,
            subtotal_amount: total,
            total_amount: total,
            currency: record.currency.clone(),
            items,
            metadata: record.metadata.clone(),
            refunded_amount: MinorUnits::ZERO,
            payment_reference: receipt_reference.clone(),
        };

        let mut renewed = record.clone();
        renewed.modified_at = Some(now);
        renewed.current_period_start = period.start;
        renewed.current_period_end = period.end;
        renewed.seats = plan.seats;
        renewed.amount = amount;
        renewed.status = SubscriptionStatus::Active;
        renewed.changes.clear_scheduled();
        renewed.changes.past_due_at = None;
        renewed.changes.retry_at = None;
        let org = record.organization_id;
        let order_out = order_wire(
            &order,
            customer.clone(),
            product.clone(),
            Some(subscription_core(&renewed)),
        );
        let events = vec![
            self.subscription_event(&renewed, "subscription.cycled")
                .await?,
            self.subscription_event(&renewed, "subscription.updated")
                .await?,
            self.event(org, "order.created", &order_out)?,
            self.event(org, "order.paid", &order_out)?,
        ];
        let write = RenewalWrite {
            subscription_id: record.id,
            now,
            from_period_end: record.current_period_end,
            period_start: period.start,
            period_end: period.end,
            seats: plan.seats,
            amount,
            order,
            billed: entries.iter().map(|e| e.id).collect(),
            carried,
            events,
        };
        match self.store().renew_subscription(&write).await {
            Ok(()) => Ok(Turn::Done),
            // Another process renewed it (with the same charge, by its key).
            Err(StoreError::Stale(_)) => Ok(Turn::Skipped),
            Err(err) => Err(err.into()),
        }
    }

    /// A renewal whose charge failed: past due, tried again after [`RETRY_AFTER`] (or when the
    /// grace period ends, if sooner).
    async fn past_due(
        &self,
        record: SubscriptionRecord,
        now: DateTime<Utc>,
        why: &str,
    ) -> Result<Turn, ServiceError> {
        tracing::info!(subscription_id = %record.id, reason = why, "renewal charge failed; subscription past due");
        let days = self
            .store()
            .past_due_grace_days(record.organization_id)
            .await?;
        let since = record.changes.past_due_at.unwrap_or(now);
        let grace_end = since + TimeDelta::days(i64::from(days));
        let retry_at = (now + RETRY_AFTER).min(grace_end).max(now);
        let mut changed = record.clone();
        changed.modified_at = Some(now);
        changed.status = SubscriptionStatus::PastDue;
        changed.changes.past_due_at = Some(since);
        changed.changes.retry_at = Some(retry_at);
        let mut events = vec![
            self.subscription_event(&changed, "subscription.updated")
                .await?,
        ];
        if record.status != SubscriptionStatus::PastDue {
            events.push(
                self.subscription_event(&changed, "subscription.past_due")
                    .await?,
            );
        }
        let write = PastDueWrite {
            subscription_id: record.id,
            now,
            from_period_end: record.current_period_end,
            retry_at,
            events,
        };
        match self.store().mark_past_due(&write).await {
            Ok(()) => Ok(Turn::Done),
            Err(StoreError::Stale(_)) => Ok(Turn::Skipped),
            Err(err) => Err(err.into()),
        }
    }
}
