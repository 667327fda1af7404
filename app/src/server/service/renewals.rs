//! The renewal scheduler's pass (part of [`Services::run_due_work`]): every live subscription whose
//! period has ended is renewed, ended, or marked past due.
//!
//! - Set to cancel at the period's end: it ends then, and its seats are revoked. Prorations not
//!   billed yet (seats added during its last period) are billed by a last order, so adding seats and
//!   cancelling does not make them free (the order stays `pending` when its charge fails).
//! - Otherwise a `subscription_cycle` order bills the coming period in advance (see
//!   `domain::renewals`): the saved payment method is charged, then the new period, its seat count
//!   (a scheduled count applies), the order and the billed prorations are written at once, with
//!   `subscription.cycled`, `subscription.updated`, `order.created` and `order.paid`.
//! - A charge that fails leaves it `past_due` (`subscription.past_due`, and an email to the billing
//!   manager); its seats stay usable, no new seat is given out, and the charge is tried again every
//!   day until the organization's grace period (`past_due_grace_days`, 7 by default) ends it (an
//!   email again).
//!
//! Several processes may run the pass at once. Every write is a conditional update on the version
//! of the subscription it was planned from, so exactly one process writes it; a renewal's charge
//! carries a key made of the subscription, the period and that version, so processes planning the
//! same renewal share one charge, and a charge whose renewal could not be written (the subscription
//! changed in between) is given back. A subscription whose turn fails waits a few minutes, so a
//! broken one never holds up the others.

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    domain::renewals::{RenewalInput, RenewalPlan, next_period, plan_renewal},
    model::{
        MinorUnits, OrderId,
        billing::{BillingReason, OrderItem, OrderStatus, SubscriptionStatus},
        product::Product,
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
    billing_emails::{BillingEmail, BillingNotice},
    subscription_changes::EndPlan,
};

/// Subscriptions renewed per read.
const BATCH: u32 = 50;
/// Reads per pass at most: a clock moved by years renews each period in turn, but a pass ends.
const MAX_READS: usize = 200;
/// How long after a failed renewal charge it is tried again.
const RETRY_AFTER: TimeDelta = TimeDelta::days(1);
/// How long a subscription whose turn could not be done (provider unreachable, an error) waits.
const POSTPONE_FOR: TimeDelta = TimeDelta::minutes(5);

/// What one subscription's turn did.
#[derive(Debug, PartialEq, Eq)]
enum Turn {
    /// It moved on (renewed, ended, or marked past due).
    Done,
    /// Nothing was written (another process was first, or the provider was unreachable).
    Skipped,
}

/// What the next renewal of a subscription bills, as [`Services::renewal_bill`] plans it.
pub(super) struct RenewalBill {
    pub plan: RenewalPlan,
    /// The new period's amount (seat charge and any fixed part).
    pub amount: MinorUnits,
    /// Its seat charge alone.
    pub seat_charge: MinorUnits,
    /// The fixed part of the price, if any.
    pub fixed: MinorUnits,
}

fn overflow() -> ServiceError {
    ServiceError::invalid_field("amount", "the renewal's amount is too large")
}

