//! The buyer's side of a checkout (public, by client secret): changing it, paying it, and the sweeper
//! that settles what a crash left behind.
//!
//! Every write is conditional on the state it read, so no race can pay twice or undo a payment:
//! 1. One transaction moves the checkout from `open` to `confirmed` (with the buyer's last changes)
//!    and records a `pending` payment, *before* anything is charged. Of many confirmations at once
//!    exactly one gets past this step; the others are told the checkout is being paid, or, once it
//!    succeeded, answered as a repeat. A buyer's edit racing a confirmation finds the checkout no
//!    longer open and changes nothing.
//! 2. The provider charges, with the payment's id as idempotency key.
//! 3. One transaction writes the purchase and settles the payment `succeeded`, only while the
//!    payment is still `pending` and the checkout `confirmed`.
//!
//! A decline settles the payment `declined` and reopens the checkout. A purchase that fails after the
//! charge moves the payment to `refunding`, refunds it, then settles it `refunded` and reopens the
//! checkout. A crash anywhere leaves a `pending` or `refunding` payment, which the sweeper
//! ([`Services::settle_unsettled_payments`]) takes once it is older than [`PAYMENT_GRACE`]: it asks the
//! provider whether the charge happened, then completes the purchase (the buyer paid for it), or
//! abandons the payment (nothing was charged), or finishes the refund (`payment_settling.rs`). So no
//! buyer is charged without a purchase, and none twice.

use chrono::TimeDelta;

use crate::{
    model::{
        Email, PaymentId,
        billing::{
            Checkout, CheckoutConfirm, CheckoutConfirmed, CheckoutStatus, CheckoutUpdatePublic,
        },
    },
    server::{
        payment::{Charge, PaymentError},
        store::{
            CheckoutChange, CheckoutRecord, PaymentRecord, PaymentStatus, ProductRecord,
            StoreError, TestCharge,
        },
    },
};

use super::{
    ServiceError, Services,
    checkouts::{pricing_error, pricing_of},
    payment_settling::Settle,
};

/// How long a payment may stay `pending` or `refunding` before the sweeper takes it over: far
/// longer than a confirmation takes, so it never races a live one (and if it did, every step is
/// conditional).
pub const PAYMENT_GRACE: TimeDelta = TimeDelta::minutes(2);

