//! SQL of checkouts, their payments (and the test provider's ledger), subscriptions and orders,
//! and the implementations of [`BillingStore`](super::BillingStore) and
//! [`PaymentStore`](super::PaymentStore) shared by both backends.

use const_format::concatcp;

use super::{
    BillingStore, CheckoutChange, CheckoutFilter, CheckoutRecord, CustomerWrite, NewEvent,
    OrderFilter, OrderRecord, PaymentRecord, PaymentSettlement, PaymentStatus, PaymentStore,
    Purchase, SqlStore, Store, StoreError, SubscriptionFilter, SubscriptionRecord, TestCharge,
    billing::{CheckoutRow, OrderRow},
    catalog::to_json,
    db::{On, Tx, query, query_as, query_scalar},
};
use crate::model::{
    CheckoutId, MemberId, Named, OrderId, OrganizationId, PageRequest, SubscriptionId,
    billing::CheckoutStatus,
};

pub(super) const CHECKOUT_COLUMNS: &str = "id, organization_id, created_at, modified_at, client_secret, status, expires_at, product_id, price_id, \
         seats, min_seats, max_seats, amount, currency, customer_id, customer_email, customer_name, \
         external_customer_id, success_url, metadata, subscription_id, order_id";

/// The columns a purchase writes.
pub(super) const SUBSCRIPTION_COLUMNS: &str = "id, organization_id, created_at, modified_at, customer_id, product_id, price_id, checkout_id, status, seats, \
         amount, currency, recurring_interval, current_period_start, current_period_end, cancel_at_period_end, \
         canceled_at, started_at, ended_at, metadata";

/// The columns of a [`SubscriptionRecord`]: those a purchase writes, then its later changes.
pub(super) const SUBSCRIPTION_READ_COLUMNS: &str = concatcp!(
    SUBSCRIPTION_COLUMNS,
    ", used_seats, pending_seats, pending_update_id, pending_update_created_at, \
     customer_cancellation_reason, customer_cancellation_comment, past_due_at, retry_at, version"
);

/// `$1` member, `$2` limit, `$3` offset: subscriptions where the member holds a claimed seat.
pub(super) const CLAIMED_SUBSCRIPTIONS: &str = concatcp!(
    "SELECT ",
    SUBSCRIPTION_READ_COLUMNS,
    " FROM subscriptions WHERE id IN (SELECT subscription_id FROM customer_seats WHERE member_id = $1 \
     AND status = 'claimed') ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
);

pub(super) const COUNT_CLAIMED_SUBSCRIPTIONS: &str = "SELECT COUNT(*) FROM subscriptions WHERE id IN \
     (SELECT subscription_id FROM customer_seats WHERE member_id = $1 AND status = 'claimed')";

pub(super) const ORDER_COLUMNS: &str = "id, organization_id, created_at, modified_at, customer_id, product_id, subscription_id, checkout_id, status, \
         billing_reason, seats, subtotal_amount, total_amount, currency, items, metadata, refunded_amount, \
         payment_reference";

pub(super) const INSERT_CHECKOUT: &str = concatcp!(
    "INSERT INTO checkouts (",
    CHECKOUT_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
);

/// A buyer's change to an open, unexpired checkout, leaving it `open` or moving it to `confirmed`:
/// `$1` id, `$2` now, `$3` seats and `$4` amount (NULL keeps), `$5` email (NULL keeps), `$6` whether
/// the name changes, `$7` the name, `$8` the new status. Only the fields given are written, never the
/// rest of a record read earlier, so it cannot undo another request's change.
pub(super) const CHANGE_OPEN_CHECKOUT: &str = "UPDATE checkouts SET modified_at = $2, \
     seats = COALESCE($3, seats), amount = COALESCE($4, amount), customer_email = COALESCE($5, customer_email), \
     customer_name = CASE WHEN $6 THEN $7 ELSE customer_name END, status = $8 \
     WHERE id = $1 AND status = 'open' AND expires_at > $2";

/// `$1` customer, `$2` now: a buyer becomes a team, if still live.
pub(super) const MAKE_CUSTOMER_TEAM: &str = "UPDATE customers SET type = 'team', modified_at = $2 \
     WHERE id = $1 AND deleted_at IS NULL";

/// `$1` checkout, `$2` now: back to `open` after a payment that did not buy.
pub(super) const REOPEN_CHECKOUT: &str =
    "UPDATE checkouts SET status = 'open', modified_at = $2 WHERE id = $1 AND status = 'confirmed'";

