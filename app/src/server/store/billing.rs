//! Records of checkouts, subscriptions and orders, and their rows.

use chrono::{DateTime, Utc};

use crate::model::{
    CheckoutId, Currency, CustomerId, Email, MinorUnits, Named, OrderId, OrganizationId, PaymentId,
    PriceId, ProductId, SubscriptionId,
    billing::{BillingReason, CheckoutStatus, OrderItem, OrderStatus, SubscriptionStatus},
    metadata::Metadata,
    product::RecurringInterval,
};

use super::{CustomerRecord, MemberRecord, NewCustomerSession, NewEvent, StoreError};

#[derive(Clone, Debug, PartialEq)]
pub struct CheckoutRecord {
    pub id: CheckoutId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub client_secret: String,
    pub status: CheckoutStatus,
    pub expires_at: DateTime<Utc>,
    pub product_id: ProductId,
    pub price_id: PriceId,
    pub seats: u32,
    pub min_seats: u32,
    pub max_seats: u32,
    pub amount: MinorUnits,
    pub currency: Currency,
    pub customer_id: Option<CustomerId>,
    pub customer_email: Option<Email>,
    pub customer_name: Option<String>,
    pub external_customer_id: Option<String>,
    pub success_url: Option<String>,
    pub metadata: Metadata,
    pub subscription_id: Option<SubscriptionId>,
    pub order_id: Option<OrderId>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SubscriptionRecord {
    pub id: SubscriptionId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub price_id: PriceId,
    pub checkout_id: Option<CheckoutId>,
    pub status: SubscriptionStatus,
    #[sqlx(try_from = "i64")]
    pub seats: u32,
    #[sqlx(try_from = "i64")]
    pub amount: MinorUnits,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub recurring_interval: RecurringInterval,
    pub current_period_start: DateTime<Utc>,
    pub current_period_end: DateTime<Utc>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "String")]
    pub metadata: Metadata,
    #[sqlx(flatten)]
    pub changes: SubscriptionChanges,
}

/// What happened to a subscription after its purchase: the seats given out of it, a seat count
/// scheduled for the renewal, why it was cancelled. A new subscription has none of it.
#[derive(Clone, Debug, Default, PartialEq, sqlx::FromRow)]
pub struct SubscriptionChanges {
    /// Pending and claimed seats (the pool's capacity counter).
    #[sqlx(try_from = "i64")]
    pub used_seats: u32,
    pending_seats: Option<i64>,
    pending_update_id: Option<uuid::Uuid>,
    pending_update_created_at: Option<DateTime<Utc>>,
    pub customer_cancellation_reason: Option<String>,
    pub customer_cancellation_comment: Option<String>,
    /// Since when a renewal's charge has been failing, if it is.
    pub past_due_at: Option<DateTime<Utc>>,
    /// When a past-due renewal is charged again (or a postponed one tried).
    pub retry_at: Option<DateTime<Utc>>,
    /// Moves with every change of its terms (see the migration `0014`).
    pub version: i64,
}

/// A seat count scheduled for a subscription's renewal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledSeats {
    pub id: uuid::Uuid,
    pub created_at: DateTime<Utc>,
    pub seats: u32,
}

impl SubscriptionChanges {
    /// Schedules `scheduled` for the renewal (replacing any).
    pub fn schedule(&mut self, scheduled: ScheduledSeats) {
        self.pending_seats = Some(i64::from(scheduled.seats));
        self.pending_update_id = Some(scheduled.id);
        self.pending_update_created_at = Some(scheduled.created_at);
    }

    /// Drops the count scheduled for the renewal.
    pub fn clear_scheduled(&mut self) {
        self.pending_seats = None;
        self.pending_update_id = None;
        self.pending_update_created_at = None;
    }

