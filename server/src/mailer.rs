//! The mailer: sends the email outbox. Emails are written by the changes that cause them, in the
//! same transaction (see the seats service); this worker leases a batch of due emails under one
//! lease (safe with several server processes: see `EmailStore::lease_due_emails`), hands them to the
//! transport at once and records the outcomes only while its lease still holds, so a slow send is
//! never sent again by another process meanwhile; the bookkeeping of a batch is two statements, not
//! two per email. A failed send is retried with exponential backoff and jitter (the outboxes' one
//! rule, `service::retry`), then given up (its body erased); a restart loses nothing because the outbox is
//! the database. It runs in the shared worker loop ([`crate::workers`]).
//!
//! Transports: SMTP (`--smtp-url`, via lettre) in production, or the development mailbox
//! (`--dev-mailbox`, loopback only): the email stays in the database and `/dev/mailbox` shows it.
//! With neither, no mailer runs and emails wait in the outbox.

use std::time::Duration;

use app::server::{
    service::{ServiceError, Services, retry},
    store::EmailRecord,
};
use chrono::TimeDelta;
use futures_util::future::join_all;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use tokio::sync::watch;

/// How long a leased batch is reserved for this worker: longer than its sends may take
/// (`BATCH / SENDS_AT_ONCE` rounds of at most `SEND_TIMEOUT`: 80 s).
const LEASE: TimeDelta = TimeDelta::seconds(120);
/// How many emails of a batch are sent at once (each on its own SMTP connection).
const SENDS_AT_ONCE: usize = 4;
/// How long one send may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How many emails one lease takes: their bookkeeping is two statements for the whole batch (plus
/// one per failure), not two per email.
pub const BATCH: u32 = 32;
/// How often the worker looks for due emails when the outbox is empty.
pub const POLL: Duration = Duration::from_millis(500);

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

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub sent: usize,
    pub failed: usize,
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

    /// Sends every email due now, a batch at a time; returns how many were sent.
    pub async fn deliver_due(&self) -> Result<usize, ServiceError> {
        let mut sent = 0;
        while let Some(batch) = self.deliver_batch().await? {
            sent += batch.sent;
        }
        Ok(sent)
    }

    /// Leases up to [`BATCH`] due emails under one lease, sends them [`SENDS_AT_ONCE`] at a time
    /// (each within [`SEND_TIMEOUT`]), records the sent ones in one statement, then each failure:
    /// `None` when nothing is due.
    pub async fn deliver_batch(&self) -> Result<Option<Batch>, ServiceError> {
        let lease = uuid::Uuid::new_v4();
        let emails = self.services.lease_due_emails(lease, LEASE, BATCH).await?;
        if emails.is_empty() {
            return Ok(None);
        }
        let mut outcomes = Vec::with_capacity(emails.len());
        for chunk in emails.chunks(SENDS_AT_ONCE) {
            outcomes.extend(join_all(chunk.iter().map(|email| self.send(email))).await);
        }
        let mut sent = Vec::new();
        let mut failed = Vec::new();
        for (email, outcome) in emails.iter().zip(outcomes) {
            match outcome {
                Ok(()) => {
                    tracing::debug!(email_id = %email.id, kind = %email.kind, "email sent");
                    sent.push(email.id);
                }
                Err(error) => failed.push((email, error)),
            }
        }
        // The sent ones first, by id: a failure that cannot be recorded leaves only itself leased
        // (sent again after the lease, as a failure should be), never the batch.
        if !sent.is_empty() {
            let recorded = self
                .services
                .record_leased_emails_sent(
                    lease,
                    &sent,
                    self.transport.name(),
                    self.transport.erases_sent_bodies(),
                )
                .await?;
            tracing::info!(
                sent = sent.len(),
                recorded,
                transport = self.transport.name(),
                "emails sent"
            );
            if recorded < sent.len() as u64 {
                tracing::warn!(
                    not_recorded = sent.len() as u64 - recorded,
                    "emails sent, but not all outcomes recorded: a lease ran out, or a seat changed meanwhile"
                );
            }
        }
        for (email, error) in &failed {
            if let Err(e) = self.record_failure(email, lease, error).await {
                tracing::error!(email_id = %email.id, error = %e, "a failed send could not be recorded; it is retried when its lease runs out");
            }
        }
        let batch = Batch {
            sent: sent.len(),
            failed: failed.len(),
        };
        Ok(Some(batch))
    }

    /// Sends one email, giving up after [`SEND_TIMEOUT`] (lettre's own timeout covers only the
    /// connection, not a server that accepts and then stalls).
    async fn send(&self, email: &EmailRecord) -> Result<(), String> {
        tokio::time::timeout(SEND_TIMEOUT, self.transport.send(email))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())))
    }

    /// Records a failed send: retried later with backoff, or given up after
    /// [`retry::MAX_ATTEMPTS`].
    async fn record_failure(
        &self,
        email: &EmailRecord,
        lease: uuid::Uuid,
        error: &str,
    ) -> Result<(), ServiceError> {
        let attempts = email.attempts.max(1);
        let retry_at = retry::retry_at(attempts, self.services.now());
        tracing::warn!(email_id = %email.id, attempts, %error, will_retry = retry_at.is_some(), "email not sent");
        self.services
            .record_email_failed(email.id, lease, error, retry_at)
            .await?;
        Ok(())
    }

    /// Delivers until `stop` turns true.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        tracing::info!(transport = self.transport.name(), "mailer started");
        crate::workers::run_loop("mailer", POLL, stop, move || {
            let mailer = self.clone();
            async move {
                mailer
                    .deliver_batch()
                    .await
                    .map(|delivered| delivered.is_some())
                    .map_err(|e| e.to_string())
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
