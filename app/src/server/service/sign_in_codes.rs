//! Signing in to the portal by email, in the shape of Polar's `customer-session/request` and
//! `customer-session/authenticate`: a person types their email, receives a one-time code (and a
//! link to the page that takes it) through the email outbox, and trades the code for a session.
//!
//! - **Who**: the owner of the customer with that email, else an owner or billing manager with it,
//!   else the member with it who claimed a seat last (`SignInHolder`). An email that signs in
//!   nobody gets the same answer and no email, so the endpoint does not tell who is a customer
//!   (Polar answers 404 there; we do not).
//! - **The code**: 12 characters from 32 unambiguous ones (60 bits; shown as `ABCD-EFGH-JKLM`),
//!   alive 30 minutes, stored only as its SHA-256, single use (redeeming deletes it in the
//!   transaction that opens the session), one live code per person (a new one replaces the last).
//!   Polar's are 6 characters; ours are longer because `authenticate` takes the code alone and so
//!   checks a guess against every live code of every organization: with a million live codes, an
//!   attacker making a million guesses a second (far past the per-address limit of
//!   `server/src/limits.rs`) needs about a year per hit, while a code lives 30 minutes.
//! - **Flooding**: one address gets at most a few codes in a row, then one per five minutes, in
//!   this process (a person's inbox is not the attacker's to fill); counted before the lookup, so
//!   a refusal says nothing about whether the email is known.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use chrono::TimeDelta;
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use rand::Rng;

use crate::{
    model::{CustomerSessionId, Email, EmailId, OrganizationId},
    server::{
        store::{NewEmail, NewSessionCode, SessionToOpen},
        token::{self, TokenHash},
    },
};

use super::{
    ServiceError, Services,
    invitations::{describe_ttl, html_escape},
    sessions::{SESSION_TOKEN_PREFIX, SESSION_TTL},
};

/// How long a sign-in code works.
pub const SIGN_IN_CODE_TTL: TimeDelta = TimeDelta::minutes(30);
/// How many characters a code has.
pub const SIGN_IN_CODE_LEN: usize = 12;
/// The characters of a code: capitals and digits without the look-alikes 0, O, 1 and I.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Codes for one email in a row before the pace applies.
const EMAIL_BURST: u32 = 3;
/// After the burst, one code per this long.
const EMAIL_PACE: Duration = Duration::from_secs(5 * 60);

const INVALID_CODE: ServiceError = ServiceError::BadCredential {
    error: "CustomerSessionCodeInvalidOrExpired",
    detail: "This customer session code is invalid or has expired.",
};

/// A code as the email shows it: groups of four joined by dashes.
fn displayed(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A new code.
fn new_code() -> String {
    let mut rng = rand::rng();
    (0..SIGN_IN_CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A code as a person types it: case, spaces and dashes do not matter. None when it cannot be a
/// code at all.
pub fn normalize_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == SIGN_IN_CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// How often codes may be sent to one email of one organization, in this process.
pub struct SignInLimits {
    per_email: DefaultKeyedRateLimiter<(OrganizationId, String)>,
    checks: AtomicU64,
}

/// Every this many checks, emails whose budget is full again are forgotten.
const PRUNE_EVERY: u64 = 1024;

impl Default for SignInLimits {
    fn default() -> Self {
        let quota = Quota::with_period(EMAIL_PACE)
            .unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(EMAIL_BURST).unwrap_or(NonZeroU32::MIN));
        Self {
            per_email: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }
}

impl SignInLimits {
    fn check(&self, organization: OrganizationId, email: &Email) -> Result<(), ServiceError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.per_email.retain_recent();
        }
        self.per_email
            .check_key(&(organization, email.to_string()))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                ServiceError::RateLimited {
                    retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    detail: "several sign-in codes were sent to this email just now; use the \
                             newest, or wait a few minutes"
                        .into(),
                }
            })
    }
}

/// What the sign-in email says.
struct SignInEmail<'a> {
    organization: &'a str,
    code: &'a str,
    link: &'a str,
    expires_in: String,
}

impl SignInEmail<'_> {
    fn subject(&self) -> String {
        format!("Your sign-in code for {}", self.organization)
    }

    fn text(&self) -> String {
        format!(
            "Hello,\n\nYour code to sign in to your seats at {org} is:\n\n    {code}\n\n\
             Enter it on the sign-in page, or open: {link}\n\n\
             The code works once and expires in {expires}. If you did not ask for it, you can \
             ignore this email: nobody can sign in without the code.\n",
            org = self.organization,
            code = self.code,
            link = self.link,
            expires = self.expires_in,
        )
    }

    fn html(&self) -> String {
        format!(
            "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">\
             <p>Hello,</p><p>Your code to sign in to your seats at {org} is:</p>\
             <p style=\"font-size:28px;letter-spacing:4px;font-family:ui-monospace,monospace\">\
             <strong>{code}</strong></p>\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:10px 18px;background:#1f4fd1;\
             color:#fff;border-radius:6px;text-decoration:none\">Sign in</a></p>\
             <p>The code works once and expires in {expires}.</p>\
             <p style=\"color:#555\">If you did not ask for it, you can ignore this email: nobody \
             can sign in without the code.</p></body></html>",
            org = html_escape(self.organization),
            code = html_escape(self.code),
            link = html_escape(self.link),
            expires = html_escape(&self.expires_in),
        )
    }
}

