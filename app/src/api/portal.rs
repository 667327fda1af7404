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
    use crate::model::seat::{SeatAssign, SeatPool};
    use crate::server::service::{Credential, SeatCaller};
    let call = super::Call::start()?;
    let result = async {
        let caller = call.portal_caller(&org).await?;
        let email = call.email(&email)?;
        let mut assign = SeatAssign {
            email: Some(email.clone()),
            ..SeatAssign::default()
        };
        match call.pool(&pool)? {
            SeatPool::Subscription(id) => assign.subscription_id = Some(id),
            SeatPool::Order(id) => assign.order_id = Some(id),
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

/// Invites the people of a pasted list (`emails`: lines, commas or a CSV's email column) to seats
/// of the pool, in order, until it is full. The page sends one email at a time to show progress.
#[server(prefix = "/api", endpoint = "portal_invite_many")]
pub async fn portal_invite_many(
    org: String,
    pool: String,
    emails: String,
) -> Result<crate::model::portal_view::InviteOutcome, AppError> {
    use crate::model::portal_view::InviteList;
    let call = super::Call::start()?;
    let result = async {
        let caller = call.seat_caller(&org).await?;
        let pool = call.pool(&pool)?;
        call.services
            .invite_list(&caller, pool, InviteList::parse(&emails, &[]))
            .await
            .map_err(|e| call.fail(e))
    }
    .await;
    call.back_to_portal(&org, result.is_ok());
    result
}

/// Revokes a seat's access; answers its email.
#[server(prefix = "/api", endpoint = "portal_revoke")]
pub async fn portal_revoke(org: String, seat_id: String) -> Result<String, AppError> {
    super::Call::start()?
        .act_on_seat(&org, &seat_id, SeatAct::Revoke)
        .await
}

/// Sends a pending seat's invitation again (a new link; the old one stops working); answers its
/// email.
#[server(prefix = "/api", endpoint = "portal_resend")]
pub async fn portal_resend(org: String, seat_id: String) -> Result<String, AppError> {
    super::Call::start()?
        .act_on_seat(&org, &seat_id, SeatAct::Resend)
        .await
}

/// Gives a seat to `email` instead, in one step (the old holder loses access, the new one is
/// invited); answers the new holder's email.
#[server(prefix = "/api", endpoint = "portal_reassign")]
pub async fn portal_reassign(
    org: String,
    seat_id: String,
    email: String,
) -> Result<String, AppError> {
    super::Call::start()?
        .act_on_seat(&org, &seat_id, SeatAct::Reassign(email))
        .await
}

/// What the portal does to one seat.
#[cfg(feature = "ssr")]
enum SeatAct {
    Revoke,
    Resend,
    /// To this email, as typed.
    Reassign(String),
}

/// What changing the subscription's seat count to `seats` would do (nothing is written).
#[server(prefix = "/api", endpoint = "portal_preview_seats")]
pub async fn portal_preview_seats(
    org: String,
    subscription_id: String,
    seats: u32,
) -> Result<crate::model::subscription_update::SeatChangePreview, AppError> {
    use crate::model::subscription_update::SeatChangePreviewRequest;
    let call = super::Call::start()?;
    let caller = call.seat_caller(&org).await?;
    let id = call.subscription_id(&subscription_id)?;
    let request = SeatChangePreviewRequest {
        seats,
        proration_behavior: None,
    };
    call.services
        .preview_seat_change(&caller, id, request)
        .await
        .map_err(|e| call.fail(e))
}

/// Changes the subscription's seat count (added seats now, prorated; removed ones at the
/// renewal); answers the product's name.
#[server(prefix = "/api", endpoint = "portal_change_seats")]
pub async fn portal_change_seats(
    org: String,
    subscription_id: String,
    seats: u32,
) -> Result<String, AppError> {
    use crate::model::subscription_update::CustomerSubscriptionUpdate;
    let call = super::Call::start()?;
    let change = CustomerSubscriptionUpdate {
        seats: Some(seats),
        ..CustomerSubscriptionUpdate::default()
    };
    let result = call
        .change_subscription(&org, &subscription_id, change)
        .await;
    call.back_to_portal(&org, result.is_ok());
    result
}

/// Cancels the subscription at the period's end (`cancel` true) or takes the cancellation back;
/// answers the product's name and `cancel`.
#[server(prefix = "/api", endpoint = "portal_cancellation")]
pub async fn portal_cancellation(
    org: String,
    subscription_id: String,
    cancel: bool,
) -> Result<(String, bool), AppError> {
    use crate::model::subscription_update::CustomerSubscriptionUpdate;
    let call = super::Call::start()?;
    let change = CustomerSubscriptionUpdate {
        cancel_at_period_end: Some(cancel),
        ..CustomerSubscriptionUpdate::default()
    };
    let result = call
        .change_subscription(&org, &subscription_id, change)
        .await;
    call.back_to_portal(&org, result.is_ok());
    result.map(|name| (name, cancel))
}

/// Emails a sign-in code for the portal of `org` to `email`; answers the email. The answer is the
/// same whether or not the email signs anyone in there (only those receive a code).
#[server(prefix = "/api", endpoint = "portal_request_code")]
pub async fn portal_request_code(org: String, email: String) -> Result<String, AppError> {
    let call = super::Call::start()?;
    let result = async {
        let email = call.email(&email)?;
        let organization = call.organization_of_page(&org).await?;
        call.services
            .request_sign_in_code(organization, &email)
            .await
            .map_err(|e| call.fail(e))?;
        Ok(email.to_string())
    }
    .await;
    if call.plain_form
        && let Ok(slug) = crate::model::Slug::parse(&org)
    {
        let step = if result.is_ok() {
            "code_sent=1"
        } else {
            "failed=1"
        };
        call.redirect(&format!("/{slug}/portal?{step}"));
    }
    result
}

/// Signs in to the portal of `org` with a code from the sign-in email: the session goes into the
/// HttpOnly cookie, as a sign-in link's does.
#[server(prefix = "/api", endpoint = "portal_code_sign_in")]
pub async fn portal_code_sign_in(org: String, code: String) -> Result<(), AppError> {
    let call = super::Call::start()?;
    let result = async {
        let organization = call.organization_of_page(&org).await?;
        let token = call
            .services
            .authenticate_sign_in_code(&code, Some(organization))
            .await
            .map_err(|e| call.fail(e))?;
        call.keep_session(&token);
        Ok(())
    }
    .await;
    call.back_to_portal(&org, result.is_ok());
    result
}

/// Signs out: the session ends (its token, which travelled in a link, stops working everywhere)
/// and its cookie is dropped.
#[server(prefix = "/api", endpoint = "portal_sign_out")]
pub async fn portal_sign_out(org: String) -> Result<(), AppError> {
    let call = super::Call::start()?;
    if let Some(token) = call.session_cookie() {
        call.services
            .end_session(&token)
            .await
            .map_err(|e| call.fail(e))?;
    }
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

    /// The pool a form names: `subscription:<id>` or `order:<id>` (else 404).
    fn pool(&self, raw: &str) -> Result<crate::model::seat::SeatPool, AppError> {
        use crate::model::seat::SeatPool;
        let pool = match raw.split_once(':') {
            Some(("subscription", id)) => id.parse().ok().map(SeatPool::Subscription),
            Some(("order", id)) => id.parse().ok().map(SeatPool::Order),
            _ => None,
        };
        pool.ok_or_else(|| {
            self.fail(crate::server::service::ServiceError::not_found(
                "Subscription",
            ))
        })
    }

    fn subscription_id(&self, raw: &str) -> Result<crate::model::SubscriptionId, AppError> {
        raw.parse().map_err(|_| {
            self.fail(crate::server::service::ServiceError::not_found(
                "Subscription",
            ))
        })
    }

    /// Applies `change` to the session's subscription as the REST portal does; the product's name.
    async fn change_subscription(
        &self,
        org: &str,
        subscription_id: &str,
        change: crate::model::subscription_update::CustomerSubscriptionUpdate,
    ) -> Result<String, AppError> {
        let caller = self.portal_caller(org).await?;
        let id = self.subscription_id(subscription_id)?;
        let subscription = self
            .services
            .portal_update_subscription(&caller, id, change)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(subscription.product.product.name)
    }

    /// The organization whose pages have slug `org` (404 when none).
    async fn organization_of_page(
        &self,
        org: &str,
    ) -> Result<crate::model::OrganizationId, AppError> {
        use crate::server::service::ServiceError;
        self.services
            .organization_by_slug(org)
            .await
            .map_err(|e| self.fail(e))?
            .map(|found| found.summary.id)
            .ok_or_else(|| self.fail(ServiceError::not_found("Organization")))
    }

    /// An email as typed in a form (else a sentence saying what is expected).
    fn email(&self, raw: &str) -> Result<crate::model::Email, AppError> {
        crate::model::Email::parse(raw.trim()).map_err(|_| {
            self.fail(crate::server::service::ServiceError::invalid_field(
                "email",
                "enter an email address like name@example.com",
            ))
        })
    }

    /// Revokes, resends or reassigns seat `seat_id` as the session of the page of `org`; the
    /// email of the seat it leaves (for a reassignment, the new one's).
    async fn act_on_seat(
        &self,
        org: &str,
        seat_id: &str,
        act: SeatAct,
    ) -> Result<String, AppError> {
        let result = async {
            let caller = self.seat_caller(org).await?;
            let id = self.seat_id(seat_id)?;
            let seat = match act {
                SeatAct::Revoke => self.services.revoke_seat(&caller, id).await,
                SeatAct::Resend => self.services.resend_seat(&caller, id).await,
                SeatAct::Reassign(email) => {
                    let transfer = crate::model::seat::SeatTransfer {
                        email: Some(self.email(&email)?),
                        ..Default::default()
                    };
                    self.services.transfer_seat(&caller, id, transfer).await
                }
            };
            Ok(seat.map_err(|e| self.fail(e))?.email.to_string())
        }
        .await;
        self.back_to_portal(org, result.is_ok());
        result
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
