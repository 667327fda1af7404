//! What the merchant dashboard's pages show, as the browser receives it. Secrets (endpoint signing
//! secrets, tokens) are never part of it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The webhooks page: the organization's endpoints and its most recent deliveries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhooksDashboard {
    pub organization_name: String,
    pub endpoints: Vec<EndpointSummary>,
    pub deliveries: Vec<DeliverySummary>,
    /// How many deliveries there are in all (the page shows the newest).
    pub total_deliveries: u64,
}

/// One endpoint as the page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointSummary {
    pub id: String,
    pub url: String,
    pub name: Option<String>,
    pub enabled: bool,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// One delivery attempt as the page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliverySummary {
    pub id: String,
    /// The event's id (its `webhook-id`), what redelivery takes.
    pub event_id: String,
    pub event_type: String,
    pub endpoint_url: String,
    pub at: DateTime<Utc>,
    pub succeeded: bool,
    pub http_code: Option<u16>,
    /// The start of the response, or what went wrong.
    pub response: Option<String>,
    /// How long the attempt took.
    pub duration_ms: u64,
}

impl DeliverySummary {
    /// The outcome as a person reads it: `200`, `503`, or "no answer".
    pub fn outcome(&self) -> String {
        match self.http_code {
            Some(code) => code.to_string(),
            None => "no answer".to_owned(),
        }
    }

    /// The start of what the endpoint answered (or what went wrong), at most 160 characters.
    pub fn response_excerpt(&self) -> Option<String> {
        const SHOWN: usize = 160;
        let text = self.response.as_deref()?.trim();
        if text.is_empty() {
            return None;
        }
        let mut excerpt: String = text.chars().take(SHOWN).collect();
        if text.chars().count() > SHOWN {
            excerpt.push('…');
        }
        Some(excerpt)
    }

    /// When it happened, in UTC, to the second.
    pub fn at_text(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_endpoint_reads_as_no_answer() {
        let delivery = DeliverySummary {
            id: "d".into(),
            event_id: "e".into(),
            event_type: "customer_seat.claimed".into(),
            endpoint_url: "https://hooks.example.com/".into(),
            at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            succeeded: false,
            http_code: None,
            response: Some("could not connect".into()),
            duration_ms: 12,
        };
        assert_eq!(delivery.outcome(), "no answer");
        assert_eq!(
            delivery.response_excerpt().as_deref(),
            Some("could not connect")
        );
        let long = DeliverySummary {
            response: Some("x".repeat(500)),
            ..delivery.clone()
        };
        assert_eq!(long.response_excerpt().unwrap().chars().count(), 161);
        assert_eq!(delivery.at_text(), "2027-01-15 08:00:00 UTC");
        assert_eq!(
            DeliverySummary {
                http_code: Some(503),
                ..delivery
            }
            .outcome(),
            "503"
        );
    }
}