/// `$1` checkout, `$2` now, `$3` customer, `$4` subscription, `$5` order: the purchase's end.
pub(super) const SUCCEED_CHECKOUT: &str = "UPDATE checkouts SET status = 'succeeded', modified_at = $2, \
     customer_id = $3, subscription_id = $4, order_id = $5 WHERE id = $1 AND status = 'confirmed'";

pub(super) const PAYMENT_COLUMNS: &str = "id, organization_id, checkout_id, created_at, modified_at, amount, currency, status, reference, failure, \
     payment_method";

pub(super) const INSERT_PAYMENT: &str = concatcp!(
    "INSERT INTO checkout_payments (",
    PAYMENT_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
);

/// `$1` payment, `$2` expected status, `$3` new status, `$4` now, `$5` reference and `$6` failure
/// (NULL keeps): one conditional update, so of two settlers exactly one moves it.
pub(super) const SETTLE_PAYMENT: &str = "UPDATE checkout_payments SET status = $3, modified_at = $4, \
     reference = COALESCE($5, reference), failure = COALESCE($6, failure) WHERE id = $1 AND status = $2";

pub(super) const PAYMENTS_OF_CHECKOUT: &str = concatcp!(
    "SELECT ",
    PAYMENT_COLUMNS,
    " FROM checkout_payments WHERE checkout_id = $1 ORDER BY created_at, id"
);

/// `$1` recorded before, `$2` limit: payments a crash may have left unsettled, oldest first.
pub(super) const UNSETTLED_PAYMENTS: &str = concatcp!(
    "SELECT ",
    PAYMENT_COLUMNS,
    " FROM checkout_payments WHERE status IN ('pending', 'refunding') AND created_at < $1 \
     ORDER BY created_at, id LIMIT $2"
);

pub(super) const TEST_CHARGE_COLUMNS: &str =
    "reference, idempotency_key, created_at, amount, currency, description, refunded_at";

/// A charge of the test provider; a second charge with the same key is not recorded.
pub(super) const INSERT_TEST_CHARGE: &str = concatcp!(
    "INSERT INTO test_payment_charges (",
    TEST_CHARGE_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING"
);

pub(super) const SELECT_TEST_CHARGE_BY_KEY: &str = concatcp!(
    "SELECT ",
    TEST_CHARGE_COLUMNS,
    " FROM test_payment_charges WHERE idempotency_key = $1"
);

pub(super) const REFUND_TEST_CHARGE: &str =
    "UPDATE test_payment_charges SET refunded_at = COALESCE(refunded_at, $2) WHERE reference = $1";

/// `$1` a test card: records its first decline (no row when it declined already).
pub(super) const RECORD_TEST_DECLINE: &str = "INSERT INTO test_payment_declines (payment_method) VALUES ($1) ON CONFLICT (payment_method) DO NOTHING";

pub(super) const TEST_CHARGES: &str = concatcp!(
    "SELECT ",
    TEST_CHARGE_COLUMNS,
    " FROM test_payment_charges ORDER BY created_at, reference"
);

pub(super) const SELECT_CHECKOUT: &str = concatcp!(
    "SELECT ",
    CHECKOUT_COLUMNS,
    " FROM checkouts WHERE id = $1 AND organization_id = $2"
);

pub(super) const SELECT_CHECKOUT_BY_SECRET: &str = concatcp!(
    "SELECT ",
    CHECKOUT_COLUMNS,
    " FROM checkouts WHERE client_secret = $1"
);

pub(super) const INSERT_SUBSCRIPTION: &str = concatcp!(
    "INSERT INTO subscriptions (",
    SUBSCRIPTION_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
);

/// `$1` subscription, `$2` the payment method its renewals charge, `$3` when to look whether to
/// remind its customer of its first renewal.
pub(super) const SAVE_RENEWAL_TERMS: &str =
    "UPDATE subscriptions SET payment_method = $2, remind_at = $3 WHERE id = $1";

pub(super) const SELECT_SUBSCRIPTION: &str = concatcp!(
    "SELECT ",
    SUBSCRIPTION_READ_COLUMNS,
    " FROM subscriptions WHERE id = $1 AND organization_id = $2"
);

pub(super) const INSERT_ORDER: &str = concatcp!(
    "INSERT INTO orders (",
    ORDER_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
);

pub(super) const SELECT_ORDER: &str = concatcp!(
    "SELECT ",
    ORDER_COLUMNS,
    " FROM orders WHERE id = $1 AND organization_id = $2"
);

