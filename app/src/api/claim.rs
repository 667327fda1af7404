//! Server functions of the claim page. The invitation token in the page's address is the invited
//! person's capability, as for the public REST endpoints; the same service functions run behind both.

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

/// Claims the seat; answers what it gives.
#[server(prefix = "/api", endpoint = "claim")]
pub async fn claim_seat(token: String) -> Result<ClaimedSeat, AppError> {
    let call = super::Call::start()?;
    call.services
        .claim_seat_for_page(&token)
        .await
        .map_err(|e| call.fail(e))
}