    /// The seat count scheduled for the renewal, if any.
    pub fn scheduled(&self) -> Option<ScheduledSeats> {
        let seats = u32::try_from(self.pending_seats?).ok()?;
        Some(ScheduledSeats {
            id: self.pending_update_id?,
            created_at: self.pending_update_created_at?,
            seats,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderRecord {
    pub id: OrderId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub subscription_id: Option<SubscriptionId>,
    pub checkout_id: Option<CheckoutId>,
    pub status: OrderStatus,
    pub billing_reason: BillingReason,
    pub seats: u32,
    pub subtotal_amount: MinorUnits,
    pub total_amount: MinorUnits,
    pub currency: Currency,
    pub items: Vec<OrderItem>,
    pub metadata: Metadata,
    /// How much of it was refunded (or is being refunded).
    pub refunded_amount: MinorUnits,
    /// The payment provider's reference of the charge that paid it (what a refund names); none
    /// for a free order.
    pub payment_reference: Option<String>,
}

/// How a purchase touches the buying customer.
#[derive(Clone, Debug, PartialEq)]
pub enum CustomerWrite {
    /// A new customer with its owner member.
    Insert(CustomerRecord, MemberRecord),
    /// An existing customer whose fields changed (e.g. became `team`).
    Update(CustomerRecord),
}

/// Everything a paid checkout writes, in one transaction. It commits only while its payment is
/// still `pending` and its checkout `confirmed` (else [`StoreError::Stale`], nothing written): of
/// two requests (or a request and the sweeper) finishing one payment, exactly one buys.
#[derive(Clone, Debug, PartialEq)]
pub struct Purchase {
    pub checkout: CheckoutRecord,
    pub customer: CustomerWrite,
    pub subscription: Option<SubscriptionRecord>,
    pub order: OrderRecord,
    pub events: Vec<NewEvent>,
    /// The payment this purchase settles (`pending` → `succeeded`) and the provider's reference of
    /// its charge (none for a free checkout).
    pub payment: PaymentId,
    pub payment_reference: Option<String>,
    /// The payment method the subscription's renewals charge, if one was saved.
    pub payment_method: Option<String>,
    /// When to look whether to remind the customer of the subscription's first renewal.
    pub remind_at: Option<DateTime<Utc>>,
    /// A portal session for the buyer, only when the checkout created the customer or the merchant
    /// bound it to one (see the checkouts service).
    pub session: Option<NewCustomerSession>,
}

/// A buyer's change to an open checkout. Only the fields given change (two edits racing each other
/// both land); `seats` and `amount` move together.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckoutChange {
    pub id: CheckoutId,
    pub now: DateTime<Utc>,
    pub seats_and_amount: Option<(u32, MinorUnits)>,
    pub customer_email: Option<Email>,
    /// `Some(None)` clears the name.
    pub customer_name: Option<Option<String>>,
}

/// Where a checkout payment is (see migration `0008_checkout_payments.sql`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, sqlx::Type,
)]
#[strum(serialize_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Recorded before the provider is asked to charge; the outcome is not known yet.
    Pending,
    /// The purchase committed.
    Succeeded,
    /// The provider refused the payment method; nothing was charged.
    Declined,
    /// Charged, but the purchase failed: the money is being given back.
    Refunding,
    Refunded,
    /// Left pending by a crash, and the provider has no charge for it.
    Abandoned,
}

impl Named for PaymentStatus {}

/// One attempt to pay a checkout.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct PaymentRecord {
    /// Also the payment provider's idempotency key.
    pub id: PaymentId,
    pub organization_id: OrganizationId,
    pub checkout_id: CheckoutId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "i64")]
    pub amount: MinorUnits,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub status: PaymentStatus,
    /// The provider's id of the charge, once known.
    pub reference: Option<String>,
    /// Why it did not succeed.
    pub failure: Option<String>,
    /// The payment method saved for a subscription's renewals (the provider's reference).
    pub payment_method: Option<String>,
}

