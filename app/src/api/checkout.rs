//! Server functions of the hosted checkout page. The client secret in the page's address is the
//! buyer's capability, as for the public REST endpoints; the same service functions run behind both.
//!
//! Paying works without JavaScript: the page's form posts here, and a plain form post is answered
//! with a redirect back to the checkout page, which then shows the outcome (paid, or why not).

use leptos::prelude::*;

use crate::model::{
    AppError,
    checkout_view::{CheckoutPaid, CheckoutView},
};

/// The checkout behind a client secret, as the page shows it.
#[server(prefix = "/api", endpoint = "checkout")]
pub async fn get_checkout(client_secret: String) -> Result<CheckoutView, AppError> {
    let call = super::Call::start()?;
    let checkout = call
        .services
        .client_checkout(&client_secret)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(CheckoutView::from(&checkout))
}

/// Pays a checkout for `seats` with the test payment `token`. A portal session the purchase opens
/// is kept in an HttpOnly cookie, never shown.
#[server(prefix = "/api", endpoint = "checkout_pay")]
pub async fn pay_checkout(
    client_secret: String,
    seats: u32,
    email: String,
    token: String,
) -> Result<CheckoutPaid, AppError> {
    use crate::{
        model::{Email, billing::CheckoutConfirm},
        server::service::ServiceError,
    };
    let call = super::Call::start()?;
    // Where a plain form's browser goes next: back to this checkout (the secret is URL-safe).
    let page = client_secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .then(|| format!("/checkout/{client_secret}"));
    let outcome = match Email::parse(&email) {
        Err(e) => Err(ServiceError::invalid_field("customer_email", e.to_string())),
        Ok(email) => {
            call.services
                .client_confirm_checkout(
                    &client_secret,
                    CheckoutConfirm {
                        confirmation_token_id: Some(token),
                        seats: Some(seats),
                        customer_email: Some(email),
                        customer_name: None,
                    },
                )
                .await
        }
    };
    match outcome {
        Ok(confirmed) => {
            if let Some(session) = &confirmed.customer_session_token {
                call.keep_session(session);
            }
            if let (true, Some(page)) = (call.plain_form, &page) {
                call.redirect(page);
            }
            Ok(CheckoutPaid {
                signed_in: confirmed.customer_session_token.is_some(),
            })
        }
        Err(err) => {
            let declined = matches!(
                &err,
                ServiceError::Rejected {
                    error: "PaymentError",
                    ..
                }
            );
            // The error's status first: a plain form's redirect then replaces it.
            let failed = call.fail(err);
            if let (true, Some(page)) = (call.plain_form, &page) {
                let why = if declined { "declined" } else { "failed" };
                call.redirect(&format!("{page}?payment={why}"));
            }
            Err(failed)
        }
    }
}
