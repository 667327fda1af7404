//! Payments go through a [`PaymentProvider`]. No real payment network is reachable from a
//! self-hosted test setup, so the built-in [`TestPaymentProvider`] plays one: `tok_visa` pays,
//! `tok_chargeDeclined` is declined. A real provider plugs in behind the same trait.

use async_trait::async_trait;

use crate::model::{Currency, MinorUnits};

/// One charge to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    pub amount: MinorUnits,
    pub currency: Currency,
    /// The payment method token from the checkout form.
    pub token: String,
    pub description: String,
}

/// A successful charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub reference: String,
}

/// Why a charge failed, in words fit for the buyer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("{0}")]
    Declined(String),
    #[error("{0}")]
    InvalidToken(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    async fn charge(&self, charge: &Charge) -> Result<Receipt, PaymentError>;
}

/// Test tokens, named as Stripe's: `tok_visa` succeeds, `tok_chargeDeclined` is declined.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestPaymentProvider;

pub const TOKEN_VISA: &str = "tok_visa";
pub const TOKEN_DECLINED: &str = "tok_chargeDeclined";

#[async_trait]
impl PaymentProvider for TestPaymentProvider {
    async fn charge(&self, charge: &Charge) -> Result<Receipt, PaymentError> {
        match charge.token.as_str() {
            TOKEN_VISA => Ok(Receipt {
                reference: format!("test_{}", uuid::Uuid::new_v4().simple()),
            }),
            TOKEN_DECLINED => Err(PaymentError::Declined(
                "Your card was declined. Try another card.".into(),
            )),
            other => Err(PaymentError::InvalidToken(format!(
                "unknown payment token {other:?}: use {TOKEN_VISA} or {TOKEN_DECLINED} with the test provider"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(token: &str) -> Charge {
        Charge {
            amount: MinorUnits(1000),
            currency: Currency::usd(),
            token: token.into(),
            description: "x".into(),
        }
    }

    #[tokio::test]
    async fn the_visa_test_token_pays_and_the_declined_one_does_not() {
        assert!(
            TestPaymentProvider
                .charge(&charge(TOKEN_VISA))
                .await
                .is_ok()
        );
        assert!(matches!(
            TestPaymentProvider.charge(&charge(TOKEN_DECLINED)).await,
            Err(PaymentError::Declined(_))
        ));
        assert!(matches!(
            TestPaymentProvider.charge(&charge("tok_other")).await,
            Err(PaymentError::InvalidToken(_))
        ));
    }
}