/// A conditional move of a payment: `from` → `to` (else nothing is written), and, for a payment that
/// did not buy, its checkout back to `open` in the same transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentSettlement {
    pub payment: PaymentId,
    pub from: PaymentStatus,
    pub to: PaymentStatus,
    pub now: DateTime<Utc>,
    /// The provider's reference of the charge (kept when none).
    pub reference: Option<String>,
    /// Why the payment did not succeed (kept when none).
    pub failure: Option<String>,
    /// The checkout to reopen (`confirmed` → `open`).
    pub reopen: Option<CheckoutId>,
}

/// A charge in the test payment provider's ledger.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct TestCharge {
    pub reference: String,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "i64")]
    pub amount: MinorUnits,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub description: String,
    pub refunded_at: Option<DateTime<Utc>>,
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

fn count(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| corrupt(what, e))
}

fn currency(raw: &str) -> Result<Currency, StoreError> {
    Currency::parse(raw).map_err(|e| corrupt("currency", e))
}

#[derive(sqlx::FromRow)]
pub(super) struct CheckoutRow {
    id: CheckoutId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    client_secret: String,
    status: CheckoutStatus,
    expires_at: DateTime<Utc>,
    product_id: ProductId,
    price_id: PriceId,
    seats: i64,
    min_seats: i64,
    max_seats: i64,
    amount: i64,
    currency: String,
    customer_id: Option<CustomerId>,
    customer_email: Option<String>,
    customer_name: Option<String>,
    external_customer_id: Option<String>,
    success_url: Option<String>,
    metadata: String,
    subscription_id: Option<SubscriptionId>,
    order_id: Option<OrderId>,
}

impl TryFrom<CheckoutRow> for CheckoutRecord {
    type Error = StoreError;

    fn try_from(r: CheckoutRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            client_secret: r.client_secret,
            status: r.status,
            expires_at: r.expires_at,
            product_id: r.product_id,
            price_id: r.price_id,
            seats: count(r.seats, "seats")?,
            min_seats: count(r.min_seats, "min_seats")?,
            max_seats: count(r.max_seats, "max_seats")?,
            amount: MinorUnits(r.amount),
            currency: currency(&r.currency)?,
            customer_id: r.customer_id,
            customer_email: r
                .customer_email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|e| corrupt("email", e))?,
            customer_name: r.customer_name,
            external_customer_id: r.external_customer_id,
            success_url: r.success_url,
            metadata: serde_json::from_str(&r.metadata)
                .map_err(|e| corrupt("checkout metadata", e))?,
            subscription_id: r.subscription_id,
            order_id: r.order_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OrderRow {
    id: OrderId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    customer_id: CustomerId,
    product_id: ProductId,
    subscription_id: Option<SubscriptionId>,
    checkout_id: Option<CheckoutId>,
    status: OrderStatus,
    billing_reason: BillingReason,
    seats: i64,
    subtotal_amount: i64,
    total_amount: i64,
    currency: String,
    items: String,
    metadata: String,
    refunded_amount: i64,
    payment_reference: Option<String>,
}

impl TryFrom<OrderRow> for OrderRecord {
    type Error = StoreError;

    fn try_from(r: OrderRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            customer_id: r.customer_id,
            product_id: r.product_id,
            subscription_id: r.subscription_id,
            checkout_id: r.checkout_id,
            status: r.status,
            billing_reason: r.billing_reason,
            seats: count(r.seats, "seats")?,
            subtotal_amount: MinorUnits(r.subtotal_amount),
            total_amount: MinorUnits(r.total_amount),
            currency: currency(&r.currency)?,
            items: serde_json::from_str(&r.items).map_err(|e| corrupt("order items", e))?,
            metadata: serde_json::from_str(&r.metadata)
                .map_err(|e| corrupt("order metadata", e))?,
            refunded_amount: MinorUnits(r.refunded_amount),
            payment_reference: r.payment_reference,
        })
    }
}
