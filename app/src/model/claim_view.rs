//! What the claim page (`/{org_slug}/portal/claim?token=...`) shows: the invitation before it is
//! claimed, and the seat's benefits after.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Email;

/// A live invitation, as the claim page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimPage {
    pub product_name: String,
    pub organization_name: String,
    pub email: Email,
    pub expires_at: DateTime<Utc>,
    /// False when the pool cannot take a claim right now (e.g. the subscription ended).
    pub can_claim: bool,
}

/// A claimed seat and what it gives its holder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimedSeat {
    pub product_name: String,
    pub organization_name: String,
    pub email: Email,
    pub benefits: Vec<GrantedBenefit>,
}

/// One benefit the holder received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantedBenefit {
    pub description: String,
    pub license_key: Option<String>,
    pub note: Option<String>,
}

impl ClaimPage {
    /// "November 23, 2026 at 22:48 UTC".
    pub fn expiry_text(&self) -> String {
        self.expires_at
            .format("%B %-d, %Y at %H:%M UTC")
            .to_string()
    }
}
