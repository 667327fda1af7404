//! Writes that change a subscription after its purchase: its seat count (now, with a proration
//! waiting for the renewal, or scheduled for the renewal), its cancellation at the period's end,
//! and its end. Each is one conditional update of the subscription row, so it is ordered with the
//! seat assignments that update the same row (its lock on PostgreSQL, the write lock on SQLite):
//! a decrease lands only while no more seats are given out than it leaves, and an assignment after
//! it sees the new count.

use chrono::{DateTime, Utc};

use super::{
    NewEmail, NewEvent, OrderRecord, PriceRecord, SeatRevokeWrite, SqlStore, StoreError,
    SubscriptionRecord, SubscriptionStore,
    billing::{OrderRow, ScheduledSeats},
    billing_sql::{ORDER_COLUMNS, SUBSCRIPTION_READ_COLUMNS},
    catalog::{PriceRow, to_json},
    db::{Tx, query, query_as, query_scalar},
};
use crate::model::{
    Currency, MinorUnits, OrderId, OrganizationId, PriceId, SubscriptionId, metadata::Metadata,
};

/// A prorated amount owed (positive) or credited (negative) for a seat change during a period,
/// billed with the next renewal order.
#[derive(Clone, Debug, PartialEq)]
pub struct BillingEntryRecord {
    pub id: uuid::Uuid,
    pub organization_id: OrganizationId,
    pub subscription_id: SubscriptionId,
    pub created_at: DateTime<Utc>,
    pub amount: MinorUnits,
    pub currency: Currency,
    pub seats_from: u32,
    pub seats_to: u32,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// What a seat-count change writes.
#[derive(Clone, Debug, PartialEq)]
pub enum SeatCountTarget {
    /// The count changes now, with what the subscription then costs per period and the proration
    /// for the rest of the period (none when it is zero); a scheduled count is dropped.
    Now {
        seats: u32,
        amount: MinorUnits,
        proration: Option<BillingEntryRecord>,
    },
    /// The count changes at the renewal.
    AtRenewal(ScheduledSeats),
    /// The count stays; the one scheduled for the renewal is dropped.
    DropScheduled,
}

/// A seat-count change, planned from the subscription as it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct SeatCountWrite {
    pub subscription_id: SubscriptionId,
    pub now: DateTime<Utc>,
    /// The count the change was planned from: nothing is written once it is no longer the count.
    pub from_seats: u32,
    pub target: SeatCountTarget,
    pub events: Vec<NewEvent>,
}

/// Cancelling at the period's end (`cancel`), or taking that back.
#[derive(Clone, Debug, PartialEq)]
pub struct CancellationWrite {
    pub subscription_id: SubscriptionId,
    pub now: DateTime<Utc>,
    pub cancel: bool,
    pub reason: Option<String>,
    pub comment: Option<String>,
    pub events: Vec<NewEvent>,
}

/// Ending a subscription now: canceled, its scheduled change dropped, every seat given out of it
/// revoked (`revokes`, with their grants, audit entries and events).
#[derive(Clone, Debug)]
pub struct SubscriptionEndWrite {
    pub subscription_id: SubscriptionId,
    pub now: DateTime<Utc>,
    /// When it ended: now, or the end of its last period.
    pub ended_at: DateTime<Utc>,
    /// The version the end was planned from (the scheduler's ends); none: whatever it is now.
    pub version: Option<i64>,
    /// The last order: prorations not billed yet, billed when a subscription ends at its period's
    /// end (paid, or `pending` when its charge failed), with the entries it bills.
    pub final_order: Option<OrderRecord>,
    pub billed: Vec<uuid::Uuid>,
    pub reason: Option<String>,
    pub comment: Option<String>,
    pub revokes: Vec<SeatRevokeWrite>,
    pub events: Vec<NewEvent>,
    pub emails: Vec<NewEmail>,
}

/// A renewal: the subscription's next period with its seat count and amount, the order that bills
/// it, the prorations it bills (`billed`), a credit carried to the next renewal, and the events.
#[derive(Clone, Debug, PartialEq)]
pub struct RenewalWrite {
    pub subscription_id: SubscriptionId,
    pub now: DateTime<Utc>,
    /// The version the renewal was planned from: nothing is written once the subscription moved
    /// on (renewed by another process, or changed).
    pub version: i64,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub seats: u32,
    pub amount: MinorUnits,
    pub order: OrderRecord,
    pub billed: Vec<uuid::Uuid>,
    pub carried: Option<BillingEntryRecord>,
    pub events: Vec<NewEvent>,
    /// When to look whether to remind the customer of the next renewal.
    pub remind_at: Option<DateTime<Utc>>,
}

