//! Settling payments: a conditional move of a payment's status ([`Settle`]), and the sweeper that
//! settles what a crash left `pending` or `refunding` (see `payments.rs` for the whole protocol).

use crate::{
    model::PaymentId,
    server::store::{PaymentRecord, PaymentSettlement, PaymentStatus, StoreError},
};

use super::{ServiceError, Services, payments::PAYMENT_GRACE};

/// How many payments one sweep settles at most.
const SWEEP_BATCH: u32 = 50;

impl Services {
    /// The sweeper: settles payments a crash left `pending` or `refunding` for longer than
    /// [`PAYMENT_GRACE`]. Returns how many it looked at. Safe with several processes sweeping at
    /// once: every move is conditional.
    pub async fn settle_unsettled_payments(&self) -> Result<usize, ServiceError> {
        let before = self.now() - PAYMENT_GRACE;
        let payments = self.store().unsettled_payments(before, SWEEP_BATCH).await?;
        for payment in &payments {
            if let Err(err) = self.settle_left_payment(payment).await {
                tracing::warn!(payment_id = %payment.id, error = %err, "could not settle a payment yet");
            }
        }
        Ok(payments.len())
    }

    async fn settle_left_payment(&self, payment: &PaymentRecord) -> Result<(), ServiceError> {
        if payment.status == PaymentStatus::Refunding {
            let reference = payment.reference.clone().unwrap_or_default();
            return self.finish_refund(payment, &reference).await;
        }
        let charged = if payment.amount.get() > 0 {
            let found = self
                .payments
                .find_charge(&payment.id.to_string())
                .await
                .map_err(|_| ServiceError::PaymentPending)?;
            match found {
                Some(receipt) => Some(receipt.reference),
                None => {
                    self.settle(payment.id, PaymentStatus::Pending, PaymentStatus::Abandoned)
                        .failure("the server stopped before the payment was charged")
                        .reopen(payment.checkout_id)
                        .write(self)
                        .await?;
                    tracing::info!(payment_id = %payment.id, "unfinished payment abandoned: nothing was charged");
                    return Ok(());
                }
            }
        } else {
            None
        };
        // Charged (or free) but never bought: finish the purchase the buyer paid for.
        let checkout = self
            .store()
            .checkout(payment.organization_id, payment.checkout_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Checkout"))?;
        let bought = match (
            &checkout.customer_email,
            self.product_of_checkout(&checkout).await,
        ) {
            (Some(email), Ok(product)) => {
                self.purchase(&checkout, &product, email.clone(), payment, charged.clone())
                    .await
            }
            (None, _) => Err(ServiceError::invalid_field(
                "customer_email",
                "the checkout has no email",
            )),
            (_, Err(err)) => Err(err),
        };
        let outcome = match bought {
            Ok((purchase, _session)) => self.store().complete_purchase(&purchase).await,
            Err(err) => {
                self.give_back(payment, charged.as_deref(), &err.to_string())
                    .await;
                return Ok(());
            }
        };
        match outcome {
            Ok(()) => {
                tracing::info!(payment_id = %payment.id, "unfinished payment completed: purchase written");
                Ok(())
            }
            Err(StoreError::Stale(_)) => Ok(()),
            Err(err) => {
                self.give_back(payment, charged.as_deref(), &err.to_string())
                    .await;
                Ok(())
            }
        }
    }

    /// A conditional move of a payment, built step by step.
    pub(super) fn settle(
        &self,
        payment: PaymentId,
        from: PaymentStatus,
        to: PaymentStatus,
    ) -> Settle {
        Settle(PaymentSettlement {
            payment,
            from,
            to,
            now: self.now(),
            reference: None,
            failure: None,
            reopen: None,
        })
    }
}

/// A [`PaymentSettlement`] being built.
pub(super) struct Settle(PaymentSettlement);

impl Settle {
    pub(super) fn failure(mut self, why: &str) -> Self {
        self.0.failure = Some(why.to_owned());
        self
    }

    pub(super) fn reference(mut self, reference: &str) -> Self {
        self.0.reference = Some(reference.to_owned());
        self
    }

    pub(super) fn reopen(mut self, checkout: crate::model::CheckoutId) -> Self {
        self.0.reopen = Some(checkout);
        self
    }

    /// Writes it; false when the payment was no longer in the expected status.
    pub(super) async fn write(self, services: &Services) -> Result<bool, ServiceError> {
        Ok(services.store().settle_payment(&self.0).await?)
    }
}
