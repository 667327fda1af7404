//! Server functions of the claim page. The invitation token in the page's address is the invited
//! person's capability, as for the public REST endpoints; the same service functions run behind both.
//!
//! Claiming works without JavaScript: the page's form posts here, and a plain form post is answered
//! with a redirect to the member's own page (`/{org}/portal/seats`), its session kept in an HttpOnly
//! cookie; with JavaScript the page shows the result in place (and keeps the same cookie).

use leptos::prelude::*;

use crate::model::{
    AppError,
    claim_view::{ClaimPage, ClaimedSeat},
};

/// The invitation behind a token, read without side effects.
#[server(prefix = "/api", endpoint = "claim_info")]
pub async fn get_claim(token: String) -> Result<ClaimPage, AppError> {
    let call = super::Call::start()?;
    call.services
        .claim_page(&token)
        .await
        .map_err(|e| call.fail(e))
}

/// Claims the seat; answers what it gives. `org` is the page's organization slug (where a plain
/// form's browser is sent next).
#[server(prefix = "/api", endpoint = "claim")]
pub async fn claim_seat(org: String, token: String) -> Result<ClaimedSeat, AppError> {
    let call = super::Call::start()?;
    let slug = crate::model::Slug::parse(&org).ok();
    match call.services.claim_seat_for_page(&token).await {
        Ok((claimed, session)) => {
            call.keep_session(&session);
            if call.plain_form
                && let Some(slug) = &slug
            {
                call.redirect(&format!("/{slug}/portal/seats"));
            }
            Ok(claimed)
        }
        Err(err) => {
            // The error's status first: a plain form's redirect then replaces it.
            let failed = call.fail(err);
            if call.plain_form
                && let Some(slug) = &slug
            {
                // Back to the invitation, which now says why it cannot be claimed.
                let token: String = token
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .collect();
                call.redirect(&format!("/{slug}/portal/claim?token={token}"));
            }
            Err(failed)
        }
    }
}

/// The seats the signed-in member holds and what they give, on the page of organization `org` (the
/// session comes from the HttpOnly cookie a claim leaves; another organization's page shows none).
#[server(prefix = "/api", endpoint = "my_seats")]
pub async fn my_seats(org: String) -> Result<Vec<ClaimedSeat>, AppError> {
    let call = super::Call::start()?;
    let caller = call.portal_caller(&org).await?;
    let services = &call.services;
    services
        .member_claimed_seats(&caller)
        .await
        .map_err(|e| call.fail(e))
}