/// The sum of `entries`.
pub(super) fn sum_of(entries: &[BillingEntryRecord]) -> Result<MinorUnits, ServiceError> {
    entries
        .iter()
        .try_fold(MinorUnits::ZERO, |sum, e| sum.checked_add(e.amount))
        .ok_or_else(overflow)
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
                let (id, version) = (record.id, record.changes.version);
                match self.renewal_turn(record).await {
                    Ok(Turn::Done) => progressed = true,
                    Ok(Turn::Skipped) => {}
                    Err(err) => {
                        tracing::error!(subscription_id = %id, error = ?err, "renewal failed; tried again later");
                        let until = self.now() + POSTPONE_FOR;
                        self.store().postpone_renewal(id, version, until).await?;
                        progressed = true;
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
        if record.cancel_at_period_end {
            return self.end_at_period_end(record, now).await;
        }
        if let Some(since) = record
            .changes
            .past_due_at
            .filter(|_| record.status == SubscriptionStatus::PastDue)
        {
            let days = self
                .store()
                .past_due_grace_days(record.organization_id)
                .await?;
            if since + TimeDelta::days(i64::from(days)) <= now {
                return self.end_unpaid(record, now).await;
            }
        }
        self.renew(record, now).await
    }

    /// What the next renewal of `record` bills, with `prorations` waiting for it and `scheduled`
    /// the count scheduled for it (the one function behind renewals and previews).
    pub(super) async fn renewal_bill(
        &self,
        record: &SubscriptionRecord,
        seats: u32,
        scheduled: Option<u32>,
        prorations: MinorUnits,
    ) -> Result<RenewalBill, ServiceError> {
        let tiers = self.tiers_of(record).await?;
        let current_charge = tiers
            .amount_for(record.seats)
            .map_err(super::checkouts::pricing_error)?;
        // A fixed part of the price, if any, renews as it is.
        let fixed = record
            .amount
            .checked_sub(current_charge)
            .ok_or_else(overflow)?;
        let input = RenewalInput {
            seats,
            scheduled,
            assigned: record.changes.used_seats,
            prorations,
        };
        let (plan, amount) = plan_renewal(input, |n| {
            tiers
                .amount_for(n)
                .map_err(super::checkouts::pricing_error)?
                .checked_add(fixed)
                .ok_or_else(overflow)
        })?;
        let seat_charge = amount.checked_sub(fixed).ok_or_else(overflow)?;
        Ok(RenewalBill {
            plan,
            amount,
            seat_charge,
            fixed,
        })
    }

    async fn renew(
        &self,
        record: SubscriptionRecord,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let entries = self.store().unbilled_entries(record.id).await?;
        let bill = self
            .renewal_bill(
                &record,
                record.seats,
                record.changes.scheduled().map(|s| s.seats),
                sum_of(&entries)?,
            )
            .await?;
        let plan = bill.plan;
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

        let key = format!(
            "renewal_{}_{}_{}",
            record.id,
            period.start.timestamp(),
            record.changes.version
        );
        let reference = match self
            .charge_saved_method(&record, &key, plan.total, &product, plan.seats, now)
            .await
        {
            Charged::Paid(reference) => reference,
            Charged::Failed => return self.past_due(record, now, plan.total).await,
            Charged::Unknown => {
                let until = now + POSTPONE_FOR;
                self.store()
                    .postpone_renewal(record.id, record.changes.version, until)
                    .await?;
                return Ok(Turn::Done);
            }
        };

        let mut items = vec![item(
            now,
            &record,
            format!("{} × {} seats", product.name, plan.seats),
            bill.seat_charge,
            false,
            (period.start, period.end),
        )];
        if bill.fixed.get() != 0 {
            items.push(item(
                now,
                &record,
                product.name.clone(),
                bill.fixed,
                false,
                (period.start, period.end),
            ));
        }
        items.extend(proration_items(now, &record, &product, &entries));
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
            items.push(item(
                now,
                &record,
                "Credit carried to the next renewal".into(),
                MinorUnits(-carry.amount.get()),
                true,
                (period.start, period.end),
            ));
        }
        let order = order_of(
            &record,
            now,
            BillingReason::SubscriptionCycle,
            plan.seats,
            plan.total,
            items,
            reference.clone(),
        );

        let mut renewed = record.clone();
        renewed.modified_at = Some(now);
        renewed.current_period_start = period.start;
        renewed.current_period_end = period.end;
        renewed.seats = plan.seats;
        renewed.amount = bill.amount;
        renewed.status = SubscriptionStatus::Active;
        renewed.changes.clear_scheduled();
        renewed.changes.past_due_at = None;
        renewed.changes.retry_at = None;
        renewed.changes.version += 1;
        let org = record.organization_id;
        let order_out = order_wire(
            &order,
            customer.clone(),
            product.clone(),
            Some(subscription_core(&renewed)),
        );
        let mut events = vec![
            self.subscription_event(&renewed, "subscription.cycled")
                .await?,
            self.subscription_event(&renewed, "subscription.updated")
                .await?,
        ];
        // A past-due subscription whose payment went through is active again.
        if record.status == SubscriptionStatus::PastDue {
            events.push(
                self.subscription_event(&renewed, "subscription.active")
                    .await?,
            );
        }
        events.push(self.event(org, "order.created", &order_out)?);
        events.push(self.event(org, "order.paid", &order_out)?);
        let days = self
            .store()
            .renewal_reminder_days(record.organization_id)
            .await?;
        let write = RenewalWrite {
            remind_at: (days > 0).then(|| period.end - TimeDelta::days(i64::from(days))),
            subscription_id: record.id,
            now,
            version: record.changes.version,
            period_start: period.start,
            period_end: period.end,
            seats: plan.seats,
            amount: bill.amount,
            order,
            billed: entries.iter().map(|e| e.id).collect(),
            carried,
            events,
        };
        match self.store().renew_subscription(&write).await {
            Ok(()) => Ok(Turn::Done),
            Err(StoreError::Stale(_)) => {
                self.after_lost_write(&record, reference.as_deref(), now)
                    .await?;
                Ok(Turn::Skipped)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// A charge whose write lost. When another process wrote the same plan (same version, so the
    /// same key and the same charge), an order names the charge and it stays; otherwise (the
    /// subscription changed in between) it is given back, and the next plan charges under a new key.
    async fn after_lost_write(
        &self,
        record: &SubscriptionRecord,
        reference: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let Some(reference) = reference else {
            return Ok(());
        };
        if self.store().charge_is_billed(reference).await? {
            return Ok(());
        }
        if let Err(err) = self.payments.refund(reference, now).await {
            tracing::error!(subscription_id = %record.id, error = %err, "a charge whose order was not written could not be refunded; refund it by hand");
        }
        Ok(())
    }

    /// Ends a subscription set to cancel, at its period's end, billing what it still owes.
    async fn end_at_period_end(
        &self,
        record: SubscriptionRecord,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let entries = self.store().unbilled_entries(record.id).await?;
        let owed = sum_of(&entries)?;
        let mut final_order = None;
        let mut extra_events = Vec::new();
        let mut reference = None;
        if owed.get() > 0 {
            let (customer, product) = self
                .parties(
                    record.organization_id,
                    record.customer_id,
                    record.product_id,
                )
                .await?;
            let key = format!("final_{}_{}", record.id, record.changes.version);
            let status = match self
                .charge_saved_method(&record, &key, owed, &product, record.seats, now)
                .await
            {
                Charged::Paid(paid) => {
                    reference = paid;
                    OrderStatus::Paid
                }
                // Owed, not paid: the order stays due.
                Charged::Failed => OrderStatus::Pending,
                Charged::Unknown => {
                    let until = now + POSTPONE_FOR;
                    self.store()
                        .postpone_renewal(record.id, record.changes.version, until)
                        .await?;
                    return Ok(Turn::Done);
                }
            };
            let items = proration_items(now, &record, &product, &entries);
            let mut order = order_of(
                &record,
                now,
                BillingReason::SubscriptionCycle,
                record.seats,
                owed,
                items,
                reference.clone(),
            );
            order.status = status;
            let order_out = order_wire(&order, customer, product, Some(subscription_core(&record)));
            extra_events.push(self.event(record.organization_id, "order.created", &order_out)?);
            if status == OrderStatus::Paid {
                extra_events.push(self.event(record.organization_id, "order.paid", &order_out)?);
            }
            final_order = Some(order);
        }
        let billed = if final_order.is_some() {
            entries.iter().map(|e| e.id).collect()
        } else {
            Vec::new()
        };
        let plan = EndPlan {
            reason: None,
            comment: None,
            ended_at: record.current_period_end,
            version: Some(record.changes.version),
            final_order,
            billed,
            announce_cancel: false,
            extra_events,
            emails: Vec::new(),
        };
        let system = SeatCaller::System(record.organization_id);
        match self.end_with(&system, record.clone(), plan).await? {
            Some(_) => Ok(Turn::Done),
            None => {
                self.after_lost_write(&record, reference.as_deref(), now)
                    .await?;
                Ok(Turn::Skipped)
            }
        }
    }

    /// Ends a past-due subscription whose grace period is over.
    async fn end_unpaid(
        &self,
        record: SubscriptionRecord,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let emails = self
            .billing_email(&record, BillingNotice::EndedUnpaid, now)
            .await?
            .into_iter()
            .collect();
        let plan = EndPlan {
            reason: None,
            comment: None,
            ended_at: now,
            version: Some(record.changes.version),
            final_order: None,
            billed: Vec::new(),
            announce_cancel: true,
            extra_events: Vec::new(),
            emails,
        };
        let system = SeatCaller::System(record.organization_id);
        Ok(match self.end_with(&system, record, plan).await? {
            Some(_) => Turn::Done,
            None => Turn::Skipped,
        })
    }

    /// Charges `amount` to the subscription's saved payment method under `key` (nothing when the
    /// amount is zero).
    async fn charge_saved_method(
        &self,
        record: &SubscriptionRecord,
        key: &str,
        amount: MinorUnits,
        product: &Product,
        seats: u32,
        now: DateTime<Utc>,
    ) -> Charged {
        if amount.get() <= 0 {
            return Charged::Paid(None);
        }
        let method = match self.store().renewal_payment_method(record.id).await {
            Ok(Some(method)) => method,
            Ok(None) => {
                tracing::info!(subscription_id = %record.id, "no saved payment method to charge");
                return Charged::Failed;
            }
            Err(err) => {
                tracing::warn!(subscription_id = %record.id, error = %err, "could not read the saved payment method");
                return Charged::Unknown;
            }
        };
        let charge = Charge {
            idempotency_key: key.to_owned(),
            amount,
            currency: record.currency.clone(),
            token: method,
            description: format!("{} × {} seats", product.name, seats),
        };
        match self.payments.charge(&charge, now).await {
            Ok(receipt) => Charged::Paid(Some(receipt.reference)),
            Err(PaymentError::Declined(_) | PaymentError::InvalidToken(_)) => {
                // The provider's words may name the payment method: not logged.
                tracing::info!(subscription_id = %record.id, "renewal charge declined");
                Charged::Failed
            }
            Err(PaymentError::Unavailable(_)) => {
                tracing::warn!(subscription_id = %record.id, "renewal charge outcome unknown; tried again later");
                Charged::Unknown
            }
        }
    }

    /// A renewal whose charge failed: past due, tried again after [`RETRY_AFTER`] (or when the
    /// grace period ends, if sooner). The billing manager is told the first time.
    async fn past_due(
        &self,
        record: SubscriptionRecord,
        now: DateTime<Utc>,
        amount: MinorUnits,
    ) -> Result<Turn, ServiceError> {
        let days = self
            .store()
            .past_due_grace_days(record.organization_id)
            .await?;
        // Past due since the payment was due: the end of the period (the pass may run later).
        let since = record
            .changes
            .past_due_at
            .unwrap_or(record.current_period_end.min(now));
        let grace_ends = since + TimeDelta::days(i64::from(days));
        let retry_at = (now + RETRY_AFTER).min(grace_ends).max(now);
        let mut changed = record.clone();
        changed.modified_at = Some(now);
        changed.status = SubscriptionStatus::PastDue;
        changed.changes.past_due_at = Some(since);
        changed.changes.retry_at = Some(retry_at);
        let mut events = vec![
            self.subscription_event(&changed, "subscription.updated")
                .await?,
        ];
        let first = record.status != SubscriptionStatus::PastDue;
        let mut emails = Vec::new();
        if first {
            events.push(
                self.subscription_event(&changed, "subscription.past_due")
                    .await?,
            );
            let notice = BillingNotice::PastDue { amount, grace_ends };
            emails.extend(self.billing_email(&record, notice, now).await?);
        }
        let write = PastDueWrite {
            subscription_id: record.id,
            now,
            version: record.changes.version,
            since,
            retry_at,
            events,
            emails,
        };
        match self.store().mark_past_due(&write).await {
            Ok(()) => Ok(Turn::Done),
            Err(StoreError::Stale(_)) => Ok(Turn::Skipped),
            Err(err) => Err(err.into()),
        }
    }

    /// Reminds billing managers of renewals coming within the organization's reminder days that
    /// will cost something else than the last period (a seat change, a proration, a scheduled
    /// count): one email per period, through the outbox.
    pub async fn remind_upcoming_renewals(&self) -> Result<(), ServiceError> {
        for _ in 0..MAX_READS {
            let due = self.store().due_reminders(self.now(), BATCH).await?;
            if due.is_empty() {
                return Ok(());
            }
            let mut progressed = false;
            for record in due {
                let id = record.id;
                match self.remind(record).await {
                    Ok(marked) => progressed |= marked,
                    Err(err) => {
                        tracing::error!(subscription_id = %id, error = ?err, "renewal reminder failed")
                    }
                }
            }
            if !progressed {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Looks at one subscription's coming renewal; true when it was marked looked at.
    async fn remind(&self, record: SubscriptionRecord) -> Result<bool, ServiceError> {
        let now = self.now();
        let entries = self.store().unbilled_entries(record.id).await?;
        let bill = self
            .renewal_bill(
                &record,
                record.seats,
                record.changes.scheduled().map(|s| s.seats),
                sum_of(&entries)?,
            )
            .await?;
        let changes = bill.plan.seats != record.seats || bill.plan.total != record.amount;
        let email = if changes {
            let notice = BillingNotice::RenewalReminder {
                renews_on: record.current_period_end,
                seats: bill.plan.seats,
                amount: bill.plan.total,
                previous_amount: record.amount,
            };
            self.billing_email(&record, notice, now).await?
        } else {
            None
        };
        Ok(self
            .store()
            .mark_reminded(record.id, record.changes.version, email.as_ref())
            .await?)
    }

    /// The email telling the subscription's customer `notice` (none when it has no email).
    pub(super) async fn billing_email(
        &self,
        record: &SubscriptionRecord,
        notice: BillingNotice,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::server::store::NewEmail>, ServiceError> {
        let customer = self
            .store()
            .customer_even_deleted(record.organization_id, record.customer_id)
            .await?;
        let Some(to) = customer.and_then(|c| c.email) else {
            return Ok(None);
        };
        let (_, product) = self
            .parties(
                record.organization_id,
                record.customer_id,
                record.product_id,
            )
            .await?;
        let organization = self
            .store()
            .organization(record.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        let email = BillingEmail {
            organization_id: record.organization_id,
            to: to.as_str(),
            product: &product.name,
            organization: organization.name.as_str(),
            currency: &record.currency,
            notice,
        };
        Ok(Some(email.outbox(now)))
    }
}

/// What charging a saved payment method came to.
enum Charged {
    /// Paid (the provider's reference; none when nothing was due).
    Paid(Option<String>),
    /// Declined, or no method to charge.
    Failed,
    /// The provider could not be reached: whether money moved is for a later attempt (same key).
    Unknown,
}

/// One line of an order of `record`.
fn item(
    now: DateTime<Utc>,
    record: &SubscriptionRecord,
    label: String,
    amount: MinorUnits,
    proration: bool,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> OrderItem {
    OrderItem {
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
    }
}

/// The order lines of prorations: a debit names the change, a credit the time it gives back.
fn proration_items(
    now: DateTime<Utc>,
    record: &SubscriptionRecord,
    product: &Product,
    entries: &[BillingEntryRecord],
) -> Vec<OrderItem> {
    entries
        .iter()
        .map(|entry| {
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
            item(
                now,
                record,
                label,
                entry.amount,
                true,
                (entry.period_start, entry.period_end),
            )
        })
        .collect()
}

/// A paid order of `record`'s customer and product.
fn order_of(
    record: &SubscriptionRecord,
    now: DateTime<Utc>,
    reason: BillingReason,
    seats: u32,
    total: MinorUnits,
    items: Vec<OrderItem>,
    payment_reference: Option<String>,
) -> OrderRecord {
    OrderRecord {
        id: OrderId::new(),
        organization_id: record.organization_id,
        created_at: now,
        modified_at: None,
        customer_id: record.customer_id,
        product_id: record.product_id,
        subscription_id: Some(record.id),
        checkout_id: None,
        status: OrderStatus::Paid,
        billing_reason: reason,
        seats,
        subtotal_amount: total,
        total_amount: total,
        currency: record.currency.clone(),
        items,
        metadata: record.metadata.clone(),
        refunded_amount: MinorUnits::ZERO,
        payment_reference,
    }
}
