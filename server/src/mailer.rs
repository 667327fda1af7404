//! The mailer: sends the email outbox. Emails are written by the changes that cause them, in the
//! same transaction (see the seats service); this worker leases due emails (a conditional update,
//! safe with several server processes), hands each to the transport and records the outcome. A
//! failed send is retried with exponential backoff and jitter, up to [`MAX_ATTEMPTS`]; a restart
//! loses nothing because the outbox is the database.
//!
//! Transports: SMTP (`--smtp-url`, via lettre) in production, or, when no SMTP server is configured,
//! the development mailbox: the email stays in the database and `/dev/mailbox` shows it.

use std::time::Duration;

use app::server::{
    service::Services,
    store::{EmailRecord, StoreError},
};
use chrono::TimeDelta;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use rand::Rng;
use tokio::sync::watch;

/// After this many failed attempts an email is marked failed and no longer retried.
pub const MAX_ATTEMPTS: u32 = 10;
/// How many emails one pass leases.
const BATCH: u32 = 20;
/// How long a leased email is reserved for this process.
const LEASE: TimeDelta = TimeDelta::seconds(120);
/// How often the worker looks for due emails.
const POLL: Duration = Duration::from_millis(500);

/// Where emails go.
#[derive(Clone)]
pub enum Transport {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// No SMTP server: emails stay in the database, shown at `/dev/mailbox`.
    DevMailbox,
}

impl Transport {
    /// SMTP from a URL (`smtp://[user:pass@]host[:port][?tls=required]` or `smtps://...`), else the
    /// development mailbox.
    pub fn from_config(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        let Some(url) = smtp_url else {
            return Ok(Self::DevMailbox);
        };
        let transport = Box::new(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| anyhow::anyhow!("invalid --smtp-url: {e}"))?
                .timeout(Some(Duration::from_secs(10)))
                .build(),
        );
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| anyhow::anyhow!("invalid --mail-from {from:?}: {e}"))?;
        Ok(Self::Smtp { transport, from })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Smtp { .. } => "smtp",
            Self::DevMailbox => "mailbox",
        }
    }

    /// Sent over SMTP, an email's stored copy is erased (its link is single use and only the
    /// recipient should hold it); the development mailbox keeps it to show.
    pub fn erases_sent_bodies(&self) -> bool {
        matches!(self, Self::Smtp { .. })
    }

    async fn send(&self, email: &EmailRecord) -> Result<(), String> {
        let Self::Smtp { transport, from } = self else {
            return Ok(());
        };
        let to = email
            .to
            .parse::<Mailbox>()
            .map_err(|e| format!("invalid recipient {:?}: {e}", email.to))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.text_body.clone(),
                email.html_body.clone(),
            ))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// The wait before attempt `attempts + 1`: 5 s doubling per attempt, at most an hour, plus up to
/// 20 % jitter so retries of many emails do not arrive together.
pub fn backoff(attempts: u32) -> Duration {
    let base = 5u64.saturating_mul(1u64 << attempts.saturating_sub(1).min(20));
    let capped = base.min(3_600);
    let jitter = rand::rng().random_range(0..=capped / 5);
    Duration::from_secs(capped + jitter)
}

/// Sends the outbox.
#[derive(Clone)]
pub struct Mailer {
    services: Services,
    transport: Transport,
}

impl Mailer {
    pub fn new(services: Services, transport: Transport) -> Self {
        Self {
            services,
            transport,
        }
    }

    /// Sends every email due now; returns how many were sent.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let store = self.services.store();
        let now = self.services.now();
        let leased = store.lease_due_emails(now, now + LEASE, BATCH).await?;
        let mut sent = 0;
        for email in leased {
            match self.transport.send(&email).await {
                Ok(()) => {
                    store
                        .mark_email_sent(
                            email.id,
                            self.services.now(),
                            self.transport.name(),
                            self.transport.erases_sent_bodies(),
                        )
                        .await?;
                    tracing::info!(email_id = %email.id, kind = %email.kind, transport = self.transport.name(), "email sent");
                    sent += 1;
                }
                Err(error) => {
                    let attempts = email.attempts.max(1);
                    let retry_at = (attempts < MAX_ATTEMPTS).then(|| {
                        self.services.now()
                            + TimeDelta::from_std(backoff(attempts)).unwrap_or(TimeDelta::hours(1))
                    });
                    tracing::warn!(email_id = %email.id, attempts, %error, will_retry = retry_at.is_some(), "email not sent");
                    store
                        .mark_email_failed(email.id, &error, retry_at, self.services.now())
                        .await?;
                }
            }
        }
        Ok(sent)
    }

    /// Delivers until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(transport = self.transport.name(), "mailer started");
        loop {
            match self.deliver_due().await {
                Ok(n) if n == BATCH as usize => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "mailer pass failed; retrying"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
        tracing::info!("mailer stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_and_stops_at_an_hour() {
        for (attempt, base) in [(1, 5), (2, 10), (3, 20), (4, 40)] {
            let wait = backoff(attempt).as_secs();
            assert!(
                (base..=base + base / 5).contains(&wait),
                "attempt {attempt}: {wait}"
            );
        }
        assert!((3_600..=4_320).contains(&backoff(30).as_secs()));
    }

    #[test]
    fn without_an_smtp_url_emails_go_to_the_development_mailbox() {
        let transport = Transport::from_config(None, "a@b.c").unwrap();
        assert_eq!(transport.name(), "mailbox");
    }

    #[test]
    fn a_malformed_sender_address_is_refused_at_startup() {
        assert!(Transport::from_config(Some("smtp://127.0.0.1:2525"), "not an address").is_err());
    }
}