/// A renewal whose charge failed: the subscription is past due (since the first failure) and is
/// charged again at `retry_at`.
#[derive(Clone, Debug, PartialEq)]
pub struct PastDueWrite {
    pub subscription_id: SubscriptionId,
    pub now: DateTime<Utc>,
    pub version: i64,
    /// Since when it is past due: when the payment was due.
    pub since: DateTime<Utc>,
    pub retry_at: DateTime<Utc>,
    pub events: Vec<NewEvent>,
    pub emails: Vec<NewEmail>,
}

#[derive(sqlx::FromRow)]
struct BillingEntryRow {
    id: uuid::Uuid,
    organization_id: OrganizationId,
    subscription_id: SubscriptionId,
    created_at: DateTime<Utc>,
    amount: i64,
    currency: String,
    seats_from: i64,
    seats_to: i64,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
}

impl TryFrom<BillingEntryRow> for BillingEntryRecord {
    type Error = StoreError;

    fn try_from(r: BillingEntryRow) -> Result<Self, Self::Error> {
        let count = |n: i64| {
            u32::try_from(n)
                .map_err(|_| StoreError::Corrupt(format!("seat count {n} in a billing entry")))
        };
        Ok(Self {
            id: r.id,
            organization_id: r.organization_id,
            subscription_id: r.subscription_id,
            created_at: r.created_at,
            amount: MinorUnits(r.amount),
            currency: Currency::try_from(r.currency)
                .map_err(|e| StoreError::Corrupt(format!("billing entry currency: {e}")))?,
            seats_from: count(r.seats_from)?,
            seats_to: count(r.seats_to)?,
            period_start: r.period_start,
            period_end: r.period_end,
        })
    }
}

/// A subscription whose seats may still change: live and renewing.
const RENEWING: &str =
    "status IN ('active', 'trialing') AND ended_at IS NULL AND NOT cancel_at_period_end";

/// `$1` id, `$2` seats, `$3` amount, `$4` now, `$5` the count the change was planned from.
const CHANGE_SEATS_NOW: &str = const_format::concatcp!(
    "UPDATE subscriptions SET seats = $2, amount = $3, modified_at = $4, version = version + 1, pending_seats = NULL, \
     pending_update_id = NULL, pending_update_created_at = NULL \
     WHERE id = $1 AND seats = $5 AND used_seats <= $2 AND ",
    RENEWING
);

/// `$1` id, `$2` scheduled seats, `$3` its id, `$4` now, `$5` the count the change was planned from.
const SCHEDULE_SEATS: &str = const_format::concatcp!(
    "UPDATE subscriptions SET pending_seats = $2, pending_update_id = $3, \
     pending_update_created_at = $4, modified_at = $4, version = version + 1 \
     WHERE id = $1 AND seats = $5 AND used_seats <= $2 AND ",
    RENEWING
);

/// `$1` id, `$2` now, `$3` the count the change was planned from.
const DROP_SCHEDULED_SEATS: &str = "UPDATE subscriptions SET pending_seats = NULL, pending_update_id = NULL, \
     pending_update_created_at = NULL, modified_at = $2, version = version + 1 \
     WHERE id = $1 AND seats = $3 AND pending_seats IS NOT NULL";

const INSERT_BILLING_ENTRY: &str = "INSERT INTO billing_entries (id, organization_id, subscription_id, \
     created_at, amount, currency, seats_from, seats_to, period_start, period_end) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// `$1` id, `$2` now, `$3` reason, `$4` comment.
const CANCEL_AT_PERIOD_END: &str = "UPDATE subscriptions SET cancel_at_period_end = TRUE, canceled_at = $2, \
     modified_at = $2, version = version + 1, customer_cancellation_reason = $3, customer_cancellation_comment = $4 \
     WHERE id = $1 AND NOT cancel_at_period_end AND ended_at IS NULL \
     AND status IN ('active', 'trialing', 'past_due')";

/// `$1` id, `$2` now.
const UNCANCEL: &str = "UPDATE subscriptions SET cancel_at_period_end = FALSE, canceled_at = NULL, \
     modified_at = $2, version = version + 1, customer_cancellation_reason = NULL, customer_cancellation_comment = NULL \
     WHERE id = $1 AND cancel_at_period_end AND ended_at IS NULL \
     AND status IN ('active', 'trialing', 'past_due')";

