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
    /// Where the license key is activated, oldest first: none without a key, or when the merchant
    /// does not let holders see their activations (`activations.enable_customer_admin`).
    pub activations: Option<Vec<KeyActivation>>,
    /// On how many devices the key may be activated at once (none: no limit).
    pub activation_limit: Option<u32>,
    pub note: Option<String>,
}

/// One device (or install) a license key is activated on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyActivation {
    /// What the app called it when it activated the key ("MacBook Pro").
    pub label: String,
    pub activated_at: DateTime<Utc>,
}

impl GrantedBenefit {
    /// "Activated on 2 of 3 devices.", "Activated on 1 device.", "Not activated on any device yet
    /// (up to 3)."; none when the activations are not shown.
    pub fn activation_summary(&self) -> Option<String> {
        let count = self.activations.as_ref()?.len();
        let devices = |n: usize| if n == 1 { "device" } else { "devices" };
        Some(match (count, self.activation_limit) {
            (0, Some(limit)) => format!("Not activated on any device yet (up to {limit})."),
            (0, None) => "Not activated on any device yet.".to_owned(),
            (n, Some(limit)) => format!("Activated on {n} of {limit} {}.", devices(limit as usize)),
            (n, None) => format!("Activated on {n} {}.", devices(n)),
        })
    }
}

impl KeyActivation {
    /// "since Nov 30, 2026".
    pub fn since_text(&self) -> String {
        self.activated_at.format("since %b %-d, %Y").to_string()
    }
}

impl ClaimPage {
    /// "November 23, 2026 at 22:48 UTC".
    pub fn expiry_text(&self) -> String {
        self.expires_at
            .format("%B %-d, %Y at %H:%M UTC")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_with(activations: usize, limit: Option<u32>) -> GrantedBenefit {
        GrantedBenefit {
            description: "Desktop app".into(),
            license_key: Some("ACME-1".into()),
            activations: Some(
                (0..activations)
                    .map(|i| KeyActivation {
                        label: format!("device {i}"),
                        activated_at: DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
                            .unwrap()
                            .with_timezone(&Utc),
                    })
                    .collect(),
            ),
            activation_limit: limit,
            note: None,
        }
    }

    #[test]
    fn the_activations_are_summed_up_against_the_limit_in_words() {
        let hidden = GrantedBenefit {
            activations: None,
            ..key_with(0, Some(3))
        };
        assert_eq!(hidden.activation_summary(), None);
        for (count, limit, said) in [
            (0, Some(3), "Not activated on any device yet (up to 3)."),
            (0, None, "Not activated on any device yet."),
            (2, Some(3), "Activated on 2 of 3 devices."),
            (1, Some(1), "Activated on 1 of 1 device."),
            (1, None, "Activated on 1 device."),
        ] {
            assert_eq!(
                key_with(count, limit).activation_summary().as_deref(),
                Some(said)
            );
        }
        assert_eq!(
            key_with(1, None).activations.unwrap()[0].since_text(),
            "since Nov 30, 2026"
        );
    }
}
