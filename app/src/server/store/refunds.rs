//! Refunds of orders, and the test provider's ledger of partial refunds.
//!
//! A refund is written `pending` together with the reservation of its amount on the order (one
//! conditional update: refunds racing each other never reserve more than was paid), then asked of
//! the payment provider under its id, then settled: `succeeded` (a fully refunded order becomes
//! `refunded`; seats of a one-time order may be revoked in the same transaction) or `failed` (the
//! reservation is released).

use chrono::{DateTime, Utc};

use super::{
    NewEvent, RefundFilter, RefundStore, SeatRevokeWrite, SqlStore, StoreError,
    db::{query, query_as, query_scalar},
};
use crate::model::{
    Currency, CustomerId, MinorUnits, OrderId, OrganizationId, PageRequest, RefundId,
    SubscriptionId,
    metadata::Metadata,
    refund::{RefundReason, RefundStatus},
};

#[derive(Clone, Debug, PartialEq)]
pub struct RefundRecord {
    pub id: RefundId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub order_id: OrderId,
    pub subscription_id: Option<SubscriptionId>,
    pub customer_id: CustomerId,
    pub status: RefundStatus,
    pub reason: RefundReason,
    pub amount: MinorUnits,
    pub currency: Currency,
    pub comment: Option<String>,
    pub revoke_benefits: bool,
    pub metadata: Metadata,
}

#[derive(sqlx::FromRow)]
pub(super) struct RefundRow {
    id: RefundId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    order_id: OrderId,
    subscription_id: Option<SubscriptionId>,
    customer_id: CustomerId,
    status: RefundStatus,
    reason: RefundReason,
    amount: i64,
    currency: String,
    comment: Option<String>,
    revoke_benefits: bool,
    metadata: String,
}

impl TryFrom<RefundRow> for RefundRecord {
    type Error = StoreError;

    fn try_from(r: RefundRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            order_id: r.order_id,
            subscription_id: r.subscription_id,
            customer_id: r.customer_id,
            status: r.status,
            reason: r.reason,
            amount: MinorUnits(r.amount),
            currency: Currency::try_from(r.currency)
                .map_err(|e| StoreError::Corrupt(format!("refund currency: {e}")))?,
            comment: r.comment,
            revoke_benefits: r.revoke_benefits,
            metadata: serde_json::from_str(&r.metadata)
                .map_err(|e| StoreError::Corrupt(format!("refund metadata: {e}")))?,
        })
    }
}

/// A refund's outcome, written at once: the refund, the order (`refunded` once whole), seats
/// revoked (for a one-time order: its pool is closed first), and the events.
#[derive(Clone, Debug)]
pub struct RefundSettlement {
    pub refund_id: RefundId,
    pub order_id: OrderId,
    pub now: DateTime<Utc>,
    pub succeeded: bool,
    /// The amount reserved on the order (released when the refund failed).
    pub amount: MinorUnits,
    /// Whether the refunds that succeeded, this one included, are the whole order (as the caller
    /// planned: Stale when they are not, or the other way round).
    pub whole: bool,
    pub revokes: Vec<SeatRevokeWrite>,
    /// Close the order's pool (its seats are revoked).
    pub close_pool: bool,
    pub events: Vec<NewEvent>,
}

/// A refund of part of a test charge, one per idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRefund {
    pub idempotency_key: String,
    pub charge_reference: String,
    pub amount: MinorUnits,
    pub created_at: DateTime<Utc>,
}

const REFUND_COLUMNS: &str = "id, organization_id, created_at, modified_at, order_id, subscription_id, \
     customer_id, status, reason, amount, currency, comment, revoke_benefits, metadata";

const INSERT_REFUND: &str = const_format::concatcp!(
    "INSERT INTO refunds (",
    REFUND_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
);

/// `$1` order, `$2` amount, `$3` now: reserves a refund of a paid order, within what it paid.
const RESERVE_ON_ORDER: &str = "UPDATE orders SET refunded_amount = refunded_amount + $2, modified_at = $3 \
     WHERE id = $1 AND status = 'paid' AND refunded_amount + $2 <= total_amount";