/// `$1` id, `$2` now, `$3` reason, `$4` comment (NULL keeps what a cancellation gave), `$5` when it
/// ended, `$6` the version it was planned from (NULL: any).
const END_SUBSCRIPTION: &str = "UPDATE subscriptions SET status = 'canceled', \
     canceled_at = COALESCE(canceled_at, $2), ended_at = $5, modified_at = $2, version = version + 1, \
     pending_seats = NULL, pending_update_id = NULL, pending_update_created_at = NULL, retry_at = NULL, \
     customer_cancellation_reason = COALESCE($3, customer_cancellation_reason), \
     customer_cancellation_comment = COALESCE($4, customer_cancellation_comment) \
     WHERE id = $1 AND ended_at IS NULL AND ($6 IS NULL OR version = $6)";

/// `$1` now, `$2` limit: live subscriptions whose period has ended, or whose past-due charge is to
/// be tried again; the longest due first.
const DUE_SUBSCRIPTIONS: &str = const_format::concatcp!(
    "SELECT ",
    SUBSCRIPTION_READ_COLUMNS,
    " FROM subscriptions WHERE ended_at IS NULL AND current_period_end <= $1 \
     AND (retry_at IS NULL OR retry_at <= $1) AND status IN ('active', 'trialing', 'past_due') \
     ORDER BY current_period_end, id LIMIT $2"
);

/// `$1` subscription.
const UNBILLED_ENTRIES: &str = "SELECT id, organization_id, subscription_id, created_at, amount, currency, \
     seats_from, seats_to, period_start, period_end FROM billing_entries \
     WHERE subscription_id = $1 AND order_id IS NULL ORDER BY created_at, id";

/// `$1` entry, `$2` order.
const BILL_ENTRY: &str =
    "UPDATE billing_entries SET order_id = $2 WHERE id = $1 AND order_id IS NULL";

/// `$1` subscription.
const PAYMENT_METHOD: &str = "SELECT payment_method FROM subscriptions WHERE id = $1";

/// `$1` id, `$2` period start, `$3` period end, `$4` seats, `$5` amount, `$6` now, `$7` the version
/// the renewal was planned from, `$8` when to look whether to remind of the next renewal.
const RENEW: &str = "UPDATE subscriptions SET current_period_start = $2, current_period_end = $3, \
     seats = $4, amount = $5, status = 'active', past_due_at = NULL, retry_at = NULL, remind_at = $8, \
     pending_seats = NULL, pending_update_id = NULL, pending_update_created_at = NULL, modified_at = $6, \
     version = version + 1 \
     WHERE id = $1 AND version = $7 AND ended_at IS NULL AND used_seats <= $4";

/// `$1` id, `$2` now, `$3` retry at, `$4` the version the renewal was planned from, `$5` since when
/// it is past due (kept from the first failure).
const MARK_PAST_DUE: &str = "UPDATE subscriptions SET status = 'past_due', \
     past_due_at = COALESCE(past_due_at, $5), retry_at = $3, modified_at = $2, version = version + 1 \
     WHERE id = $1 AND version = $4 AND ended_at IS NULL";

/// `$1` id, `$2` until, `$3` version: a renewal that could not be done now waits (without being a
/// change of terms).
const POSTPONE: &str = "UPDATE subscriptions SET retry_at = $2 WHERE id = $1 AND version = $3";

/// `$1` order, `$2` now, `$3` the charge's reference: an invoiced change's order, charged.
const PAY_ORDER: &str = "UPDATE orders SET status = 'paid', modified_at = $2, payment_reference = $3 \
     WHERE id = $1 AND status = 'pending'";
/// `$1` order, `$2` now: an invoiced change's order whose charge was given back.
const REFUND_PENDING_ORDER: &str = "UPDATE orders SET status = 'refunded', modified_at = $2, \
     refunded_amount = total_amount WHERE id = $1 AND status = 'pending'";
/// `$1` order: an invoiced change that charged nothing leaves nothing behind.
const DROP_ENTRY_OF_PENDING_ORDER: &str = "DELETE FROM billing_entries WHERE order_id = $1 \
     AND EXISTS (SELECT 1 FROM orders o WHERE o.id = $1 AND o.status = 'pending')";
