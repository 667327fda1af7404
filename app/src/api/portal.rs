//! Server functions of the customer portal (`/{org_slug}/portal`). The session is the HttpOnly
//! cookie (left by a sign-in link or a claim); each function checks it belongs to the page's
//! organization, then calls the service the REST portal endpoints call, as that session.
//!
//! The actions work without JavaScript: a plain form's post is answered with a redirect back to
//! the portal (which shows the new state); hydrated, the page shows the result in place.

use leptos::prelude::*;

use crate::model::{AppError, portal_view::PortalOverview};

/// The signed-in person's pools and seats.
#[server(prefix = "/api", endpoint = "portal_overview")]
pub async fn get_portal_overview(org: String) -> Result<PortalOverview, AppError> {
    let call = super::Call::start()?;
    let caller = call.portal_caller(&org).await?;
    call.services
        .portal_overview(&caller)
        .await
        .map_err(|e| call.fail(e))
}

/// Invites `email` to a seat of the pool (`pool` is `subscription:<id>` or `order:<id>`); answers
/// the invited email.
#[server(prefix = "/api", endpoint = "portal_invite")]
pub async fn portal_invite(org: String, pool: String, email: String) -> Result<String, AppError> {
    use crate::model::{Email, seat::SeatAssign};
    use crate::server::service::{Credential, SeatCaller, ServiceError};
    let call = super::Call::start()?;
    let result = async {
        let caller = call.portal_caller(&org).await?;
        let email = Email::parse(email.trim()).map_err(|_| {
            call.fail(ServiceError::invalid_field(
                "email",
                "enter an email address like name@example.com",
            ))
        })?;
        let mut assign = SeatAssign {
            email: Some(email.clone()),
            ..SeatAssign::default()
        };
        match pool.split_once(':') {
            Some(("subscription", id)) => assign.subscription_id = id.parse().ok(),
            Some(("order", id)) => assign.order_id = id.parse().ok(),
            _ => {}
        }
        if assign.subscription_id.is_none() && assign.order_id.is_none() {
            return Err(call.fail(ServiceError::not_found("Subscription")));
        }
        let caller = SeatCaller::Portal(caller);
        call.services
            .assign_seat(Credential::Caller(&caller), assign)
            .await
            .map_err(|e| call.fail(e))?;
        Ok(email.to_string())
    }
    .await;
    call.back_to_portal(&org, result.is_ok());
    result
}

/// Revokes a seat's access; answers its email.
#[server(prefix = "/api", endpoint = "portal_revoke")]
pub async fn portal_revoke(org: String, seat_id: String) -> Result<String, AppError> {
    let call = super::Call::start()?;
    let result = async {
        let caller = call.seat_caller(&org).await?;
        let id = call.seat_id(&seat_id)?;
        let seat = call
            .services
            .revoke_seat(&caller, id)
            .await
            .map_err(|e| call.fail(e))?;
        Ok(seat.email.to_string())
    }
    .await;
    call.back_to_portal(&org, result.is_ok());
    result
}

/// Sends a pending seat's invitation again (a new link; the old one stops working); answers its
/// email.
#[server(prefix = "/api", endpoint = "portal_resend")]
pub async fn portal_resend(org: String, seat_id: String) -> Result<String, AppError> {
    let call = super::Call::start()?;
    let result = async {
        let caller = call.seat_caller(&org).await?;
        let id = call.seat_id(&seat_id)?;
        let seat = call
            .services
            .resend_seat(&caller, id)
            .await
            .map_err(|e| call.fail(e))?;
        Ok(seat.email.to_string())
    }
    .await;
    call.back_to_portal(&org, result.is_ok());
    result
}

/// Signs out: the session cookie is dropped (the session itself ends at its expiry).
#[server(prefix = "/api", endpoint = "portal_sign_out")]
pub async fn portal_sign_out(org: String) -> Result<(), AppError> {
    let call = super::Call::start()?;
    call.drop_session();
    call.back_to_portal(&org, true);
    Ok(())
}

#[cfg(feature = "ssr")]
impl super::Call {
    /// The session's caller for seat actions on the page of `org`.
    async fn seat_caller(&self, org: &str) -> Result<crate::server::service::SeatCaller, AppError> {
        Ok(crate::server::service::SeatCaller::Portal(
            self.portal_caller(org).await?,
        ))
    }

    fn seat_id(&self, raw: &str) -> Result<crate::model::SeatId, AppError> {
        raw.parse()
            .map_err(|_| self.fail(crate::server::service::ServiceError::not_found("Seat")))
    }

    /// A plain form's browser goes back to the portal of `org`, which shows the new state (and,
    /// when the action failed, says so).
    fn back_to_portal(&self, org: &str, done: bool) {
        if self.plain_form
            && let Ok(slug) = crate::model::Slug::parse(org)
        {
            let failed = if done { "" } else { "?failed=1" };
            self.redirect(&format!("/{slug}/portal{failed}"));
        }
    }
}
