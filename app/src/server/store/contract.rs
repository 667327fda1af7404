//! The persistence contract: what the services may ask of a store, one trait per aggregate (all of
//! them together are [`Store`]). Every method is one transaction; what each guarantees under
//! concurrency is in its doc. [`SqlStore`](super::SqlStore) implements them for both databases.

use async_trait::async_trait;

use super::{
    AccessTokenRecord, AuditRecord, Backend, BenefitFilter, BenefitRecord, CallerOnPool,
    CheckoutChange, CheckoutFilter, CheckoutRecord, CredentialHash, CustomerFilter, CustomerRecord,
    EmailRecord, EventRecord, GrantFilter, GrantRecord, IdempotencyClaim, IdempotencyHold,
    IdempotencyKey, IdempotencyRecord, LicenseKeyFilter, MemberFilter, MemberRecord,
    NewAccessToken, NewCustomerSession, NewEmail, NewEvent, NewOrganization, NewSessionCode,
    OrderFilter, OrderRecord, OrganizationRecord, PaymentRecord, PaymentSettlement,
    PoolContextRecord, PoolRead, PriceRecord, ProductFilter, ProductRecord, Purchase, RefundFilter,
    SeatAssignment, SeatClaimWrite, SeatRecord, SeatResendWrite, SeatRevokeWrite,
    SeatTransferWrite, SeedCounts, SeedPlan, SessionRecord, SessionToOpen, SignInHolder,
    StoreError, StoredResponse, SubscriptionFilter, SubscriptionRecord, TestCharge,
    entitlements::{CustomerStateRecords, SigningKeyRecord, StateChange},
    key_validation::HeldLicenseKey,
    license_keys::{ActivationRecord, KeyTermsChange, LicenseKeyChange, LicenseKeyRecord},
    refunds::{RefundRecord, RefundSettlement, TestRefund},
    subscription_changes::{
        BillingEntryRecord, CancellationWrite, PastDueWrite, RenewalWrite, SeatCountWrite,
        SubscriptionEndWrite,
    },
    webhook_outbox::{AttemptRecorded, LeasedWebhookEndpoint, WebhookAttempt},
    webhooks::{
        WebhookDeliveryFilter, WebhookDeliveryRecord, WebhookEndpointChange, WebhookEndpointRecord,
        WebhookSendRecord,
    },
};
use crate::{
    model::{
        BenefitGrantId, BenefitId, CheckoutId, CustomerId, Email, EmailId, LicenseKeyActivationId,
        LicenseKeyId, MemberId, MinorUnits, OrderId, OrganizationId, PageRequest, PriceId,
        ProductId, RefundId, SeatId, SubscriptionId, WebhookEndpointId, WebhookSendId,
        metadata::Metadata, seat::SeatPool,
    },
    server::token::TokenHash,
};