const DROP_PENDING_ORDER: &str = "DELETE FROM orders WHERE id = $1 AND status = 'pending'";
/// `$1` created before, `$2` limit: invoiced changes a crash may have left between their charge
/// and their write.
const PENDING_UPDATE_ORDERS: &str = const_format::concatcp!(
    "SELECT ",
    ORDER_COLUMNS,
    " FROM orders WHERE status = 'pending' AND billing_reason = 'subscription_update' \
     AND created_at < $1 ORDER BY created_at, id LIMIT $2"
);
/// `$1` order.
const ENTRY_OF_ORDER: &str = "SELECT id, organization_id, subscription_id, created_at, amount, currency, \
     seats_from, seats_to, period_start, period_end FROM billing_entries WHERE order_id = $1";

/// `$1` a charge's reference: whether an order names it.
const CHARGE_IS_BILLED: &str = "SELECT COUNT(*) FROM orders WHERE payment_reference = $1";

/// `$1` now, `$2` limit: renewing subscriptions whose reminder is due.
const DUE_REMINDERS: &str = const_format::concatcp!(
    "SELECT ",
    SUBSCRIPTION_READ_COLUMNS,
    " FROM subscriptions WHERE remind_at <= $1 AND ended_at IS NULL \
     AND status IN ('active', 'trialing') AND NOT cancel_at_period_end \
     ORDER BY remind_at, id LIMIT $2"
);

/// `$1` id, `$2` version: the reminder of the coming renewal was looked at.
const REMINDED: &str = "UPDATE subscriptions SET remind_at = NULL WHERE id = $1 AND version = $2";

/// `$1` organization.
const REMINDER_DAYS: &str = "SELECT renewal_reminder_days FROM organizations WHERE id = $1";

/// `$1` organization.
const GRACE_DAYS: &str = "SELECT past_due_grace_days FROM organizations WHERE id = $1";

/// `$1` id, `$2` metadata, `$3` now.
const CHANGE_METADATA: &str = "UPDATE subscriptions SET metadata = $2, modified_at = $3, \
     version = version + 1 WHERE id = $1";

/// `$1` id: a price, archived or not.
const SELECT_PRICE: &str = "SELECT id, product_id, created_at, amount_type, price_currency, \
     price_amount, seat_tier_type, seat_tiers FROM product_prices WHERE id = $1";

const COUNT_ACTIVE_SEATS_OF_SUBSCRIPTION: &str = "SELECT COUNT(*) FROM customer_seats \
     WHERE subscription_id = $1 AND status IN ('pending', 'claimed')";

impl SqlStore {
    /// Marks `entries` billed by `order`; Stale when one was billed meanwhile.
    async fn bill_entries_with(
        tx: &mut Tx,
        entries: &[uuid::Uuid],
        order: OrderId,
    ) -> Result<(), StoreError> {
        for entry in entries {
            let billed = query(BILL_ENTRY)
                .bind(*entry)
                .bind(order)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if billed != 1 {
                return Err(StoreError::Stale("a proration was billed meanwhile"));
            }
        }
        Ok(())
    }

    async fn insert_billing_entry_with(
        tx: &mut Tx,
        entry: &BillingEntryRecord,
    ) -> Result<(), StoreError> {
        query(INSERT_BILLING_ENTRY)
            .bind(entry.id)
            .bind(entry.organization_id)
            .bind(entry.subscription_id)
            .bind(entry.created_at)
            .bind(entry.amount.get())
            .bind(entry.currency.as_str())
            .bind(i64::from(entry.seats_from))
            .bind(i64::from(entry.seats_to))
            .bind(entry.period_start)
            .bind(entry.period_end)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl SubscriptionStore for SqlStore {
    async fn change_seat_count(&self, write: &SeatCountWrite) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let from = i64::from(write.from_seats);
        let changed = match &write.target {
            SeatCountTarget::Now {
                seats,
                amount,
                proration,
            } => {
                let changed = query(CHANGE_SEATS_NOW)
                    .bind(write.subscription_id)
                    .bind(i64::from(*seats))
                    .bind(amount.get())
                    .bind(write.now)
                    .bind(from)
                    .execute(&mut tx)
                    .await?
                    .rows_affected();
                if changed == 1
                    && let Some(entry) = proration
                {
                    Self::insert_billing_entry_with(&mut tx, entry).await?;
                }
                changed
            }
            SeatCountTarget::AtRenewal(scheduled) => query(SCHEDULE_SEATS)
                .bind(write.subscription_id)
                .bind(i64::from(scheduled.seats))
                .bind(scheduled.id)
                .bind(scheduled.created_at)
                .bind(from)
                .execute(&mut tx)
                .await?
                .rows_affected(),
            SeatCountTarget::DropScheduled => query(DROP_SCHEDULED_SEATS)
                .bind(write.subscription_id)
                .bind(write.now)
                .bind(from)
                .execute(&mut tx)
                .await?
                .rows_affected(),
        };
        if changed != 1 {
            return Err(StoreError::Stale(
                "the subscription changed since it was read",
            ));
        }
        Self::commit_with_events(tx, &write.events).await
    }

    async fn change_cancellation(&self, write: &CancellationWrite) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let statement = if write.cancel {
            query(CANCEL_AT_PERIOD_END)
                .bind(write.subscription_id)
                .bind(write.now)
                .bind(write.reason.as_deref())
                .bind(write.comment.as_deref())
        } else {
            query(UNCANCEL).bind(write.subscription_id).bind(write.now)
        };
        if statement.execute(&mut tx).await?.rows_affected() != 1 {
            return Err(StoreError::Stale(
                "the subscription changed since it was read",
            ));
        }
        Self::commit_with_events(tx, &write.events).await
    }

