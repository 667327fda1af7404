//! Payments go through a [`PaymentProvider`]. No real payment network is reachable from a
//! self-hosted test setup, so the built-in [`TestPaymentProvider`] plays one: `tok_visa` pays,
//! `tok_chargeDeclined` is declined, `tok_visa_slow` pays after a few seconds (the charge is recorded
//! first, so a crash in between leaves a charge without a purchase). A real provider plugs in behind
//! the same trait.
//!
//! A subscription's renewals charge a payment method saved when its checkout is confirmed
//! ([`PaymentProvider::save_payment_method`]): a reusable reference, never card data. With the test
//! provider, `tok_visa` saves `pm_card_visa`, which always pays (`tok_visa_slow` a slow one);
//! `tok_visa_renewal_declined` pays at checkout but saves `pm_card_renewal_declined`, which declines
//! every later charge (how a test makes a renewal fail); `tok_visa_renewal_declined_once` saves a
//! card that declines its first later charge only (a past-due subscription that recovers).
//!
//! Every charge carries an idempotency key (the id of the checkout payment recorded before charging):
//! charging twice with one key charges once, and [`PaymentProvider::find_charge`] tells, after a
//! crash, whether a payment whose outcome was never recorded did charge. The test provider keeps its
//! ledger in the database (like a real provider, it outlives the server process), so tests can count
//! charges and refunds.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    model::{Currency, MinorUnits},
    server::store::{Store, StoreError, TestCharge, TestRefund},
};

/// One charge to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// Charging twice with the same key charges once (the second call answers the first charge).
    pub idempotency_key: String,
    pub amount: MinorUnits,
    pub currency: Currency,
    /// The payment method token from the checkout form.
    pub token: String,
    pub description: String,
}

/// A successful charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's id of the charge (what a refund names).
    pub reference: String,
}

/// Why a charge failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The payment method was refused; nothing was charged. In words fit for the buyer.
    #[error("{0}")]
    Declined(String),
    /// The token is not one the provider knows; nothing was charged.
    #[error("{0}")]
    InvalidToken(String),
    /// The provider could not be reached or failed: whether money moved is unknown until
    /// [`PaymentProvider::find_charge`] says.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// Charges, once per idempotency key.
    async fn charge(&self, charge: &Charge, now: DateTime<Utc>) -> Result<Receipt, PaymentError>;

    /// Gives a charge's money back (idempotent: refunding a refunded charge changes nothing).
    async fn refund(&self, reference: &str, now: DateTime<Utc>) -> Result<(), PaymentError>;

    /// The charge made under `idempotency_key`, if any: how a payment whose outcome a crash lost is
    /// reconciled.
    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<Receipt>, PaymentError>;

    /// Gives back `amount` of a charge, once per `idempotency_key` (asking again answers the first
    /// refund). Declined when more than what is left of the charge is asked.
    async fn refund_part(
        &self,
        reference: &str,
        amount: MinorUnits,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PaymentError>;

    /// Saves the payment method behind a checkout's `token` for later charges made without the
    /// customer (renewals); answers its reusable reference, which [`Charge::token`] may carry.
    async fn save_payment_method(&self, token: &str) -> Result<String, PaymentError>;
}

/// Test tokens, named as Stripe's.
pub const TOKEN_VISA: &str = "tok_visa";
/// Pays at checkout; the payment method it saves declines every later charge.
pub const TOKEN_VISA_RENEWAL_DECLINED: &str = "tok_visa_renewal_declined";
/// Pays at checkout; the payment method it saves declines its first later charge, then pays.
pub const TOKEN_VISA_RENEWAL_DECLINED_ONCE: &str = "tok_visa_renewal_declined_once";
/// The saved cards of [`TOKEN_VISA_RENEWAL_DECLINED_ONCE`]: this, then a unique suffix.
pub const METHOD_DECLINES_ONCE: &str = "pm_card_declines_once_";
/// Saved payment methods of the test provider.
pub const METHOD_VISA: &str = "pm_card_visa";
/// Saved by [`TOKEN_VISA_SLOW`]: pays, answering after [`SLOW_CHARGE`] (for crash tests of renewals).
pub const METHOD_VISA_SLOW: &str = "pm_card_visa_slow";
pub const METHOD_RENEWAL_DECLINED: &str = "pm_card_renewal_declined";
pub const TOKEN_DECLINED: &str = "tok_chargeDeclined";
/// Pays, but answers only after [`SLOW_CHARGE`]: the charge is in the ledger before the answer, as
/// with a real network whose reply is slow (what the crash test kills the server during).
pub const TOKEN_VISA_SLOW: &str = "tok_visa_slow";
/// How long [`TOKEN_VISA_SLOW`] takes.
pub const SLOW_CHARGE: Duration = Duration::from_secs(5);

