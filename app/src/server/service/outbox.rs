//! The email outbox as its readers see it: the mailer leases one due email at a time and records
//! the outcome while its lease holds; the development mailbox lists the newest emails. Emails are
//! written by the changes that cause them (assign, resend), never here.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::{model::EmailId, server::store::EmailRecord};

use super::{ServiceError, Services};

impl Services {
    /// Leases the next email due now to the worker `lease` for `lease_for` (counting an attempt);
    /// none when nothing is due.
    pub async fn lease_next_email(
        &self,
        lease: Uuid,
        lease_for: TimeDelta,
    ) -> Result<Option<EmailRecord>, ServiceError> {
        let now = self.now();
        Ok(self
            .store()
            .lease_next_email(now, now + lease_for, lease)
            .await?)
    }

    /// Records that `lease`'s email was delivered through `transport` (erasing its bodies when the
    /// transport keeps no copy to show); false when the lease ran out or the seat changed meanwhile.
    pub async fn record_email_sent(
        &self,
        id: EmailId,
        lease: Uuid,
        transport: &str,
        erase_bodies: bool,
    ) -> Result<bool, ServiceError> {
        Ok(self
            .store()
            .mark_email_sent(id, lease, self.now(), transport, erase_bodies)
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