    async fn end_subscription(&self, write: &SubscriptionEndWrite) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let ended = query(END_SUBSCRIPTION)
            .bind(write.subscription_id)
            .bind(write.now)
            .bind(write.reason.as_deref())
            .bind(write.comment.as_deref())
            .bind(write.ended_at)
            .bind(write.version)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if ended != 1 {
            return Err(StoreError::Stale(
                "the subscription has already ended, or changed",
            ));
        }
        if let Some(order) = &write.final_order {
            Self::insert_order_with(&mut tx, order).await?;
            Self::bill_entries_with(&mut tx, &write.billed, order.id).await?;
        }
        for email in &write.emails {
            Self::insert_email_with(&mut tx, email).await?;
        }
        for revoke in &write.revokes {
            Self::revoke_seat_with(&mut tx, revoke).await?;
        }
        let active: i64 = query_scalar(COUNT_ACTIVE_SEATS_OF_SUBSCRIPTION)
            .bind(write.subscription_id)
            .fetch_one(&mut tx)
            .await?;
        if active != 0 {
            // A seat was assigned after the caller listed what to revoke: nothing is written,
            // the caller lists again.
            return Err(StoreError::Stale("a seat was assigned meanwhile"));
        }
        Self::commit_with_events(tx, &write.events).await
    }

    async fn change_subscription_metadata(
        &self,
        id: SubscriptionId,
        metadata: &Metadata,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(CHANGE_METADATA)
            .bind(id)
            .bind(to_json(metadata)?)
            .bind(now)
            .execute(&mut tx)
            .await?;
        Self::commit_with_events(tx, events).await
    }

    async fn due_subscriptions(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SubscriptionRecord>, StoreError> {
        Ok(query_as(DUE_SUBSCRIPTIONS)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?)
    }

    async fn unbilled_entries(
        &self,
        subscription_id: SubscriptionId,
    ) -> Result<Vec<BillingEntryRecord>, StoreError> {
        let rows: Vec<BillingEntryRow> = query_as(UNBILLED_ENTRIES)
            .bind(subscription_id)
            .fetch_all(&self.db)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn renewal_payment_method(
        &self,
        subscription_id: SubscriptionId,
    ) -> Result<Option<String>, StoreError> {
        let method: Option<Option<String>> = query_scalar(PAYMENT_METHOD)
            .bind(subscription_id)
            .fetch_optional(&self.db)
            .await?;
        Ok(method.flatten())
    }

    async fn past_due_grace_days(
        &self,
        organization_id: OrganizationId,
    ) -> Result<u32, StoreError> {
        let days: i64 = query_scalar(GRACE_DAYS)
            .bind(organization_id)
            .fetch_one(&self.db)
            .await?;
        u32::try_from(days).map_err(|_| StoreError::Corrupt(format!("grace period of {days} days")))
    }

    async fn renew_subscription(&self, write: &RenewalWrite) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let renewed = query(RENEW)
            .bind(write.subscription_id)
            .bind(write.period_start)
            .bind(write.period_end)
            .bind(i64::from(write.seats))
            .bind(write.amount.get())
            .bind(write.now)
            .bind(write.version)
            .bind(write.remind_at)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if renewed != 1 {
            return Err(StoreError::Stale(
                "the subscription was renewed or changed meanwhile",
            ));
        }
        Self::insert_order_with(&mut tx, &write.order).await?;
        Self::bill_entries_with(&mut tx, &write.billed, write.order.id).await?;
        if let Some(entry) = &write.carried {
            Self::insert_billing_entry_with(&mut tx, entry).await?;
        }
        Self::commit_with_events(tx, &write.events).await
    }

    async fn due_reminders(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SubscriptionRecord>, StoreError> {
        Ok(query_as(DUE_REMINDERS)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?)
    }

    async fn mark_reminded(
        &self,
        id: SubscriptionId,
        version: i64,
        email: Option<&NewEmail>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let marked = query(REMINDED)
            .bind(id)
            .bind(version)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if marked != 1 {
            return Ok(false);
        }
        if let Some(email) = email {
            Self::insert_email_with(&mut tx, email).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn renewal_reminder_days(
        &self,
        organization_id: OrganizationId,
    ) -> Result<u32, StoreError> {
        let days: i64 = query_scalar(REMINDER_DAYS)
            .bind(organization_id)
            .fetch_one(&self.db)
            .await?;
        u32::try_from(days).map_err(|_| StoreError::Corrupt(format!("reminder of {days} days")))
    }

    async fn charge_is_billed(&self, reference: &str) -> Result<bool, StoreError> {
        let count: i64 = query_scalar(CHARGE_IS_BILLED)
            .bind(reference)
            .fetch_one(&self.db)
            .await?;
        Ok(count > 0)
    }

    async fn postpone_renewal(
        &self,
        id: SubscriptionId,
        version: i64,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        query(POSTPONE)
            .bind(id)
            .bind(until)
            .bind(version)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(())
    }

    async fn mark_past_due(&self, write: &PastDueWrite) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let marked = query(MARK_PAST_DUE)
            .bind(write.subscription_id)
            .bind(write.now)
            .bind(write.retry_at)
            .bind(write.version)
            .bind(write.since)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if marked != 1 {
            return Err(StoreError::Stale(
                "the subscription was renewed or changed meanwhile",
            ));
        }
        for email in &write.emails {
            Self::insert_email_with(&mut tx, email).await?;
        }
        Self::commit_with_events(tx, &write.events).await
    }

    async fn start_invoiced_change(
        &self,
        order: &OrderRecord,
        entry: &BillingEntryRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        Self::insert_order_with(&mut tx, order).await?;
        Self::insert_billing_entry_with(&mut tx, entry).await?;
        query(BILL_ENTRY)
            .bind(entry.id)
            .bind(order.id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn finish_invoiced_change(
        &self,
        write: &SeatCountWrite,
        order_id: OrderId,
        reference: &str,
    ) -> Result<(), StoreError> {
        let SeatCountTarget::Now { seats, amount, .. } = &write.target else {
            return Err(StoreError::Stale("an invoiced change applies now"));
        };
        let mut tx = self.db.begin_write().await?;
        let changed = query(CHANGE_SEATS_NOW)
            .bind(write.subscription_id)
            .bind(i64::from(*seats))
            .bind(amount.get())
            .bind(write.now)
            .bind(i64::from(write.from_seats))
            .execute(&mut tx)
            .await?
            .rows_affected();
        let paid = query(PAY_ORDER)
            .bind(order_id)
            .bind(write.now)
            .bind(reference)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if changed != 1 || paid != 1 {
            return Err(StoreError::Stale(
                "the subscription or its order changed since it was read",
            ));
        }
        Self::commit_with_events(tx, &write.events).await
    }

    async fn drop_invoiced_change(&self, order_id: OrderId) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(DROP_ENTRY_OF_PENDING_ORDER)
            .bind(order_id)
            .execute(&mut tx)
            .await?;
        query(DROP_PENDING_ORDER)
            .bind(order_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn refunded_invoiced_change(
        &self,
        order_id: OrderId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let marked = query(REFUND_PENDING_ORDER)
            .bind(order_id)
            .bind(now)
            .execute(&mut tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(marked == 1)
    }

    async fn pending_update_orders(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let rows: Vec<OrderRow> = query_as(PENDING_UPDATE_ORDERS)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn entry_of_order(
        &self,
        order_id: OrderId,
    ) -> Result<Option<BillingEntryRecord>, StoreError> {
        let row: Option<BillingEntryRow> = query_as(ENTRY_OF_ORDER)
            .bind(order_id)
            .fetch_optional(&self.db)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn price(&self, id: PriceId) -> Result<Option<PriceRecord>, StoreError> {
        let row: Option<PriceRow> = query_as(SELECT_PRICE)
            .bind(id)
            .fetch_optional(&self.db)
            .await?;
        row.map(TryInto::try_into).transpose()
    }
}
