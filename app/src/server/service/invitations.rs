//! The invitation email: subject, plain-text and HTML parts, with the one-time claim link. Built
//! here and written into the outbox in the seat's own transaction; the mailer sends it.

use crate::{
    model::EmailId,
    server::store::{NewEmail, SeatRecord},
};

use super::{Services, seats::PoolContext};

/// Escapes text for an HTML body (also used by the development mailbox page).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "24 hours", "1 hour", "2 days", "30 minutes".
pub fn describe_ttl(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if seconds >= 2 * 86_400 && seconds % 86_400 == 0 {
        plural(seconds / 86_400, "day")
    } else if seconds >= 3_600 && seconds % 3_600 == 0 {
        plural(seconds / 3_600, "hour")
    } else {
        plural((seconds / 60).max(1), "minute")
    }
}

/// What an invitation says, independent of how it is rendered.
pub struct Invitation<'a> {
    pub product: &'a str,
    pub organization: &'a str,
    pub billing_email: Option<&'a str>,
    pub link: &'a str,
    pub expires_in: String,
}

impl Invitation<'_> {
    pub fn subject(&self) -> String {
        format!("You've been invited to access {}", self.product)
    }

    pub fn text(&self) -> String {
        let inviter = self
            .billing_email
            .map_or_else(String::new, |e| format!(" by {e}"));
        format!(
            "Hello,\n\nYou have been invited{inviter} to a seat for {product} from {org}.\n\n\
             Claim seat: {link}\n\nThis link can be used once and expires in {expires}.\n\
             If you did not expect this invitation, you can ignore this email.\n",
            product = self.product,
            org = self.organization,
            link = self.link,
            expires = self.expires_in,
        )
    }

    pub fn html(&self) -> String {
        let inviter = self.billing_email.map_or_else(String::new, |e| {
            format!(" by <strong>{}</strong>", html_escape(e))
        });
        format!(
            "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">\
             <p>Hello,</p>\
             <p>You have been invited{inviter} to a seat for <strong>{product}</strong> from {org}.</p>\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:10px 18px;background:#1f4fd1;\
             color:#fff;border-radius:6px;text-decoration:none\">Claim seat</a></p>\
             <p>This link can be used once and expires in {expires}.</p>\
             <p style=\"color:#555\">If you did not expect this invitation, you can ignore this email.</p>\
             </body></html>",
            product = html_escape(self.product),
            org = html_escape(self.organization),
            link = html_escape(self.link),
            expires = html_escape(&self.expires_in),
        )
    }
}

impl Services {
    /// The claim link of an invitation token.
    pub fn claim_url(&self, org_slug: &crate::model::Slug, token: &str) -> String {
        format!(
            "{}/{org_slug}/portal/claim?token={token}",
            self.public_url()
        )
    }

    /// The invitation email for `seat`, carrying the plain `token`.
    pub(super) fn invitation_email(
        &self,
        context: &PoolContext,
        seat: &SeatRecord,
        token: &str,
    ) -> NewEmail {
        let link = self.claim_url(&context.organization_slug, token);
        let invitation = Invitation {
            product: &context.product_name,
            organization: &context.organization_name,
            billing_email: context.customer.email.as_ref().map(|e| e.as_str()),
            link: &link,
            expires_in: describe_ttl(context.invitation_ttl.num_seconds()),
        };
        NewEmail {
            id: EmailId::new(),
            organization_id: seat.organization_id,
            created_at: self.now(),
            kind: "seat_invitation",
            to: seat.email.to_string(),
            subject: invitation.subject(),
            text_body: invitation.text(),
            html_body: invitation.html(),
            seat_id: Some(seat.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation() -> Invitation<'static> {
        Invitation {
            product: "Team <plan>",
            organization: "Acme & Co",
            billing_email: Some("boss@acme.test"),
            link: "https://seats.example/acme/portal/claim?token=skp_inv_abc",
            expires_in: describe_ttl(86_400),
        }
    }

    #[test]
    fn the_subject_names_the_product() {
        assert_eq!(
            invitation().subject(),
            "You've been invited to access Team <plan>"
        );
    }

    #[test]
    fn the_text_part_has_the_link_the_inviter_and_the_expiry() {
        let text = invitation().text();
        assert!(
            text.contains("Claim seat: https://seats.example/acme/portal/claim?token=skp_inv_abc")
        );
        assert!(text.contains("boss@acme.test"));
        assert!(text.contains("expires in 24 hours"));
    }

    #[test]
    fn the_html_part_escapes_names_and_links_the_claim_button() {
        let html = invitation().html();
        assert!(html.contains("Team &lt;plan&gt;"));
        assert!(html.contains("Acme &amp; Co"));
        assert!(html.contains(">Claim seat</a>"));
        assert!(!html.contains("<plan>"));
    }

    #[test]
    fn ttls_read_naturally() {
        assert_eq!(describe_ttl(86_400), "24 hours");
        assert_eq!(describe_ttl(3_600), "1 hour");
        assert_eq!(describe_ttl(3 * 86_400), "3 days");
        assert_eq!(describe_ttl(90), "1 minute");
    }
}
