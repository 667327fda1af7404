//! Server functions of the hosted checkout page. The client secret in the page's address is the
//! buyer's capability, as for the public REST endpoints; the same service functions run behind both.

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

/// Pays a checkout for `seats` with the test payment `token`; answers where to go next.
#[server(prefix = "/api", endpoint = "checkout_pay")]
pub async fn pay_checkout(
    client_secret: String,
    seats: u32,
    email: String,
    token: String,
) -> Result<CheckoutPaid, AppError> {
    use crate::model::{Email, billing::CheckoutConfirm};
    let call = super::Call::start()?;
    let email = Email::parse(&email).map_err(|e| {
        call.fail(crate::server::service::ServiceError::invalid_field(
            "customer_email",
            e.to_string(),
        ))
    })?;
    let services = &call.services;
    let confirmed = services
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
        .map_err(|e| call.fail(e))?;
    Ok(CheckoutPaid {
        customer_portal_url: confirmed
            .customer_session_token
            .map(|token| services.portal_url(&confirmed.checkout.organization.slug, &token)),
    })
}