/// The built-in provider for tests and demos. Its ledger lives in the database (table
/// `test_payment_charges`), outside the transactions of the purchase it pays for.
#[derive(Clone)]
pub struct TestPaymentProvider {
    ledger: Arc<dyn Store>,
}

impl TestPaymentProvider {
    pub fn new(ledger: Arc<dyn Store>) -> Self {
        Self { ledger }
    }
}

fn unavailable(err: StoreError) -> PaymentError {
    PaymentError::Unavailable(err.to_string())
}

#[async_trait]
impl PaymentProvider for TestPaymentProvider {
    async fn charge(&self, charge: &Charge, now: DateTime<Utc>) -> Result<Receipt, PaymentError> {
        if charge.token.starts_with(METHOD_DECLINES_ONCE)
            && self
                .ledger
                .first_test_decline(&charge.token)
                .await
                .map_err(unavailable)?
        {
            return Err(PaymentError::Declined(
                "The saved card was declined.".into(),
            ));
        }
        let slow = match charge.token.as_str() {
            method if method.starts_with(METHOD_DECLINES_ONCE) => false,
            TOKEN_VISA
            | TOKEN_VISA_RENEWAL_DECLINED
            | TOKEN_VISA_RENEWAL_DECLINED_ONCE
            | METHOD_VISA => false,
            TOKEN_VISA_SLOW | METHOD_VISA_SLOW => true,
            TOKEN_DECLINED => {
                return Err(PaymentError::Declined(
                    "Your card was declined. Try another card.".into(),
                ));
            }
            METHOD_RENEWAL_DECLINED => {
                return Err(PaymentError::Declined(
                    "The saved card was declined.".into(),
                ));
            }
            other => {
                return Err(PaymentError::InvalidToken(format!(
                    "unknown payment token {other:?}: use {TOKEN_VISA} or {TOKEN_DECLINED} with the \
                     test provider"
                )));
            }
        };
        let recorded = TestCharge {
            reference: format!("test_ch_{}", uuid::Uuid::new_v4().simple()),
            idempotency_key: charge.idempotency_key.clone(),
            created_at: now,
            amount: charge.amount,
            currency: charge.currency.clone(),
            description: charge.description.clone(),
            refunded_at: None,
        };
        let reference = self
            .ledger
            .record_test_charge(&recorded)
            .await
            .map_err(unavailable)?;
        if slow {
            tokio::time::sleep(SLOW_CHARGE).await;
        }
        Ok(Receipt { reference })
    }

    async fn refund(&self, reference: &str, now: DateTime<Utc>) -> Result<(), PaymentError> {
        self.ledger
            .refund_test_charge(reference, now)
            .await
            .map_err(unavailable)
    }

    async fn refund_part(
        &self,
        reference: &str,
        amount: MinorUnits,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PaymentError> {
        let refund = TestRefund {
            idempotency_key: idempotency_key.to_owned(),
            charge_reference: reference.to_owned(),
            amount,
            created_at: now,
        };
        if self
            .ledger
            .record_test_refund(&refund)
            .await
            .map_err(unavailable)?
        {
            Ok(())
        } else {
            Err(PaymentError::Declined(
                "the charge is unknown, or less of it is left to refund".into(),
            ))
        }
    }

    async fn save_payment_method(&self, token: &str) -> Result<String, PaymentError> {
        match token {
            TOKEN_VISA => Ok(METHOD_VISA.to_owned()),
            TOKEN_VISA_SLOW => Ok(METHOD_VISA_SLOW.to_owned()),
            TOKEN_VISA_RENEWAL_DECLINED => Ok(METHOD_RENEWAL_DECLINED.to_owned()),
            TOKEN_VISA_RENEWAL_DECLINED_ONCE => Ok(format!(
                "{METHOD_DECLINES_ONCE}{}",
                uuid::Uuid::new_v4().simple()
            )),
            TOKEN_DECLINED => Err(PaymentError::Declined(
                "Your card was declined. Try another card.".into(),
            )),
            other => Err(PaymentError::InvalidToken(format!(
                "unknown payment token {other:?}: use {TOKEN_VISA} or {TOKEN_DECLINED} with the \
                 test provider"
            ))),
        }
    }

    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<Receipt>, PaymentError> {
        Ok(self
            .ledger
            .test_charge_by_key(idempotency_key)
            .await
            .map_err(unavailable)?
            .map(|charge| Receipt {
                reference: charge.reference,
            }))
    }
}