/// `$1` refund, `$2` now, `$3` the new status.
const SETTLE_REFUND: &str =
    "UPDATE refunds SET status = $3, modified_at = $2 WHERE id = $1 AND status = 'pending'";

/// `$1` order, `$2` now: takes the order's row (its lock on PostgreSQL).
const LOCK_ORDER: &str = "UPDATE orders SET modified_at = $2 WHERE id = $1";

/// `$1` order, `$2` now: a wholly refunded order.
const ORDER_REFUNDED: &str =
    "UPDATE orders SET status = 'refunded', modified_at = $2 WHERE id = $1 AND status = 'paid'";

/// `$1` order: what its succeeded refunds gave back, and what it cost.
const SUCCEEDED_TOTAL: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds \
     WHERE order_id = $1 AND status = 'succeeded'";
const ORDER_TOTAL: &str = "SELECT total_amount FROM orders WHERE id = $1";

/// `$1` order, `$2` amount, `$3` now: a failed refund's reservation released.
const RELEASE_ON_ORDER: &str = "UPDATE orders SET refunded_amount = refunded_amount - $2, modified_at = $3 \
     WHERE id = $1 AND refunded_amount >= $2";

/// `$1` order: closes a one-time order's pool to new seats.
const CLOSE_ORDER_POOL: &str = "UPDATE orders SET seats_closed = TRUE WHERE id = $1";

const COUNT_ACTIVE_SEATS_OF_ORDER: &str = "SELECT COUNT(*) FROM customer_seats \
     WHERE order_id = $1 AND status IN ('pending', 'claimed')";

const SELECT_REFUND: &str = const_format::concatcp!(
    "SELECT ",
    REFUND_COLUMNS,
    " FROM refunds WHERE id = $1 AND organization_id = $2"
);

/// `$1` created before, `$2` limit.
const PENDING_REFUNDS: &str = const_format::concatcp!(
    "SELECT ",
    REFUND_COLUMNS,
    " FROM refunds WHERE status = 'pending' AND created_at < $1 ORDER BY created_at, id LIMIT $2"
);

/// `$1` key: a test refund already made under this key.
const TEST_REFUND_EXISTS: &str =
    "SELECT COUNT(*) FROM test_payment_refunds WHERE idempotency_key = $1";
/// `$1` charge: what it charged, and what its refunds gave back.
const TEST_CHARGE_AMOUNT: &str = "SELECT amount FROM test_payment_charges WHERE reference = $1";
const TEST_REFUNDED: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM test_payment_refunds WHERE charge_reference = $1";
const INSERT_TEST_REFUND: &str = "INSERT INTO test_payment_refunds (idempotency_key, charge_reference, amount, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING";

#[async_trait::async_trait]
impl RefundStore for SqlStore {
    async fn succeeded_refunds_total(&self, order_id: OrderId) -> Result<MinorUnits, StoreError> {
        let refunded: i64 = query_scalar(SUCCEEDED_TOTAL)
            .bind(order_id)
            .fetch_one(&self.db)
            .await?;
        Ok(MinorUnits(refunded))
    }

    async fn start_refund(
        &self,
        refund: &RefundRecord,
        events: &[NewEvent],
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let reserved = query(RESERVE_ON_ORDER)
            .bind(refund.order_id)
            .bind(refund.amount.get())
            .bind(refund.created_at)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if reserved != 1 {
            return Ok(false);
        }
        query(INSERT_REFUND)
            .bind(refund.id)
            .bind(refund.organization_id)
            .bind(refund.created_at)
            .bind(refund.modified_at)
            .bind(refund.order_id)
            .bind(refund.subscription_id)
            .bind(refund.customer_id)
            .bind(<&str>::from(refund.status))
            .bind(<&str>::from(refund.reason))
            .bind(refund.amount.get())
            .bind(refund.currency.as_str())
            .bind(refund.comment.as_deref())
            .bind(refund.revoke_benefits)
            .bind(super::catalog::to_json(&refund.metadata)?)
            .execute(&mut tx)
            .await?;
        Self::commit_with_events(tx, events).await?;
        Ok(true)
    }

