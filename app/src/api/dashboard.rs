//! Server functions of the merchant dashboard. A person signs in with an organization access token
//! (the same `skp_oat_...` the REST API takes); the server checks it and keeps it in an HttpOnly,
//! SameSite=Strict cookie (Secure over HTTPS), so no script on the page can read it and no other
//! site's page can send it. Every function authenticates the cookie's token again, with the token's
//! own scopes, and calls the same services as the REST API.
//!
//! Signing in works without JavaScript: a plain form post is answered with a redirect to the
//! webhooks page (or back to the sign-in page, which then says the token was refused).

use leptos::prelude::*;

use crate::model::{AppError, dashboard::WebhooksDashboard};

/// The cookie that carries the dashboard's access token.
#[cfg(feature = "ssr")]
pub(crate) const DASHBOARD_COOKIE: &str = "seatkeeper_dashboard";

/// How long a dashboard sign-in lasts, in seconds.
#[cfg(feature = "ssr")]
const DASHBOARD_SESSION_SECONDS: i64 = 8 * 3600;

#[cfg(feature = "ssr")]
fn not_signed_in() -> crate::server::service::ServiceError {
    crate::server::service::ServiceError::Unauthorized("you are not signed in to the dashboard")
}

/// The organization caller behind the request's dashboard cookie.
#[cfg(feature = "ssr")]
async fn dashboard_caller(
    call: &super::Call,
) -> Result<crate::server::service::OrganizationCaller, AppError> {
    let token = call
        .cookie(DASHBOARD_COOKIE)
        .ok_or_else(|| call.fail(not_signed_in()))?;
    call.services
        .authenticate_access_token(&token)
        .await
        .map_err(|_| call.fail(not_signed_in()))
}

/// Signs in with an organization access token: kept in the dashboard's cookie once it is known to
/// be live.
#[server(prefix = "/api", endpoint = "dashboard_sign_in")]
pub async fn dashboard_sign_in(token: String) -> Result<(), AppError> {
    let call = super::Call::start()?;
    let token = token.trim().to_owned();
    match call.services.authenticate_access_token(&token).await {
        Ok(_) => {
            call.keep_cookie(DASHBOARD_COOKIE, &token, DASHBOARD_SESSION_SECONDS);
            if call.plain_form {
                call.redirect("/dashboard/webhooks");
            }
            Ok(())
        }
        Err(err) => {
            let failed = call.fail(err);
            if call.plain_form {
                call.redirect("/dashboard?refused=1");
            }
            Err(failed)
        }
    }
}

/// Signs out: the cookie is dropped.
#[server(prefix = "/api", endpoint = "dashboard_sign_out")]
pub async fn dashboard_sign_out() -> Result<(), AppError> {
    let call = super::Call::start()?;
    call.keep_cookie(DASHBOARD_COOKIE, "", 0);
    if call.plain_form {
        call.redirect("/dashboard");
    }
    Ok(())
}

/// The webhooks page's endpoints and newest deliveries.
#[server(prefix = "/api", endpoint = "dashboard_webhooks")]
pub async fn dashboard_webhooks() -> Result<WebhooksDashboard, AppError> {
    let call = super::Call::start()?;
    let caller = dashboard_caller(&call).await?;
    call.services
        .webhooks_dashboard(&caller)
        .await
        .map_err(|e| call.fail(e))
}

/// Sends a webhook event again (the redeliver button).
#[server(prefix = "/api", endpoint = "dashboard_redeliver")]
pub async fn dashboard_redeliver(event_id: String) -> Result<(), AppError> {
    let call = super::Call::start()?;
    let caller = dashboard_caller(&call).await?;
    let id = event_id.parse().map_err(|_| {
        call.fail(crate::server::service::ServiceError::not_found(
            "webhook event",
        ))
    })?;
    let outcome = call
        .services
        .redeliver_webhook_event(&caller, id)
        .await
        .map_err(|e| call.fail(e));
    if call.plain_form {
        call.redirect("/dashboard/webhooks");
    }
    outcome
}