impl Services {
    /// Emails a sign-in code for the portal of `organization_id` to `email`, if that email signs
    /// someone in there; the same answer either way. 404 for an unknown organization, 429 when
    /// this email was sent several codes just now.
    #[tracing::instrument(skip_all, fields(organization_id = %organization_id), err(level = "info"))]
    pub async fn request_sign_in_code(
        &self,
        organization_id: OrganizationId,
        email: &Email,
    ) -> Result<(), ServiceError> {
        let organization = self
            .store()
            .organization(organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        self.sign_in_limits.check(organization_id, email)?;
        let Some(holder) = self.store().sign_in_holder(organization_id, email).await? else {
            return Ok(());
        };
        let code = new_code();
        let now = self.now();
        let link = format!(
            "{}/{}/portal?code={code}",
            self.public_url(),
            organization.slug
        );
        let shown = displayed(&code);
        let says = SignInEmail {
            organization: &organization.name,
            code: &shown,
            link: &link,
            expires_in: describe_ttl(SIGN_IN_CODE_TTL.num_seconds()),
        };
        let message = NewEmail {
            id: EmailId::new(),
            organization_id,
            created_at: now,
            kind: "portal_sign_in",
            to: email.to_string(),
            subject: says.subject(),
            text_body: says.text(),
            html_body: says.html(),
            seat_id: None,
        };
        self.store()
            .insert_session_code(&NewSessionCode {
                hash: TokenHash::of(&code),
                organization_id,
                holder,
                created_at: now,
                expires_at: now + SIGN_IN_CODE_TTL,
                email: message,
            })
            .await?;
        Ok(())
    }

    /// Trades a sign-in code for a session token (shown once), the code spent; only a code of
    /// `organization_id` when given (a page of that organization). 401
    /// `CustomerSessionCodeInvalidOrExpired` otherwise.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn authenticate_sign_in_code(
        &self,
        code: &str,
        organization_id: Option<OrganizationId>,
    ) -> Result<String, ServiceError> {
        let code = normalize_code(code).ok_or(INVALID_CODE)?;
        let secret = token::generate(SESSION_TOKEN_PREFIX);
        let now = self.now();
        let session = SessionToOpen {
            id: CustomerSessionId::new(),
            hash: secret.hash.clone(),
            created_at: now,
            expires_at: now + SESSION_TTL,
        };
        self.store()
            .redeem_session_code(&TokenHash::of(&code), now, organization_id, &session)
            .await?
            .ok_or(INVALID_CODE)?;
        Ok(secret.expose().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_code_has_twelve_unambiguous_characters() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(normalize_code(&code), Some(code.clone()));
            assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
        }
    }

    #[test]
    fn a_typed_code_ignores_case_spaces_and_dashes() {
        assert_eq!(
            normalize_code(" abcd-efgh-jklm "),
            Some("ABCDEFGHJKLM".into())
        );
        assert_eq!(
            normalize_code("ABCD EFGH JKLM"),
            Some("ABCDEFGHJKLM".into())
        );
        assert_eq!(displayed("ABCDEFGHJKLM"), "ABCD-EFGH-JKLM");
        assert_eq!(
            normalize_code(&displayed("ABCDEFGHJKLM")),
            Some("ABCDEFGHJKLM".into())
        );
    }

    #[test]
    fn something_that_cannot_be_a_code_is_refused_before_any_lookup() {
        assert_eq!(normalize_code("ABCDEFGHJKL"), None);
        assert_eq!(normalize_code("ABCDEFGHJKLMN"), None);
        assert_eq!(normalize_code("ABCDEFGHJKL0"), None);
        assert_eq!(normalize_code("ÄBCDEFGHJKLM"), None);
    }

    #[test]
    fn the_email_carries_the_code_and_escapes_the_organization_name() {
        let says = SignInEmail {
            organization: "Acme <&> Co",
            code: "ABCD-2345-WXYZ",
            link: "https://seats.example/acme/portal?code=ABCD2345WXYZ",
            expires_in: describe_ttl(1800),
        };
        assert_eq!(says.subject(), "Your sign-in code for Acme <&> Co");
        assert!(says.text().contains("    ABCD-2345-WXYZ\n"));
        assert!(says.text().contains("expires in 30 minutes"));
        assert!(says.html().contains("Acme &lt;&amp;&gt; Co"));
        assert!(says.html().contains("<strong>ABCD-2345-WXYZ</strong>"));
    }

    #[test]
    fn a_fourth_code_in_a_row_for_one_email_waits_and_another_email_does_not() {
        let limits = SignInLimits::default();
        let org = OrganizationId::new();
        let jane = Email::parse("jane@x.example").unwrap();
        for _ in 0..EMAIL_BURST {
            limits.check(org, &jane).unwrap();
        }
        let refused = limits.check(org, &jane).unwrap_err();
        assert_eq!(refused.status(), 429);
        assert!(refused.retry_after_secs().unwrap() > 0);
        limits
            .check(org, &Email::parse("john@x.example").unwrap())
            .unwrap();
    }
}
