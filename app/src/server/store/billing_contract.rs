//! The persistence contract of checkouts, subscriptions and orders, and of payments (part of
//! [`Store`](super::Store)).

use async_trait::async_trait;

use super::{
    CheckoutChange, CheckoutFilter, CheckoutRecord, NewEvent, OrderFilter, OrderRecord,
    PaymentRecord, PaymentSettlement, Purchase, StoreError, SubscriptionFilter, SubscriptionRecord,
    TestCharge,
};
use crate::model::{CheckoutId, MemberId, OrderId, OrganizationId, PageRequest, SubscriptionId};

/// Checkouts, subscriptions and orders.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Inserts a new checkout with its event.
    async fn insert_checkout(
        &self,
        checkout: &CheckoutRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Applies a buyer's change to an open, unexpired checkout, with its event; false (nothing
    /// written) when the checkout is no longer open.
    async fn change_open_checkout(
        &self,
        change: &CheckoutChange,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    async fn checkout(
        &self,
        organization_id: OrganizationId,
        id: CheckoutId,
    ) -> Result<Option<CheckoutRecord>, StoreError>;

    async fn checkout_by_client_secret(
        &self,
        client_secret: &str,
    ) -> Result<Option<CheckoutRecord>, StoreError>;

    /// Checkouts, filtered and sorted (newest first by default; `now` tells open from expired);
    /// and their total count.
    async fn list_checkouts(
        &self,
        organization_id: OrganizationId,
        filter: &CheckoutFilter,
        now: chrono::DateTime<chrono::Utc>,
        page: PageRequest,
    ) -> Result<(Vec<CheckoutRecord>, u64), StoreError>;

    /// Writes a paid checkout's customer, subscription or order, the checkout, the buyer's session and
    /// their events, settling its payment; [`StoreError::Stale`] (nothing written) when the payment
    /// is no longer `pending` or the checkout no longer `confirmed`.
    async fn complete_purchase(&self, purchase: &Purchase) -> Result<(), StoreError>;

    async fn subscription(
        &self,
        organization_id: OrganizationId,
        id: SubscriptionId,
    ) -> Result<Option<SubscriptionRecord>, StoreError>;

    /// Subscriptions, newest first, filtered; and their total count.
    async fn list_subscriptions(
        &self,
        organization_id: OrganizationId,
        filter: &SubscriptionFilter,
        page: PageRequest,
    ) -> Result<(Vec<SubscriptionRecord>, u64), StoreError>;

    async fn order(
        &self,
        organization_id: OrganizationId,
        id: OrderId,
    ) -> Result<Option<OrderRecord>, StoreError>;

    /// Orders, newest first, filtered; and their total count.
    async fn list_orders(
        &self,
        organization_id: OrganizationId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<(Vec<OrderRecord>, u64), StoreError>;

    /// Subscriptions where the member holds a claimed seat, newest first; and their count.
    async fn claimed_subscriptions(
        &self,
        member_id: MemberId,
        page: PageRequest,
    ) -> Result<(Vec<SubscriptionRecord>, u64), StoreError>;
}

/// A checkout's payments, and the test payment provider's ledger.
#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// Moves an open, unexpired checkout to `confirmed` with the buyer's last change and records its
    /// `pending` payment, in one transaction, before anything is charged; false (nothing written)
    /// when the checkout was no longer open (another confirm won, or it expired).
    async fn start_payment(
        &self,
        change: &CheckoutChange,
        payment: &PaymentRecord,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError>;

    /// Moves a payment as `settlement` says (and reopens its checkout when asked), in one
    /// transaction; false (nothing written) when the payment was not in `settlement.from`.
    async fn settle_payment(&self, settlement: &PaymentSettlement) -> Result<bool, StoreError>;

    /// The payments of a checkout, oldest first.
    async fn payments_of_checkout(
        &self,
        checkout: CheckoutId,
    ) -> Result<Vec<PaymentRecord>, StoreError>;

    /// Payments still `pending` or `refunding` that were recorded before `recorded_before`, oldest
    /// first: what a crash may have left for the sweeper.
    async fn unsettled_payments(
        &self,
        recorded_before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentRecord>, StoreError>;

    /// The test provider's ledger: records a charge unless one with its idempotency key exists, and
    /// answers the reference of the charge recorded under that key.
    async fn record_test_charge(&self, charge: &TestCharge) -> Result<String, StoreError>;

    async fn test_charge_by_key(
        &self,
        idempotency_key: &str,
    ) -> Result<Option<TestCharge>, StoreError>;

    /// Marks a test charge refunded (once; a second refund changes nothing).
    async fn refund_test_charge(
        &self,
        reference: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError>;

    /// Every charge of the test provider, oldest first.
    async fn test_charges(&self) -> Result<Vec<TestCharge>, StoreError>;
}
