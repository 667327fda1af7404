//! SQL of a checkout's payments and of the test provider's ledger, and the implementation of
//! [`PaymentStore`](super::PaymentStore) shared by both backends.

use const_format::concatcp;

use super::{
    CheckoutChange, NewEvent, PaymentRecord, PaymentSettlement, PaymentStore, SqlStore, StoreError,
    TestCharge,
    billing_sql::REOPEN_CHECKOUT,
    db::{On, query, query_as},
};
use crate::model::{CheckoutId, Named, billing::CheckoutStatus};

pub(super) const PAYMENT_COLUMNS: &str = "id, organization_id, checkout_id, created_at, modified_at, amount, currency, status, reference, failure";

pub(super) const INSERT_PAYMENT: &str = concatcp!(
    "INSERT INTO checkout_payments (",
    PAYMENT_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
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

pub(super) const TEST_CHARGES: &str = concatcp!(
    "SELECT ",
    TEST_CHARGE_COLUMNS,
    " FROM test_payment_charges ORDER BY created_at, reference"
);

impl SqlStore {
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
            .execute(&self.db)
            .await?;
        let recorded: Option<TestCharge> = query_as(SELECT_TEST_CHARGE_BY_KEY)
            .bind(&charge.idempotency_key)
            .fetch_optional(&self.db)
            .await?;
        let recorded = recorded
            .ok_or_else(|| StoreError::Corrupt("a recorded test charge vanished".into()))?;
        Ok(recorded.reference)
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
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn test_charges(&self) -> Result<Vec<TestCharge>, StoreError> {
        Ok(query_as(TEST_CHARGES).fetch_all(&self.db).await?)
    }
}