impl Services {
    /// The buyer changes the seat count, email or name of an open checkout; the amount follows.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn client_update_checkout(
        &self,
        client_secret: &str,
        input: CheckoutUpdatePublic,
    ) -> Result<Checkout, ServiceError> {
        let record = self.checkout_by_secret(client_secret).await?;
        self.require_open(&record)?;
        let product = self.product_of_checkout(&record).await?;
        let Some(change) = self.client_change(
            &record,
            &product,
            input.seats,
            input.customer_email,
            input.customer_name,
        )?
        else {
            return self.checkout_wire(&record).await;
        };
        let changed = applied(&change, record);
        let wire = self.checkout_wire(&changed).await?;
        let event = self.event(changed.organization_id, "checkout.updated", &wire)?;
        if !self.store().change_open_checkout(&change, &event).await? {
            let current = self.checkout_by_secret(client_secret).await?;
            self.require_open(&current)?;
        }
        // Answer what is stored: another edit may have landed at the same time.
        self.client_checkout(client_secret).await
    }

    /// The buyer pays. Confirming a checkout that already succeeded answers it again (no new
    /// purchase, no new session); see the module doc for the rest.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn client_confirm_checkout(
        &self,
        client_secret: &str,
        input: CheckoutConfirm,
    ) -> Result<CheckoutConfirmed, ServiceError> {
        let record = self.checkout_by_secret(client_secret).await?;
        if record.status == CheckoutStatus::Succeeded {
            return self.already_paid(&record).await;
        }
        self.require_open(&record)?;
        let product = self.product_of_checkout(&record).await?;
        let change = self.client_change(
            &record,
            &product,
            input.seats,
            input.customer_email,
            input.customer_name,
        )?;
        let now = self.now();
        let changed = match &change {
            Some(change) => applied(change, record.clone()),
            None => record.clone(),
        };
        let Some(email) = changed.customer_email.clone() else {
            return Err(ServiceError::invalid_field(
                "customer_email",
                "an email address is required to buy",
            ));
        };
        let token =
            super::text::optional_text("confirmation_token_id", input.confirmation_token_id)?;
        if changed.amount.get() > 0 && token.is_none() {
            return Err(ServiceError::invalid_field(
                "confirmation_token_id",
                "a payment token is required",
            ));
        }
        let event = if changed == record {
            None
        } else {
            let wire = self.checkout_wire(&changed).await?;
            Some(self.event(changed.organization_id, "checkout.updated", &wire)?)
        };
        let payment = PaymentRecord {
            id: PaymentId::new(),
            organization_id: changed.organization_id,
            checkout_id: changed.id,
            created_at: now,
            modified_at: None,
            amount: changed.amount,
            currency: changed.currency.clone(),
            status: PaymentStatus::Pending,
            reference: None,
            failure: None,
            payment_method: self
                .renewal_payment_method(&product, &changed, token.as_deref())
                .await?,
        };
        // What is charged is written whole, not as a change: an edit that slipped in between this
        // confirmation's read and its write is overwritten, so the checkout always shows what was
        // paid.
        let charged = CheckoutChange {
            id: changed.id,
            now,
            seats_and_amount: Some((changed.seats, changed.amount)),
            customer_email: changed.customer_email.clone(),
            customer_name: Some(changed.customer_name.clone()),
        };
        if !self
            .store()
            .start_payment(&charged, &payment, event.as_ref())
            .await?
        {
            return self.lost_confirmation(client_secret).await;
        }
        let confirmed = CheckoutRecord {
            status: CheckoutStatus::Confirmed,
            modified_at: Some(now),
            ..changed
        };
        self.pay_and_buy(&confirmed, &product, email, &payment, token)
            .await
    }

    /// The payment method a subscription bought with `token` renews with, saved with the provider
    /// before anything is charged (none for a one-time purchase or a free checkout). A token the
    /// provider refuses is the buyer's error, and nothing was written yet.
    async fn renewal_payment_method(
        &self,
        product: &ProductRecord,
        checkout: &CheckoutRecord,
        token: Option<&str>,
    ) -> Result<Option<String>, ServiceError> {
        let Some(token) = token.filter(|_| product.recurring_interval.is_some()) else {
            return Ok(None);
        };
        if checkout.amount.get() == 0 {
            return Ok(None);
        }
        match self.payments.save_payment_method(token).await {
            Ok(method) => Ok(Some(method)),
            Err(PaymentError::Declined(why) | PaymentError::InvalidToken(why)) => {
                Err(ServiceError::rejected("PaymentError", why))
            }
            Err(PaymentError::Unavailable(why)) => {
                tracing::warn!(error = %why, "payment provider unavailable while saving a payment method");
                Err(ServiceError::PaymentPending)
            }
        }
    }

    /// The product of a checkout, as long as its price is still the one the checkout was opened
    /// with: a checkout is paid at the price it shows, never at one changed since.
    pub(super) async fn product_of_checkout(
        &self,
        record: &CheckoutRecord,
    ) -> Result<ProductRecord, ServiceError> {
        let product = self
            .store()
            .product(record.organization_id, record.product_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Product"))?;
        let (_, seat_price) = pricing_of(&product)?;
        if seat_price.id != record.price_id {
            return Err(ServiceError::rejected(
                "CheckoutPriceChanged",
                "the price of this product changed after the checkout was opened; ask the seller \
                 for a new checkout link",
            ));
        }
        Ok(product)
    }

    /// The buyer's change, validated and priced; none when nothing changes.
    fn client_change(
        &self,
        record: &CheckoutRecord,
        product: &ProductRecord,
        seats: Option<u32>,
        email: Option<Email>,
        name: Option<String>,
    ) -> Result<Option<CheckoutChange>, ServiceError> {
        if seats.is_none() && email.is_none() && name.is_none() {
            return Ok(None);
        }
        let seats_and_amount = match seats {
            Some(seats) => {
                if !(record.min_seats..=record.max_seats).contains(&seats) {
                    return Err(ServiceError::invalid_field(
                        "seats",
                        format!(
                            "choose between {} and {} seats (got {seats})",
                            record.min_seats, record.max_seats
                        ),
                    ));
                }
                let (pricing, _) = pricing_of(product)?;
                Some((seats, pricing.amount_for(seats).map_err(pricing_error)?))
            }
            None => None,
        };
        let customer_name = match name {
            Some(name) => Some(super::text::optional_text("customer_name", Some(name))?),
            None => None,
        };
        Ok(Some(CheckoutChange {
            id: record.id,
            now: self.now(),
            seats_and_amount,
            customer_email: email,
            customer_name,
        }))
    }

    /// The answer to a confirmation of a checkout that already succeeded: the checkout, no session.
    async fn already_paid(
        &self,
        record: &CheckoutRecord,
    ) -> Result<CheckoutConfirmed, ServiceError> {
        let checkout = self.checkout_wire(record).await?;
        Ok(confirmed(checkout, None))
    }

    /// Another request got past the conditional step first: answer what it achieved.
    async fn lost_confirmation(
        &self,
        client_secret: &str,
    ) -> Result<CheckoutConfirmed, ServiceError> {
        let current = self.checkout_by_secret(client_secret).await?;
        match self.effective_status(&current) {
            CheckoutStatus::Succeeded => self.already_paid(&current).await,
            CheckoutStatus::Confirmed => Err(ServiceError::Conflict {
                error: "CheckoutNotOpen",
                detail: "this checkout is being paid right now; read it again to see the result"
                    .into(),
            }),
            _ => {
                self.require_open(&current)?;
                Err(ServiceError::rejected(
                    "CheckoutNotOpen",
                    "this checkout changed while it was being confirmed; try again",
                ))
            }
        }
    }

    /// Charges the pending payment and writes the purchase; gives the money back if the purchase
    /// cannot be written.
    async fn pay_and_buy(
        &self,
        checkout: &CheckoutRecord,
        product: &ProductRecord,
        email: Email,
        payment: &PaymentRecord,
        token: Option<String>,
    ) -> Result<CheckoutConfirmed, ServiceError> {
        let reference = match token.filter(|_| payment.amount.get() > 0) {
            None => None,
            Some(token) => {
                let charge = Charge {
                    idempotency_key: payment.id.to_string(),
                    amount: payment.amount,
                    currency: payment.currency.clone(),
                    token,
                    description: format!("{} × {} seats", product.name, checkout.seats),
                };
                match self.payments.charge(&charge, self.now()).await {
                    Ok(receipt) => Some(receipt.reference),
                    Err(PaymentError::Declined(why) | PaymentError::InvalidToken(why)) => {
                        self.settle(payment.id, PaymentStatus::Pending, PaymentStatus::Declined)
                            .failure(&why)
                            .reopen(checkout.id)
                            .write(self)
                            .await?;
                        return Err(ServiceError::rejected("PaymentError", why));
                    }
                    Err(err @ PaymentError::Unavailable(_)) => {
                        // Whether money moved is unknown: the sweeper asks the provider later.
                        tracing::warn!(payment_id = %payment.id, error = %err, "payment outcome unknown; left to the sweeper");
                        return Err(ServiceError::PaymentPending);
                    }
                }
            }
        };
        let (purchase, session) = match self
            .purchase(checkout, product, email, payment, reference.clone())
            .await
        {
            Ok(built) => built,
            Err(err) => {
                self.give_back(payment, reference.as_deref(), &err.to_string())
                    .await;
                return Err(err);
            }
        };
        match self.store().complete_purchase(&purchase).await {
            Ok(()) => {
                let wire = self.checkout_wire(&purchase.checkout).await?;
                let wire = Checkout {
                    status: CheckoutStatus::Confirmed,
                    ..wire
                };
                Ok(confirmed(wire, session.map(|s| s.expose().to_owned())))
            }
            Err(StoreError::Stale(_)) => {
                self.after_stale_purchase(payment, reference.as_deref(), &checkout.client_secret)
                    .await
            }
            Err(err) => {
                self.give_back(payment, reference.as_deref(), &err.to_string())
                    .await;
                Err(err.into())
            }
        }
    }

    /// The purchase found its payment or checkout no longer as it left them. Whatever moved them,
    /// money this request charged is never kept without its purchase: completed by someone else
    /// (the sweeper), the answer is theirs; still pending (the customer vanished meanwhile), it is
    /// given back; abandoned by the sweeper while this request was still charging, the charge is
    /// refunded.
    async fn after_stale_purchase(
        &self,
        payment: &PaymentRecord,
        reference: Option<&str>,
        client_secret: &str,
    ) -> Result<CheckoutConfirmed, ServiceError> {
        let current = self
            .store()
            .payments_of_checkout(payment.checkout_id)
            .await?
            .into_iter()
            .find(|p| p.id == payment.id);
        let refunded = || ServiceError::Conflict {
            error: "PurchaseFailed",
            detail: "the purchase could not be completed and your payment was refunded; try again"
                .into(),
        };
        match current.map(|p| p.status) {
            Some(PaymentStatus::Succeeded) | None => self.lost_confirmation(client_secret).await,
            Some(PaymentStatus::Pending) => {
                self.give_back(payment, reference, "the purchase could not be written")
                    .await;
                Err(refunded())
            }
            Some(PaymentStatus::Abandoned) => {
                if let Some(reference) = reference {
                    self.refund(payment, reference, PaymentStatus::Abandoned)
                        .await?
                        .reference(reference)
                        .failure("charged after the sweeper gave the payment up; refunded")
                        .write(self)
                        .await?;
                }
                Err(refunded())
            }
            Some(_) => Err(refunded()),
        }
    }

    /// A payment whose purchase could not be written: refund what was charged and reopen the
    /// checkout. Each step is conditional, so a purchase the sweeper committed meanwhile is never
    /// refunded. Failures are logged and left to the sweeper (the caller reports the original error).
    pub(super) async fn give_back(
        &self,
        payment: &PaymentRecord,
        reference: Option<&str>,
        why: &str,
    ) {
        let outcome = match reference {
            None => self
                .settle(payment.id, PaymentStatus::Pending, PaymentStatus::Abandoned)
                .failure(why)
                .reopen(payment.checkout_id)
                .write(self)
                .await
                .map(|_| ()),
            Some(reference) => {
                match self
                    .settle(payment.id, PaymentStatus::Pending, PaymentStatus::Refunding)
                    .failure(why)
                    .reference(reference)
                    .write(self)
                    .await
                {
                    Ok(true) => self.finish_refund(payment, reference).await,
                    Ok(false) => Ok(()),
                    Err(err) => Err(err),
                }
            }
        };
        if let Err(err) = outcome {
            tracing::error!(payment_id = %payment.id, error = %err, "could not give a payment back; the sweeper will retry");
        }
    }

    /// Refunds a `refunding` payment, then settles it `refunded` and reopens its checkout.
    pub(super) async fn finish_refund(
        &self,
        payment: &PaymentRecord,
        reference: &str,
    ) -> Result<(), ServiceError> {
        self.refund(payment, reference, PaymentStatus::Refunding)
            .await?
            .reopen(payment.checkout_id)
            .write(self)
            .await?;
        tracing::info!(payment_id = %payment.id, "payment refunded");
        Ok(())
    }

    /// Refunds the charge `reference` through the provider; then the payment's move from `from`
    /// to `refunded` is the caller's to write.
    async fn refund(
        &self,
        payment: &PaymentRecord,
        reference: &str,
        from: PaymentStatus,
    ) -> Result<Settle, ServiceError> {
        self.payments
            .refund(reference, self.now())
            .await
            .map_err(|_| ServiceError::PaymentPending)?;
        Ok(self.settle(payment.id, from, PaymentStatus::Refunded))
    }

    /// The built-in test provider's ledger, oldest first (test mode only: `/v1/_test/payments`).
    pub async fn test_charges(&self) -> Result<Vec<TestCharge>, ServiceError> {
        Ok(self.store().test_charges().await?)
    }

    /// The payments of a checkout, oldest first (test mode only: `/v1/_test/payments`).
    pub async fn payments_of_checkout(
        &self,
        checkout: crate::model::CheckoutId,
    ) -> Result<Vec<PaymentRecord>, ServiceError> {
        Ok(self.store().payments_of_checkout(checkout).await?)
    }
}

/// `record` with `change` applied (what the conditional update writes).
fn applied(change: &CheckoutChange, mut record: CheckoutRecord) -> CheckoutRecord {
    if let Some((seats, amount)) = change.seats_and_amount {
        record.seats = seats;
        record.amount = amount;
    }
    if let Some(email) = &change.customer_email {
        record.customer_email = Some(email.clone());
    }
    if let Some(name) = &change.customer_name {
        record.customer_name = name.clone();
    }
    if change.seats_and_amount.is_some()
        || change.customer_email.is_some()
        || change.customer_name.is_some()
    {
        record.modified_at = Some(change.now);
    }
    record
}

fn confirmed(checkout: Checkout, session: Option<String>) -> CheckoutConfirmed {
    CheckoutConfirmed {
        checkout: Checkout {
            status: CheckoutStatus::Confirmed,
            ..checkout
        },
        customer_session_token: session,
    }
}
