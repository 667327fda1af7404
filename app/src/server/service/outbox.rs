//! The email outbox as its readers see it: the mailer leases a batch of due emails and records the
//! outcomes while its lease holds; the development mailbox lists the newest emails. Emails are
//! written by the changes that cause them (assign, resend), never here.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::{model::EmailId, server::store::EmailRecord};

use super::{ServiceError, Services};

impl Services {
    /// Leases up to `limit` emails due now to the worker `lease` for `lease_for` (counting an
    /// attempt of each); empty when nothing is due.
    pub async fn lease_due_emails(
        &self,
        lease: Uuid,
        lease_for: TimeDelta,
        limit: u32,
    ) -> Result<Vec<EmailRecord>, ServiceError> {
        let now = self.now();
        Ok(self
            .store()
            .lease_due_emails(now, now + lease_for, lease, limit)
            .await?)
    }

    /// Records that the emails `ids`, leased by `lease`, were delivered through `transport`
    /// (erasing their bodies when the transport keeps no copy to show); how many (fewer when a lease
    /// ran out or a seat changed meanwhile).
    pub async fn record_leased_emails_sent(
        &self,
        lease: Uuid,
        ids: &[EmailId],
        transport: &str,
        erase_bodies: bool,
    ) -> Result<u64, ServiceError> {
        Ok(self
            .store()
            .mark_leased_emails_sent(lease, ids, self.now(), transport, erase_bodies)
            .await?)
    }

    /// Records a failed attempt of `lease`'s email: retried at `retry_at`, or given up when none.
    pub async fn record_email_failed(
        &self,
        id: EmailId,
        lease: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, ServiceError> {
        Ok(self
            .store()
            .mark_email_failed(id, lease, error, retry_at, self.now())
            .await?)
    }

    /// The newest emails, newest first (the development mailbox).
    pub async fn recent_emails(&self, limit: u32) -> Result<Vec<EmailRecord>, ServiceError> {
        Ok(self.store().recent_emails(limit).await?)
    }
}
