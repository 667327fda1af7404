//! The emails about a subscription's billing sent to its customer (the billing manager): a reminder
//! before a renewal that will cost something else than the last one, and the notices of a renewal
//! whose payment failed (past due) and of the end it leads to. Built here and written into the
//! outbox in the transaction of the change they tell about; the mailer sends them.

use chrono::{DateTime, Utc};

use crate::{
    model::{Currency, EmailId, MinorUnits, OrganizationId},
    server::store::NewEmail,
};

use super::invitations::html_escape;

/// An amount as a person reads it: `$80.00`, `€12.50`, `1,234.00 SEK`.
pub fn money(amount: MinorUnits, currency: &Currency) -> String {
    let cents = amount.get();
    let sign = if cents < 0 { "-" } else { "" };
    let whole = (cents.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let number = format!("{grouped}.{:02}", cents.abs() % 100);
    match currency.as_str() {
        "usd" => format!("{sign}${number}"),
        "eur" => format!("{sign}€{number}"),
        "gbp" => format!("{sign}£{number}"),
        other => format!("{sign}{number} {}", other.to_uppercase()),
    }
}

/// What a billing email is about.
pub enum BillingNotice {
    /// The next renewal will bill `amount` for `seats` seats on `renews_on`.
    RenewalReminder {
        renews_on: DateTime<Utc>,
        seats: u32,
        amount: MinorUnits,
        previous_amount: MinorUnits,
    },
    /// A renewal's payment failed; tried again until `grace_ends`.
    PastDue {
        amount: MinorUnits,
        grace_ends: DateTime<Utc>,
    },
    /// The grace period ended without a payment: the subscription is canceled, its seats revoked.
    EndedUnpaid,
}

/// A billing email's facts.
pub struct BillingEmail<'a> {
    pub organization_id: OrganizationId,
    pub to: &'a str,
    pub product: &'a str,
    pub organization: &'a str,
    pub currency: &'a Currency,
    pub notice: BillingNotice,
}

impl BillingEmail<'_> {
    pub fn kind(&self) -> &'static str {
        match self.notice {
            BillingNotice::RenewalReminder { .. } => "renewal_reminder",
            BillingNotice::PastDue { .. } => "renewal_past_due",
            BillingNotice::EndedUnpaid => "subscription_ended_unpaid",
        }
    }

    pub fn subject(&self) -> String {
        match &self.notice {
            BillingNotice::RenewalReminder { renews_on, .. } => format!(
                "Your {} subscription renews on {}",
                self.product,
                renews_on.format("%B %-d, %Y")
            ),
            BillingNotice::PastDue { .. } => {
                format!("Payment failed for your {} subscription", self.product)
            }
            BillingNotice::EndedUnpaid => {
                format!("Your {} subscription has ended", self.product)
            }
        }
    }

    /// The message's paragraphs, as plain text.
    fn paragraphs(&self) -> Vec<String> {
        let product = self.product;
        let org = self.organization;
        match &self.notice {
            BillingNotice::RenewalReminder {
                renews_on,
                seats,
                amount,
                previous_amount,
            } => vec![
                format!(
                    "Your subscription to {product} from {org} renews on {} with {seats} seats.",
                    renews_on.format("%B %-d, %Y")
                ),
                format!(
                    "That renewal will charge {} (the last period cost {}), including any seat changes made during this period.",
                    money(*amount, self.currency),
                    money(*previous_amount, self.currency)
                ),
                "Nothing needs doing if this is expected. To change your seats before then, open your customer portal.".into(),
            ],
            BillingNotice::PastDue { amount, grace_ends } => vec![
                format!(
                    "We could not charge {} to your saved payment method for the renewal of your {product} subscription from {org}.",
                    money(*amount, self.currency)
                ),
                format!(
                    "Your seats keep working while we try again every day until {}. If no payment succeeds by then, the subscription ends and its seats are revoked.",
                    grace_ends.format("%B %-d, %Y")
                ),
                format!("Please update your payment method with {org}."),
            ],
            BillingNotice::EndedUnpaid => vec![
                format!(
                    "No payment for the renewal of your {product} subscription from {org} succeeded during the grace period, so the subscription has ended and its seats were revoked."
                ),
                format!("To continue, buy a new subscription from {org}."),
            ],
        }
    }

    pub fn text(&self) -> String {
        format!("Hello,\n\n{}\n", self.paragraphs().join("\n\n"))
    }

    pub fn html(&self) -> String {
        let body: String = self
            .paragraphs()
            .iter()
            .map(|p| format!("<p>{}</p>", html_escape(p)))
            .collect();
        format!(
            "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">\
             <p>Hello,</p>{body}</body></html>"
        )
    }

    /// The outbox entry, made at `now`.
    pub fn outbox(&self, now: DateTime<Utc>) -> NewEmail {
        NewEmail {
            id: EmailId::new(),
            organization_id: self.organization_id,
            created_at: now,
            kind: self.kind(),
            to: self.to.to_owned(),
            subject: self.subject(),
            text_body: self.text(),
            html_body: self.html(),
            seat_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn usd() -> Currency {
        Currency::try_from("usd".to_owned()).unwrap()
    }

    #[test]
    fn amounts_read_as_money_with_grouped_thousands() {
        assert_eq!(money(MinorUnits(815_400), &usd()), "$8,154.00");
        assert_eq!(money(MinorUnits(-1200), &usd()), "-$12.00");
        assert_eq!(money(MinorUnits(5), &usd()), "$0.05");
    }

    #[test]
    fn a_reminder_names_the_date_the_count_and_both_amounts_and_escapes_html() {
        let currency = usd();
        let email = BillingEmail {
            organization_id: OrganizationId::new(),
            to: "billing@globex.example",
            product: "Team <plan>",
            organization: "Acme & Co",
            currency: &currency,
            notice: BillingNotice::RenewalReminder {
                renews_on: Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap(),
                seats: 8,
                amount: MinorUnits(8154),
                previous_amount: MinorUnits(3000),
            },
        };
        assert_eq!(
            email.subject(),
            "Your Team <plan> subscription renews on February 1, 2027"
        );
        let text = email.text();
        assert!(
            text.contains("with 8 seats") && text.contains("$81.54") && text.contains("$30.00")
        );
        let html = email.html();
        assert!(html.contains("Team &lt;plan&gt;") && html.contains("Acme &amp; Co"));
        assert!(!html.contains("<plan>"));
    }
}