/// The persistence contract. Every method is one transaction. Split per aggregate: organizations
/// and tokens here, the catalog in [`CatalogStore`].
#[async_trait]
pub trait Store:
    CatalogStore
    + CustomerStore
    + BillingStore
    + PaymentStore
    + PoolStore
    + SeatStore
    + SubscriptionStore
    + RefundStore
    + EmailStore
    + WebhookStore
    + LicenseKeyStore
    + EntitlementStore
    + SeedStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Applies pending migrations of this backend.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// A round trip to the database.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Closes the pool, waiting for connections in use to be returned.
    async fn close(&self);

    /// Creates an organization together with its first access token.
    async fn create_organization(
        &self,
        organization: &NewOrganization,
        token: &NewAccessToken,
    ) -> Result<OrganizationRecord, StoreError>;

    /// Adds an access token to an existing organization.
    async fn insert_access_token(&self, token: &NewAccessToken) -> Result<(), StoreError>;

    async fn organization(
        &self,
        id: OrganizationId,
    ) -> Result<Option<OrganizationRecord>, StoreError>;

    /// Writes an organization's name, email, proration default and `modified_at`, with `events`.
    async fn update_organization(
        &self,
        organization: &OrganizationRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;

    async fn organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRecord>, StoreError>;

    async fn count_organizations(&self) -> Result<u64, StoreError>;

    /// The live (not revoked, not expired at `now`) token with this hash.
    async fn access_token_by_hash(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<AccessTokenRecord>, StoreError>;

    /// Claims an idempotency key for a request (`hold`), or finds the row of the request that
    /// claimed it first. One statement, so of two requests with one key exactly one claims it.
    async fn claim_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        hold: IdempotencyHold<'_>,
    ) -> Result<IdempotencyClaim, StoreError>;

    /// Takes over a key whose first request died while holding it (lock expired at `hold.now`,
    /// nothing stored) or whose answer is older than `expired_before`; false when neither holds.
    async fn take_over_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        hold: IdempotencyHold<'_>,
        expired_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// The row of a key, if any.
    async fn idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Stores the response of the request holding a key, and releases the hold.
    async fn complete_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;

    /// Forgets a key (its request failed in a way worth retrying).
    async fn release_idempotency_key(&self, key: IdempotencyKey<'_>) -> Result<(), StoreError>;

    /// Forgets keys created before `before`; how many.
    async fn purge_idempotency_keys(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;
}

/// Benefits, products and their prices, and the event outbox. Every write appends its event in the
/// same transaction: a committed change always has its event, a rolled-back one never does.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn insert_benefit(
        &self,
        benefit: &BenefitRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Writes every field of an existing benefit (including its deletion time) and, for a
    /// license-key benefit whose terms changed, re-applies them to the keys it gave that are not
    /// revoked, in the same transaction.
    async fn update_benefit(
        &self,
        benefit: &BenefitRecord,
        event: Option<&NewEvent>,
        keys: Option<&KeyTermsChange>,
    ) -> Result<(), StoreError>;

    /// The benefit, deleted or not, if it belongs to the organization.
    async fn benefit(
        &self,
        organization_id: OrganizationId,
        id: BenefitId,
    ) -> Result<Option<BenefitRecord>, StoreError>;

    /// Live benefits, filtered and sorted (oldest first by default); and their total count.
    async fn list_benefits(
        &self,
        organization_id: OrganizationId,
        filter: &BenefitFilter,
        page: PageRequest,
    ) -> Result<(Vec<BenefitRecord>, u64), StoreError>;

    /// Inserts a product with its prices and benefits.
    async fn insert_product(
        &self,
        product: &ProductRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Writes a product's fields and benefits; with `replace_prices`, archives its prices and inserts
    /// `product.prices` as the new ones.
    async fn update_product(
        &self,
        product: &ProductRecord,
        replace_prices: bool,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    async fn product(
        &self,
        organization_id: OrganizationId,
        id: ProductId,
    ) -> Result<Option<ProductRecord>, StoreError>;

    /// Products, oldest first, filtered; and their total count.
    async fn list_products(
        &self,
        organization_id: OrganizationId,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<(Vec<ProductRecord>, u64), StoreError>;

    /// Every event of the organization's outbox, oldest first.
    async fn events(&self, organization_id: OrganizationId)
    -> Result<Vec<EventRecord>, StoreError>;
}

/// Customers, their members, and customer sessions. Deleted customers and members are kept (for
/// history) but never returned.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Inserts a customer with its owner member and their events.
    async fn insert_customer(
        &self,
        customer: &CustomerRecord,
        owner: &MemberRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;

    /// Writes every field of a customer; a deletion also deletes its members.
    async fn update_customer(
        &self,
        customer: &CustomerRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;

    async fn customer(
        &self,
        organization_id: OrganizationId,
        id: CustomerId,
    ) -> Result<Option<CustomerRecord>, StoreError>;

    /// A customer even if deleted: subscriptions and orders keep showing who bought them.
    async fn customer_even_deleted(
        &self,
        organization_id: OrganizationId,
        id: CustomerId,
    ) -> Result<Option<CustomerRecord>, StoreError>;

    async fn customer_by_external_id(
        &self,
        organization_id: OrganizationId,
        external_id: &str,
    ) -> Result<Option<CustomerRecord>, StoreError>;

    /// Customers, newest first, filtered; and their total count.
    async fn list_customers(
        &self,
        organization_id: OrganizationId,
        filter: &CustomerFilter,
        page: PageRequest,
    ) -> Result<(Vec<CustomerRecord>, u64), StoreError>;

    async fn insert_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Writes every field of a member (including its deletion time).
    async fn update_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    async fn member(
        &self,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Option<MemberRecord>, StoreError>;

    async fn member_by_external_id(
        &self,
        customer_id: CustomerId,
        external_id: &str,
    ) -> Result<Option<MemberRecord>, StoreError>;

    /// The customer's owner member.
    async fn owner(&self, customer_id: CustomerId) -> Result<Option<MemberRecord>, StoreError>;

    /// Live members, filtered and sorted (oldest first by default); and their total count.
    async fn list_members(
        &self,
        customer_id: CustomerId,
        filter: &MemberFilter,
        page: PageRequest,
    ) -> Result<(Vec<MemberRecord>, u64), StoreError>;

    async fn insert_customer_session(&self, session: &NewCustomerSession)
    -> Result<(), StoreError>;

    /// The holder of a live customer or member session with this token hash (a removed member's
    /// sessions are dead), with the member's current role.
    async fn live_session(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// Ends the live session with this token hash now (signing out); false if none was live.
    async fn end_session(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// When a live session ends, and its return URL.
    async fn live_session_terms(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(chrono::DateTime<chrono::Utc>, Option<String>)>, StoreError>;

    /// The live member of `customer_id` with this email.
    async fn member_by_email(
        &self,
        customer_id: CustomerId,
        email: &Email,
    ) -> Result<Option<MemberRecord>, StoreError>;

    /// A member of a customer, even if removed (a seat's history still names them).
    async fn member_even_removed(
        &self,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Option<MemberRecord>, StoreError>;

    /// Every member of a customer, removed ones included (seat history names them).
    async fn all_members(&self, customer_id: CustomerId) -> Result<Vec<MemberRecord>, StoreError>;

    /// Who `email` signs in to the portal of the organization: the owner of the live customer with
    /// that email, else a live owner or billing manager with it, else the live member with it who
    /// claimed a seat last; none otherwise.
    async fn sign_in_holder(
        &self,
        organization_id: OrganizationId,
        email: &Email,
    ) -> Result<Option<SignInHolder>, StoreError>;

    /// Writes a sign-in code (replacing the holder's earlier ones, sweeping expired ones) and
    /// queues the email that carries it, in one transaction.
    async fn insert_session_code(&self, code: &NewSessionCode) -> Result<(), StoreError>;

    /// Spends the live code with this hash (of `organization_id`, when given) and opens `session`
    /// for its holder, in one transaction; the session, or none when no such code is live.
    async fn redeem_session_code(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
        organization_id: Option<OrganizationId>,
        session: &SessionToOpen,
    ) -> Result<Option<NewCustomerSession>, StoreError>;
}

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

    /// The test provider's ledger: true the first time a card that declines once is charged
    /// (recording it), false afterwards.
    async fn first_test_decline(&self, payment_method: &str) -> Result<bool, StoreError>;

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

/// Who is asking and what they may see of a pool: a pool's context, and a credential's caller read
/// together with it.
/// Changes to a subscription after its purchase. Each is one conditional update of the subscription
/// row, ordered with the seat assignments into it: [`StoreError::Stale`] (nothing written) when the
/// subscription is no longer as the change was planned from.
#[async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// Changes the seat count now (with its proration entry), schedules it for the renewal, or drops
    /// the scheduled one. Stale when the count is no longer `from_seats`, the subscription is no
    /// longer renewing, or more seats are given out than the new count.
    async fn change_seat_count(&self, write: &SeatCountWrite) -> Result<(), StoreError>;

    /// Cancels at the period's end, or takes that back. Stale when it already is as asked, or has
    /// ended.
    async fn change_cancellation(&self, write: &CancellationWrite) -> Result<(), StoreError>;

    /// Ends a subscription now and revokes `revokes`. Stale when it had already ended, or when a
    /// seat not in `revokes` is still active (one was assigned after the caller listed them).
    async fn end_subscription(&self, write: &SubscriptionEndWrite) -> Result<(), StoreError>;

    /// Replaces a subscription's metadata, with its events.
    async fn change_subscription_metadata(
        &self,
        id: SubscriptionId,
        metadata: &Metadata,
        now: chrono::DateTime<chrono::Utc>,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;

    /// Live subscriptions due at `now`: their period has ended, or their past-due charge is to be
    /// tried again. The longest due first, at most `limit`.
    async fn due_subscriptions(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<SubscriptionRecord>, StoreError>;

    /// The prorations of a subscription not billed yet, oldest first.
    async fn unbilled_entries(
        &self,
        subscription_id: SubscriptionId,
    ) -> Result<Vec<BillingEntryRecord>, StoreError>;

    /// The payment method a subscription's renewals charge, if one was saved.
    async fn renewal_payment_method(
        &self,
        subscription_id: SubscriptionId,
    ) -> Result<Option<String>, StoreError>;

    /// How many days a past-due subscription of the organization keeps its seats.
    async fn past_due_grace_days(&self, organization_id: OrganizationId)
    -> Result<u32, StoreError>;

    /// Renews a subscription. Stale (nothing written) when it is no longer at `version` (another
    /// process renewed it, or it changed), it has ended, more seats are given out than the new
    /// count, or a proration to bill was billed meanwhile.
    async fn renew_subscription(&self, write: &RenewalWrite) -> Result<(), StoreError>;

    /// Renewing subscriptions whose renewal reminder is due at `now`, at most `limit`.
    async fn due_reminders(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<SubscriptionRecord>, StoreError>;

    /// Marks the reminder of a subscription's coming renewal looked at, queueing `email` if any;
    /// false (nothing written) when it changed since `version`.
    async fn mark_reminded(
        &self,
        id: SubscriptionId,
        version: i64,
        email: Option<&NewEmail>,
    ) -> Result<bool, StoreError>;

    /// How many days before a renewal the organization's customers are reminded of it.
    async fn renewal_reminder_days(
        &self,
        organization_id: OrganizationId,
    ) -> Result<u32, StoreError>;

    /// Whether an order names the charge `reference` (a renewal written by another process).
    async fn charge_is_billed(&self, reference: &str) -> Result<bool, StoreError>;

    /// Leaves a due subscription alone until `until` (its renewal could not be done now), unless it
    /// changed since `version`.
    async fn postpone_renewal(
        &self,
        id: SubscriptionId,
        version: i64,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError>;

    /// Marks a subscription past due after a failed renewal charge. Stale as for a renewal.
    async fn mark_past_due(&self, write: &PastDueWrite) -> Result<(), StoreError>;

    /// Records an invoiced seat change before it is charged: its order (`pending`) and its
    /// proration (billed by that order).
    async fn start_invoiced_change(
        &self,
        order: &OrderRecord,
        entry: &BillingEntryRecord,
    ) -> Result<(), StoreError>;

    /// Applies a charged invoiced change (`write` is a change now) and marks its order paid, with
    /// the events. Stale when the subscription is no longer as planned or the order no longer
    /// pending.
    async fn finish_invoiced_change(
        &self,
        write: &SeatCountWrite,
        order_id: OrderId,
        reference: &str,
    ) -> Result<(), StoreError>;

    /// Forgets an invoiced change that charged nothing (its pending order and proration).
    async fn drop_invoiced_change(&self, order_id: OrderId) -> Result<(), StoreError>;

    /// Marks an invoiced change's pending order refunded, before its charge is given back; false
    /// when it is no longer pending (paid or settled by someone else: nothing to give back).
    async fn refunded_invoiced_change(
        &self,
        order_id: OrderId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// Invoiced changes still pending that were started before `before`, oldest first.
    async fn pending_update_orders(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError>;

    /// The proration an invoiced change's order bills.
    async fn entry_of_order(
        &self,
        order_id: OrderId,
    ) -> Result<Option<BillingEntryRecord>, StoreError>;

    /// A price by id, archived or not: what a subscription bought stays its price.
    async fn price(&self, id: PriceId) -> Result<Option<PriceRecord>, StoreError>;
}

/// Refunds of orders (see `store/refunds.rs`), and the test provider's partial refunds.
#[async_trait]
pub trait RefundStore: Send + Sync {
    /// Reserves `refund.amount` on its order and writes the refund `pending`, with its events;
    /// false (nothing written) when the order is not paid or that much of it is not left to refund.
    async fn start_refund(
        &self,
        refund: &RefundRecord,
        events: &[NewEvent],
    ) -> Result<bool, StoreError>;

    /// What the succeeded refunds of an order gave back.
    async fn succeeded_refunds_total(&self, order_id: OrderId) -> Result<MinorUnits, StoreError>;

    /// Settles a pending refund (see [`RefundSettlement`]). Stale (nothing written) when it was
    /// settled meanwhile, or a seat was assigned in a pool it closes after its seats were listed.
    async fn settle_refund(&self, settlement: &RefundSettlement) -> Result<(), StoreError>;

    async fn refund(
        &self,
        organization_id: OrganizationId,
        id: RefundId,
    ) -> Result<Option<RefundRecord>, StoreError>;

    /// Refunds, newest first by default, filtered; and their total count.
    async fn list_refunds(
        &self,
        organization_id: OrganizationId,
        filter: &RefundFilter,
        page: PageRequest,
    ) -> Result<(Vec<RefundRecord>, u64), StoreError>;

    /// Refunds still pending that were started before `before`: what a crash left.
    async fn pending_refunds(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<RefundRecord>, StoreError>;

    /// The test provider's ledger: records a refund of part of a charge once per key; false when
    /// the charge is unknown or would be refunded beyond what it charged.
    async fn record_test_refund(&self, refund: &TestRefund) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait PoolStore: Send + Sync {
    /// A pool of the organization with its customer, product name and organization, if it exists.
    async fn pool_context(
        &self,
        organization_id: OrganizationId,
        pool: SeatPool,
    ) -> Result<Option<PoolContextRecord>, StoreError>;

    /// The live caller behind a credential and, when `pool` belongs to the caller's organization,
    /// what `read` asks of the pool (its stamp, or its whole context): a request's authentication
    /// and its authorization on a pool in one read. None when the credential is unknown, revoked
    /// or expired.
    async fn caller_on_pool(
        &self,
        credential: &CredentialHash,
        now: chrono::DateTime<chrono::Utc>,
        pool: SeatPool,
        read: PoolRead,
    ) -> Result<Option<CallerOnPool>, StoreError>;
}

/// Customer seats, their grants and audit log. Capacity (`pending + claimed ≤ seats`) is enforced
/// inside [`assign_seat`]'s transaction by a conditional update of the pool's counter, so it holds
/// under any concurrency and across processes; a claim is one conditional update on the token hash.
///
/// [`assign_seat`]: SeatStore::assign_seat
#[async_trait]
pub trait SeatStore: Send + Sync {
    /// Takes one seat of the pool and writes the assignment (member first, seat, grants, email,
    /// audit, events). [`StoreError::NoCapacity`] when the pool is full; [`StoreError::Conflict`]
    /// when the email or member already holds an active seat in the pool. Either way nothing is
    /// written.
    async fn assign_seat(&self, assignment: &SeatAssignment) -> Result<(), StoreError>;

    /// Claims a pending seat whose unexpired token matches; false (nothing written) otherwise.
    async fn claim_seat(&self, claim: &SeatClaimWrite) -> Result<bool, StoreError>;

    /// Replaces a pending seat's token and expiry and queues the new invitation; false (nothing
    /// written) when the seat is not pending.
    async fn resend_seat(&self, resend: &SeatResendWrite) -> Result<bool, StoreError>;

    /// Revokes a pending or claimed seat, frees its place, revokes its grants. False (and nothing
    /// written) when the seat was already revoked.
    async fn revoke_seat(&self, revoke: &SeatRevokeWrite) -> Result<bool, StoreError>;

    /// Reassigns a seat in one transaction: revokes the old seat with its grants and writes the
    /// new seat's assignment in its place, the pool's count unchanged, so no other request can
    /// take the place between the two. False (nothing written) when the old seat was no longer
    /// active; [`StoreError::NoCapacity`] when the pool stopped taking seats (closed, ended);
    /// [`StoreError::Conflict`] when the new holder already holds an active seat in the pool.
    async fn transfer_seat(&self, transfer: &SeatTransferWrite) -> Result<bool, StoreError>;

    /// Closes every pool of a customer to new seats (the first step of deleting it), or reopens
    /// them (a deletion that did not happen).
    async fn close_pools_of_customer(
        &self,
        customer_id: CustomerId,
        closed: bool,
    ) -> Result<(), StoreError>;

    /// Deletes a customer (`customer.deleted_at` set) with its members, closes its pools to new seats
    /// and revokes `revokes`, in one transaction. [`StoreError::Stale`] (nothing written) when a seat
    /// of the customer not in `revokes` is still active: one was assigned after the caller listed
    /// them.
    async fn delete_customer(
        &self,
        customer: &CustomerRecord,
        events: &[NewEvent],
        revokes: &[SeatRevokeWrite],
    ) -> Result<(), StoreError>;

    /// Removes a member and revokes their seats in one transaction.
    async fn remove_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
        revokes: &[SeatRevokeWrite],
    ) -> Result<(), StoreError>;

    async fn seat(
        &self,
        organization_id: OrganizationId,
        id: SeatId,
    ) -> Result<Option<SeatRecord>, StoreError>;

    /// The seat whose current invitation has this hash (any status, any expiry).
    async fn seat_by_invitation(
        &self,
        invitation: &TokenHash,
    ) -> Result<Option<SeatRecord>, StoreError>;

    /// One page of a pool's seats (revoked ones included, optionally of one status), oldest
    /// first; and how many there are.
    async fn seats_of(
        &self,
        pool: SeatPool,
        status: Option<crate::model::seat::SeatStatus>,
        page: PageRequest,
    ) -> Result<(Vec<SeatRecord>, u64), StoreError>;

    /// The pending and claimed seats of a customer's pools.
    async fn active_seats_of_customer(
        &self,
        customer_id: CustomerId,
    ) -> Result<Vec<SeatRecord>, StoreError>;

    /// The pending and claimed seats a member holds, in any pool.
    async fn active_seats_of_member(
        &self,
        member_id: MemberId,
    ) -> Result<Vec<SeatRecord>, StoreError>;

    /// One grant of the organization, revoked or not.
    async fn grant(
        &self,
        organization_id: OrganizationId,
        id: BenefitGrantId,
    ) -> Result<Option<GrantRecord>, StoreError>;

    /// The grants a seat gave, revoked ones too.
    async fn grants_of_seat(&self, seat_id: SeatId) -> Result<Vec<GrantRecord>, StoreError>;

    /// Grants, newest first, filtered; and their total count.
    async fn list_grants(
        &self,
        organization_id: OrganizationId,
        filter: &GrantFilter,
        page: PageRequest,
    ) -> Result<(Vec<GrantRecord>, u64), StoreError>;

    /// One page of the audit log of a pool, oldest first; and how many entries it has.
    async fn seat_audit(
        &self,
        organization_id: OrganizationId,
        pool: SeatPool,
        page: PageRequest,
    ) -> Result<(Vec<AuditRecord>, u64), StoreError>;
}

/// License keys (inserted and revoked with their grants, see [`SeatStore`]) and their activations.
/// Activation limits, usage limits, status and expiry are enforced by single guarded updates, so
/// they hold under any concurrency and across processes.
#[async_trait]
pub trait LicenseKeyStore: Send + Sync {
    /// The keys of one-time orders that `benefit` gave and that are not revoked, with when each
    /// was granted (what a change of the benefit's `expires` re-dates).
    async fn order_keys_of_benefit(
        &self,
        benefit: BenefitId,
    ) -> Result<Vec<(LicenseKeyId, chrono::DateTime<chrono::Utc>)>, StoreError>;

    async fn license_key(
        &self,
        organization_id: OrganizationId,
        id: LicenseKeyId,
    ) -> Result<Option<LicenseKeyRecord>, StoreError>;

    async fn license_key_by_key(
        &self,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<Option<LicenseKeyRecord>, StoreError>;

    /// The key with its customer and member, in one read (what a validation answers).
    async fn held_license_key_by_key(
        &self,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<Option<HeldLicenseKey>, StoreError>;

    /// Keys, oldest first, filtered; and how many match.
    async fn list_license_keys(
        &self,
        organization_id: OrganizationId,
        filter: &LicenseKeyFilter,
        page: PageRequest,
    ) -> Result<(Vec<LicenseKeyRecord>, u64), StoreError>;

    /// The keys `grants` gave (any order).
    async fn license_keys_of_grants(
        &self,
        grants: &[BenefitGrantId],
    ) -> Result<Vec<LicenseKeyRecord>, StoreError>;

    /// A key's live activations, oldest first.
    async fn activations_of(&self, key: LicenseKeyId) -> Result<Vec<ActivationRecord>, StoreError>;

    async fn activation(
        &self,
        key: LicenseKeyId,
        id: LicenseKeyActivationId,
    ) -> Result<Option<ActivationRecord>, StoreError>;

    /// Adds `activation` to its key, taking one of the key's places; the key as it then is. None
    /// (nothing written) when the key is not granted, expired at the activation's time, allows no
    /// activations or has no free place.
    async fn activate_license_key(
        &self,
        activation: &ActivationRecord,
    ) -> Result<Option<LicenseKeyRecord>, StoreError>;

    /// Removes an activation of `key`, freeing its place; false when there is no such activation.
    async fn deactivate_license_key(
        &self,
        key: LicenseKeyId,
        activation: LicenseKeyActivationId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// Counts a validation (and adds `increment_usage` to the usage) and answers the key after it;
    /// none (nothing written) when the key is not granted, expired at `now`, or the usage would
    /// pass its limit.
    async fn validate_license_key(
        &self,
        key: LicenseKeyId,
        increment_usage: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<LicenseKeyRecord>, StoreError>;

    /// Writes `change` field by field; the key after it, none when there is no such key or the
    /// change would take a revoked key out of `revoked` (which is final). Revoking a key deletes
    /// its activations.
    async fn update_license_key(
        &self,
        organization_id: OrganizationId,
        id: LicenseKeyId,
        change: &LicenseKeyChange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<LicenseKeyRecord>, StoreError>;
}

/// What a customer is entitled to, the changes of it that still owe a `customer.state_changed`
/// event, and the keys that sign offline license certificates.
#[async_trait]
pub trait EntitlementStore: Send + Sync {
    /// A customer's active subscriptions, live grants and their benefits: three reads, whatever
    /// the number of grants.
    async fn customer_state(
        &self,
        organization_id: OrganizationId,
        customer_id: CustomerId,
    ) -> Result<CustomerStateRecords, StoreError>;

    /// Up to `limit` customers whose state changed since their last event, oldest change first.
    async fn pending_state_changes(&self, limit: u32) -> Result<Vec<StateChange>, StoreError>;

    /// Clears `change` and writes the `customer.state_changed` event computed for it (none: only
    /// clears it), unless a newer change came meanwhile or another worker told this one: then
    /// nothing is written and the answer is false (the newer change gets its own event).
    async fn write_state_changed(
        &self,
        change: StateChange,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError>;

    /// The organization's signing key in use, if it has made one.
    async fn live_signing_key(
        &self,
        organization_id: OrganizationId,
    ) -> Result<Option<SigningKeyRecord>, StoreError>;

    /// Every signing key of the organization, newest first (retired ones too).
    async fn signing_keys(
        &self,
        organization_id: OrganizationId,
    ) -> Result<Vec<SigningKeyRecord>, StoreError>;

    /// Makes `key` the organization's key in use, retiring the one in use first when
    /// `retire_live` (a rotation); without it, a key made concurrently by another first use
    /// wins. The key in use afterwards.
    async fn insert_signing_key(
        &self,
        key: &SigningKeyRecord,
        retire_live: bool,
    ) -> Result<SigningKeyRecord, StoreError>;
}

/// The email outbox. Emails are inserted by the writes that cause them (see [`SeatStore`]); this
/// is the sender's side.
#[async_trait]
pub trait EmailStore: Send + Sync {
    /// Leases up to `limit` emails due at `now`, oldest first, to the worker `lease` until
    /// `lease_until` (counting an attempt of each); emails another worker holds are skipped. Empty
    /// when nothing is due.
    async fn lease_due_emails(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        lease: uuid::Uuid,
        limit: u32,
    ) -> Result<Vec<EmailRecord>, StoreError>;

    /// Records as delivered those of `ids` that `lease` still holds (one whose lease ran out, or
    /// whose seat changed meanwhile, is not), and how many. With `erase_bodies` the stored bodies
    /// (which carry single-use links) are erased.
    async fn mark_leased_emails_sent(
        &self,
        lease: uuid::Uuid,
        ids: &[EmailId],
        now: chrono::DateTime<chrono::Utc>,
        transport: &str,
        erase_bodies: bool,
    ) -> Result<u64, StoreError>;

    /// Records a failed attempt, only while `lease` holds the email: retried at `retry_at`, or given
    /// up (bodies erased) when none.
    async fn mark_email_failed(
        &self,
        id: EmailId,
        lease: uuid::Uuid,
        error: &str,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// The newest emails, for the development mailbox.
    async fn recent_emails(&self, limit: u32) -> Result<Vec<EmailRecord>, StoreError>;
}

/// Webhook endpoints, the fan-out of outbox events to them, their delivery under leases, and the
/// delivery log.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpointRecord,
    ) -> Result<(), StoreError>;

    async fn webhook_endpoint(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpointRecord>, StoreError>;

    /// The organization's endpoints, oldest first, and how many there are.
    async fn list_webhook_endpoints(
        &self,
        organization_id: OrganizationId,
        page: PageRequest,
    ) -> Result<(Vec<WebhookEndpointRecord>, u64), StoreError>;

    /// Applies `change` field by field (see [`WebhookEndpointChange`]); the endpoint as it is
    /// now, or none when the organization has no such endpoint.
    async fn update_webhook_endpoint(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
        change: &WebhookEndpointChange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<WebhookEndpointRecord>, StoreError>;

    /// Deletes the endpoint with its events and their deliveries; false when there is none.
    async fn delete_webhook_endpoint(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
    ) -> Result<bool, StoreError>;

    /// Fans out up to `limit` queued outbox events to the endpoints subscribed to them, oldest
    /// first, and how many were handled (0: the queue is empty). One dispatcher runs at a time,
    /// also across processes.
    async fn dispatch_webhook_events(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<usize, StoreError>;

    /// Leases up to `limit` enabled endpoints whose oldest pending event is due to the worker
    /// `lease` until `lease_until`; endpoints another worker holds are skipped.
    async fn lease_due_webhook_endpoints(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        lease: uuid::Uuid,
        limit: u32,
    ) -> Result<Vec<LeasedWebhookEndpoint>, StoreError>;

    /// Up to `limit` pending events of an endpoint, in the order they must be sent.
    async fn pending_webhook_sends(
        &self,
        endpoint: WebhookEndpointId,
        limit: u32,
    ) -> Result<Vec<WebhookSendRecord>, StoreError>;

    /// Records attempts of one endpoint, in the order made, in one transaction (the delivery log,
    /// each event's state, the endpoint's run of failures), only while their lease holds: when it
    /// no longer does, none is recorded. `enabled` of the answer is the endpoint's after the last.
    async fn record_webhook_attempts(
        &self,
        attempts: &[WebhookAttempt],
    ) -> Result<AttemptRecorded, StoreError>;

    /// Ends `lease` on the endpoint; it is next due when its oldest pending event is.
    async fn release_webhook_endpoint(
        &self,
        endpoint: WebhookEndpointId,
        lease: uuid::Uuid,
    ) -> Result<(), StoreError>;

    /// A page of the organization's delivery log, newest first, each attempt with its event.
    async fn list_webhook_deliveries(
        &self,
        organization_id: OrganizationId,
        filter: &WebhookDeliveryFilter,
        page: PageRequest,
    ) -> Result<(Vec<(WebhookDeliveryRecord, WebhookSendRecord)>, u64), StoreError>;

    /// Makes an event pending again, due now, with a fresh count of attempts; false when the
    /// organization has no such event.
    async fn redeliver_webhook_send(
        &self,
        organization_id: OrganizationId,
        id: WebhookSendId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;
}

/// Bulk seeding for measurements at scale (`seatkeeper dev seed`): not used while serving.
#[async_trait]
pub trait SeedStore: Send + Sync {
    /// Writes the pools numbered `pools` of `plan`, with their customers, members, seats, audit
    /// entries, sent invitations and grants, in one transaction (see `seed.rs` for their shape).
    async fn seed_pools(
        &self,
        plan: &SeedPlan,
        pools: std::ops::Range<u64>,
    ) -> Result<SeedCounts, StoreError>;

    /// After a bulk load, what the database would otherwise do on its own later: PostgreSQL
    /// vacuums and analyzes the seeded tables (visibility map, planner statistics); SQLite moves its
    /// write-ahead log into the database file.
    async fn settle_after_seed(&self) -> Result<(), StoreError>;
}