    async fn settle_refund(&self, settlement: &RefundSettlement) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        // The order's row first: settlements of one order's refunds wait for each other here, so
        // each one's sum below sees the ones settled before it (no two refunds both finding the
        // order not yet whole).
        query(LOCK_ORDER)
            .bind(settlement.order_id)
            .bind(settlement.now)
            .execute(&mut tx)
            .await?;
        let status = if settlement.succeeded {
            "succeeded"
        } else {
            "failed"
        };
        let settled = query(SETTLE_REFUND)
            .bind(settlement.refund_id)
            .bind(settlement.now)
            .bind(status)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if settled != 1 {
            return Err(StoreError::Stale("the refund was settled meanwhile"));
        }
        if !settlement.succeeded {
            query(RELEASE_ON_ORDER)
                .bind(settlement.order_id)
                .bind(settlement.amount.get())
                .bind(settlement.now)
                .execute(&mut tx)
                .await?;
            tx.commit().await?;
            return Ok(());
        }
        let refunded: i64 = query_scalar(SUCCEEDED_TOTAL)
            .bind(settlement.order_id)
            .fetch_one(&mut tx)
            .await?;
        let total: i64 = query_scalar(ORDER_TOTAL)
            .bind(settlement.order_id)
            .fetch_one(&mut tx)
            .await?;
        if (refunded == total) != settlement.whole {
            return Err(StoreError::Stale(
                "another refund of the order settled meanwhile",
            ));
        }
        if settlement.whole {
            query(ORDER_REFUNDED)
                .bind(settlement.order_id)
                .bind(settlement.now)
                .execute(&mut tx)
                .await?;
        }
        if settlement.close_pool {
            query(CLOSE_ORDER_POOL)
                .bind(settlement.order_id)
                .execute(&mut tx)
                .await?;
            for revoke in &settlement.revokes {
                Self::revoke_seat_with(&mut tx, revoke).await?;
            }
            let active: i64 = query_scalar(COUNT_ACTIVE_SEATS_OF_ORDER)
                .bind(settlement.order_id)
                .fetch_one(&mut tx)
                .await?;
            if active != 0 {
                return Err(StoreError::Stale("a seat was assigned meanwhile"));
            }
        }
        Self::commit_with_events(tx, &settlement.events).await
    }

    async fn refund(
        &self,
        organization_id: OrganizationId,
        id: RefundId,
    ) -> Result<Option<RefundRecord>, StoreError> {
        let row: Option<RefundRow> = query_as(SELECT_REFUND)
            .bind(id)
            .bind(organization_id)
            .fetch_optional(&self.db)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_refunds(
        &self,
        organization_id: OrganizationId,
        filter: &RefundFilter,
        page: PageRequest,
    ) -> Result<(Vec<RefundRecord>, u64), StoreError> {
        let list = filter.sql(organization_id);
        self.run_list::<RefundRow, _>(&list, REFUND_COLUMNS, "refunds", page)
            .await
    }

    async fn pending_refunds(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RefundRecord>, StoreError> {
        let rows: Vec<RefundRow> = query_as(PENDING_REFUNDS)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn record_test_refund(&self, refund: &TestRefund) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let done: i64 = query_scalar(TEST_REFUND_EXISTS)
            .bind(refund.idempotency_key.as_str())
            .fetch_one(&mut tx)
            .await?;
        if done > 0 {
            return Ok(true);
        }
        let charged: Option<i64> = query_scalar(TEST_CHARGE_AMOUNT)
            .bind(refund.charge_reference.as_str())
            .fetch_optional(&mut tx)
            .await?;
        let refunded: i64 = query_scalar(TEST_REFUNDED)
            .bind(refund.charge_reference.as_str())
            .fetch_one(&mut tx)
            .await?;
        let Some(charged) = charged else {
            return Ok(false);
        };
        if refunded + refund.amount.get() > charged {
            return Ok(false);
        }
        query(INSERT_TEST_REFUND)
            .bind(refund.idempotency_key.as_str())
            .bind(refund.charge_reference.as_str())
            .bind(refund.amount.get())
            .bind(refund.created_at)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