impl SqlStore {
    pub(super) async fn insert_checkout_with(
        executor: impl Into<On<'_>>,
        c: &CheckoutRecord,
    ) -> Result<(), StoreError> {
        query(INSERT_CHECKOUT)
            .bind(c.id)
            .bind(c.organization_id)
            .bind(c.created_at)
            .bind(c.modified_at)
            .bind(&c.client_secret)
            .bind(c.status.as_str())
            .bind(c.expires_at)
            .bind(c.product_id)
            .bind(c.price_id)
            .bind(i64::from(c.seats))
            .bind(i64::from(c.min_seats))
            .bind(i64::from(c.max_seats))
            .bind(c.amount.get())
            .bind(c.currency.as_str())
            .bind(c.customer_id)
            .bind(c.customer_email.as_ref().map(|e| e.as_str()))
            .bind(c.customer_name.as_deref())
            .bind(c.external_customer_id.as_deref())
            .bind(c.success_url.as_deref())
            .bind(to_json(&c.metadata)?)
            .bind(c.subscription_id)
            .bind(c.order_id)
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Applies `change` to an open, unexpired checkout, leaving it in `status`; false when it
    /// was no longer open.
    pub(super) async fn change_checkout_with(
        executor: impl Into<On<'_>>,
        change: &CheckoutChange,
        status: CheckoutStatus,
    ) -> Result<bool, StoreError> {
        let (seats, amount) = change
            .seats_and_amount
            .map_or((None, None), |(seats, amount)| {
                (Some(i64::from(seats)), Some(amount.get()))
            });
        let result = query(CHANGE_OPEN_CHECKOUT)
            .bind(change.id)
            .bind(change.now)
            .bind(seats)
            .bind(amount)
            .bind(change.customer_email.as_ref().map(|e| e.as_str()))
            .bind(change.customer_name.is_some())
            .bind(change.customer_name.clone().flatten())
            .bind(status.as_str())
            .execute(executor)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Moves a payment as `settlement` says; false when it was not in the expected status.
    pub(super) async fn settle_payment_with(
        executor: impl Into<On<'_>>,
        settlement: &PaymentSettlement,
    ) -> Result<bool, StoreError> {
        let result = query(SETTLE_PAYMENT)
            .bind(settlement.payment)
            .bind(settlement.from.as_str())
            .bind(settlement.to.as_str())
            .bind(settlement.now)
            .bind(settlement.reference.as_deref())
            .bind(settlement.failure.as_deref())
            .execute(executor)
            .await?;
        Ok(result.rows_affected() == 1)
    }
}

impl SqlStore {
    pub(super) async fn insert_order_with(tx: &mut Tx, o: &OrderRecord) -> Result<(), StoreError> {
        query(INSERT_ORDER)
            .bind(o.id)
            .bind(o.organization_id)
            .bind(o.created_at)
            .bind(o.modified_at)
            .bind(o.customer_id)
            .bind(o.product_id)
            .bind(o.subscription_id)
            .bind(o.checkout_id)
            .bind(o.status.as_str())
            .bind(o.billing_reason.as_str())
            .bind(i64::from(o.seats))
            .bind(o.subtotal_amount.get())
            .bind(o.total_amount.get())
            .bind(o.currency.as_str())
            .bind(to_json(&o.items)?)
            .bind(to_json(&o.metadata)?)
            .bind(o.refunded_amount.get())
            .bind(o.payment_reference.as_deref())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl BillingStore for SqlStore {
    async fn insert_checkout(
        &self,
        checkout: &CheckoutRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        Self::insert_checkout_with(&mut tx, checkout).await?;
        Self::commit_with_events(tx, std::slice::from_ref(event)).await
    }

    async fn change_open_checkout(
        &self,
        change: &CheckoutChange,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if !Self::change_checkout_with(&mut tx, change, CheckoutStatus::Open).await? {
            return Ok(false);
        }
        Self::insert_event_with(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn checkout(
        &self,
        organization_id: OrganizationId,
        id: CheckoutId,
    ) -> Result<Option<CheckoutRecord>, StoreError> {
        self.find_by::<CheckoutRow, _>(SELECT_CHECKOUT, id, organization_id)
            .await
    }

    async fn checkout_by_client_secret(
        &self,
        client_secret: &str,
    ) -> Result<Option<CheckoutRecord>, StoreError> {
        let row: Option<CheckoutRow> = query_as(SELECT_CHECKOUT_BY_SECRET)
            .bind(client_secret)
            .fetch_optional(&self.db)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_checkouts(
        &self,
        organization_id: OrganizationId,
        filter: &CheckoutFilter,
        now: chrono::DateTime<chrono::Utc>,
        page: PageRequest,
    ) -> Result<(Vec<CheckoutRecord>, u64), StoreError> {
        let list = filter.sql(organization_id, now);
        self.run_list::<CheckoutRow, _>(&list, CHECKOUT_COLUMNS, "checkouts", page)
            .await
    }

    async fn complete_purchase(&self, purchase: &Purchase) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        let c = &purchase.checkout;
        let settled = PaymentSettlement {
            payment: purchase.payment,
            from: PaymentStatus::Pending,
            to: PaymentStatus::Succeeded,
            now: c.modified_at.unwrap_or(c.created_at),
            reference: purchase.payment_reference.clone(),
            failure: None,
            reopen: None,
        };
        if !Self::settle_payment_with(&mut tx, &settled).await? {
            return Err(StoreError::Stale("the payment is no longer pending"));
        }
        match &purchase.customer {
            CustomerWrite::Insert(customer, owner) => {
                Self::write_customer_with(&mut tx, customer, true).await?;
                Self::write_member_with(&mut tx, owner, true).await?;
            }
            CustomerWrite::Update(customer) => {
                // Only what a purchase changes, and only while the customer is live: a
                // deletion (or an edit) that lands meanwhile is neither undone nor overwritten.
                let made_team = query(MAKE_CUSTOMER_TEAM)
                    .bind(customer.id)
                    .bind(customer.modified_at.unwrap_or(customer.created_at))
                    .execute(&mut tx)
                    .await?;
                if made_team.rows_affected() != 1 {
                    return Err(StoreError::Stale("the customer was deleted"));
                }
            }
        }
        // After the customer: the checkout names it.
        let succeeded = query(SUCCEED_CHECKOUT)
            .bind(c.id)
            .bind(settled.now)
            .bind(c.customer_id)
            .bind(c.subscription_id)
            .bind(c.order_id)
            .execute(&mut tx)
            .await?;
        if succeeded.rows_affected() != 1 {
            return Err(StoreError::Stale("the checkout is no longer confirmed"));
        }
        if let Some(s) = &purchase.subscription {
            query(INSERT_SUBSCRIPTION)
                .bind(s.id)
                .bind(s.organization_id)
                .bind(s.created_at)
                .bind(s.modified_at)
                .bind(s.customer_id)
                .bind(s.product_id)
                .bind(s.price_id)
                .bind(s.checkout_id)
                .bind(s.status.as_str())
                .bind(i64::from(s.seats))
                .bind(s.amount.get())
                .bind(s.currency.as_str())
                .bind(s.recurring_interval.as_str())
                .bind(s.current_period_start)
                .bind(s.current_period_end)
                .bind(s.cancel_at_period_end)
                .bind(s.canceled_at)
                .bind(s.started_at)
                .bind(s.ended_at)
                .bind(to_json(&s.metadata)?)
                .execute(&mut tx)
                .await?;
            query(SAVE_RENEWAL_TERMS)
                .bind(s.id)
                .bind(purchase.payment_method.as_deref())
                .bind(purchase.remind_at)
                .execute(&mut tx)
                .await?;
        }
        Self::insert_order_with(&mut tx, &purchase.order).await?;
        if let Some(session) = &purchase.session {
            Self::insert_customer_session_with(&mut tx, session).await?;
        }
        Self::commit_with_events(tx, &purchase.events).await
    }

    async fn subscription(
        &self,
        organization_id: OrganizationId,
        id: SubscriptionId,
    ) -> Result<Option<SubscriptionRecord>, StoreError> {
        self.find_by::<SubscriptionRecord, _>(SELECT_SUBSCRIPTION, id, organization_id)
            .await
    }

    async fn list_subscriptions(
        &self,
        organization_id: OrganizationId,
        filter: &SubscriptionFilter,
        page: PageRequest,
    ) -> Result<(Vec<SubscriptionRecord>, u64), StoreError> {
        let list = filter.sql(organization_id, self.backend());
        self.run_list::<SubscriptionRecord, _>(
            &list,
            SUBSCRIPTION_READ_COLUMNS,
            "subscriptions",
            page,
        )
        .await
    }

    async fn order(
        &self,
        organization_id: OrganizationId,
        id: OrderId,
    ) -> Result<Option<OrderRecord>, StoreError> {
        self.find_by::<OrderRow, _>(SELECT_ORDER, id, organization_id)
            .await
    }

    async fn list_orders(
        &self,
        organization_id: OrganizationId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<(Vec<OrderRecord>, u64), StoreError> {
        let list = filter.sql(organization_id, self.backend());
        self.run_list::<OrderRow, _>(&list, ORDER_COLUMNS, "orders", page)
            .await
    }

    async fn claimed_subscriptions(
        &self,
        member_id: MemberId,
        page: PageRequest,
    ) -> Result<(Vec<SubscriptionRecord>, u64), StoreError> {
        let subscriptions: Vec<SubscriptionRecord> = query_as(CLAIMED_SUBSCRIPTIONS)
            .bind(member_id)
            .bind(i64::from(page.limit()))
            .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.db)
            .await?;
        let total: i64 = query_scalar(COUNT_CLAIMED_SUBSCRIPTIONS)
            .bind(member_id)
            .fetch_one(&self.db)
            .await?;
        Ok((subscriptions, u64::try_from(total).unwrap_or_default()))
    }
}

#[async_trait::async_trait]
impl PaymentStore for SqlStore {
    async fn start_payment(
        &self,
        change: &CheckoutChange,
        payment: &PaymentRecord,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if !Self::change_checkout_with(&mut tx, change, CheckoutStatus::Confirmed).await? {
            return Ok(false);
        }
        query(INSERT_PAYMENT)
            .bind(payment.id)
            .bind(payment.organization_id)
            .bind(payment.checkout_id)
            .bind(payment.created_at)
            .bind(payment.modified_at)
            .bind(payment.amount.get())
            .bind(payment.currency.as_str())
            .bind(payment.status.as_str())
            .bind(payment.reference.as_deref())
            .bind(payment.failure.as_deref())
            .bind(payment.payment_method.as_deref())
            .execute(&mut tx)
            .await?;
        if let Some(event) = event {
            Self::insert_event_with(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn settle_payment(&self, settlement: &PaymentSettlement) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if !Self::settle_payment_with(&mut tx, settlement).await? {
            return Ok(false);
        }
        if let Some(checkout) = settlement.reopen {
            query(REOPEN_CHECKOUT)
                .bind(checkout)
                .bind(settlement.now)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn payments_of_checkout(
        &self,
        checkout: CheckoutId,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        Ok(query_as(PAYMENTS_OF_CHECKOUT)
            .bind(checkout)
            .fetch_all(&self.db)
            .await?)
    }

    async fn unsettled_payments(
        &self,
        recorded_before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        Ok(query_as(UNSETTLED_PAYMENTS)
            .bind(recorded_before)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?)
    }

    async fn record_test_charge(&self, charge: &TestCharge) -> Result<String, StoreError> {
        query(INSERT_TEST_CHARGE)
            .bind(&charge.reference)
            .bind(&charge.idempotency_key)
            .bind(charge.created_at)
            .bind(charge.amount.get())
            .bind(charge.currency.as_str())
            .bind(&charge.description)
            .bind(charge.refunded_at)
            .execute(&self.db.writer().await?)
            .await?;
        let recorded: Option<TestCharge> = query_as(SELECT_TEST_CHARGE_BY_KEY)
            .bind(&charge.idempotency_key)
            .fetch_optional(&self.db)
            .await?;
        let recorded = recorded
            .ok_or_else(|| StoreError::Corrupt("a recorded test charge vanished".into()))?;
        Ok(recorded.reference)
    }

    async fn first_test_decline(&self, payment_method: &str) -> Result<bool, StoreError> {
        let recorded = query(RECORD_TEST_DECLINE)
            .bind(payment_method)
            .execute(&self.db.writer().await?)
            .await?
            .rows_affected();
        Ok(recorded == 1)
    }

    async fn test_charge_by_key(
        &self,
        idempotency_key: &str,
    ) -> Result<Option<TestCharge>, StoreError> {
        Ok(query_as(SELECT_TEST_CHARGE_BY_KEY)
            .bind(idempotency_key)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn refund_test_charge(
        &self,
        reference: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        query(REFUND_TEST_CHARGE)
            .bind(reference)
            .bind(now)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(())
    }

    async fn test_charges(&self) -> Result<Vec<TestCharge>, StoreError> {
        Ok(query_as(TEST_CHARGES).fetch_all(&self.db).await?)
    }
}
