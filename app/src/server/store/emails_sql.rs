//! SQL of the email outbox and the implementation of [`EmailStore`](super::EmailStore) shared by
//! both backends. A worker leases a batch of due emails under one lease (`locked_until`, `lease_id`)
//! and records their outcome only while that lease still holds, which is safe across processes on
//! both databases: the sent ones by id in one statement, failures one by one. How the due emails are picked differs: PostgreSQL skips rows another transaction has locked
//! (`FOR UPDATE SKIP LOCKED`, see `postgres.rs`); SQLite has one writer at a time (`sqlite.rs`).

use const_format::concatcp;

use super::{
    EmailRecord, EmailStatus, EmailStore, NewEmail, SqlStore, StoreError,
    db::{On, Query, query, query_as},
};
use crate::model::{EmailId, Named, SeatId};

pub(super) const EMAIL_COLUMNS: &str = "id, organization_id, created_at, kind, to_address, subject, text_body, html_body, status, attempts, \
         next_attempt_at, last_error, sent_at, transport";

pub(super) const INSERT_EMAIL: &str = "INSERT INTO email_outbox (id, organization_id, created_at, kind, to_address, \
     subject, text_body, html_body, status, attempts, next_attempt_at, seat_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $3, $9)";

/// What an erased body says instead of the single-use link it held.
pub const ERASED_BODY: &str = "(erased: this email held a single-use link)";

/// `$1` lease, `$2` now, `$3` transport, `$4` whether to erase the bodies; the emails' ids follow
/// (`mark_leased_emails_sent` appends `AND id IN (...)`): those of them the lease still holds.
const MARK_LEASED_EMAILS_SENT: &str = concatcp!(
    "UPDATE email_outbox SET status = 'sent', sent_at = $2, transport = $3, locked_until = NULL, lease_id = NULL, \
     last_error = NULL, text_body = CASE WHEN $4 THEN '",
    ERASED_BODY,
    "' ELSE text_body END, html_body = CASE WHEN $4 THEN '' ELSE html_body END \
     WHERE lease_id = $1 AND status = 'pending' AND id IN "
);

/// The first placeholder of `MARK_LEASED_EMAILS_SENT`'s ids.
const FIRST_SENT_ID: usize = 5;

/// `$1` id, `$2` lease, `$3` error, `$4` next attempt, `$5` status (`pending` to retry, `failed` to
/// give up, which erases the bodies): only while the lease holds.
pub(super) const MARK_EMAIL_FAILED: &str = concatcp!(
    "UPDATE email_outbox SET status = $5, last_error = $3, next_attempt_at = $4, locked_until = NULL, \
     lease_id = NULL, text_body = CASE WHEN $5 = 'failed' THEN '",
    ERASED_BODY,
    "' ELSE text_body END, html_body = CASE WHEN $5 = 'failed' THEN '' ELSE html_body END \
     WHERE id = $1 AND lease_id = $2 AND status = 'pending'"
);

/// `$1` seat: its emails lose their bodies (their link is dead or replaced), and those not sent yet
/// are discarded.
pub(super) const ERASE_EMAILS_OF_SEAT: &str = concatcp!(
    "UPDATE email_outbox SET status = CASE WHEN status = 'pending' THEN 'discarded' ELSE status END, \
     locked_until = NULL, lease_id = NULL, text_body = '",
    ERASED_BODY,
    "', html_body = '' WHERE seat_id = $1 AND (status = 'pending' OR html_body <> '')"
);

/// `$1` email: as [`ERASE_EMAILS_OF_SEAT`], for one email (a spent sign-in code's).
pub(super) const ERASE_EMAIL: &str = concatcp!(
    "UPDATE email_outbox SET status = CASE WHEN status = 'pending' THEN 'discarded' ELSE status END, \
     locked_until = NULL, lease_id = NULL, text_body = '",
    ERASED_BODY,
    "', html_body = '' WHERE id = $1"
);

/// `$1` limit: the newest first.
pub(super) const RECENT_EMAILS: &str = concatcp!(
    "SELECT ",
    EMAIL_COLUMNS,
    " FROM email_outbox ORDER BY created_at DESC, id DESC LIMIT $1"
);

impl SqlStore {
    pub(super) async fn insert_email_with(
        executor: impl Into<On<'_>>,
        email: &NewEmail,
    ) -> Result<(), StoreError> {
        Self::bind_email(query(INSERT_EMAIL), email)
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Binds the parameters of `INSERT_EMAIL` onto `query`.
    pub(super) fn bind_email<'q>(query: Query<'q>, email: &'q NewEmail) -> Query<'q> {
        query
            .bind(email.id)
            .bind(email.organization_id)
            .bind(email.created_at)
            .bind(email.kind)
            .bind(&email.to)
            .bind(&email.subject)
            .bind(&email.text_body)
            .bind(&email.html_body)
            .bind(email.seat_id)
    }

    /// Erases the bodies of a seat's emails and discards those not sent yet.
    pub(super) async fn erase_emails_of_seat_with(
        executor: impl Into<On<'_>>,
        seat: SeatId,
    ) -> Result<(), StoreError> {
        query(ERASE_EMAILS_OF_SEAT)
            .bind(seat)
            .execute(executor)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl EmailStore for SqlStore {
    async fn lease_due_emails(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        lease: uuid::Uuid,
        limit: u32,
    ) -> Result<Vec<EmailRecord>, StoreError> {
        Ok(query_as(self.db.lease_due_emails_sql())
            .bind(now)
            .bind(lease_until)
            .bind(lease)
            .bind(i64::from(limit))
            .fetch_all(&self.db.writer().await?)
            .await?)
    }

    async fn mark_leased_emails_sent(
        &self,
        lease: uuid::Uuid,
        ids: &[EmailId],
        now: chrono::DateTime<chrono::Utc>,
        transport: &str,
        erase_bodies: bool,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let placeholders: Vec<String> = (0..ids.len())
            .map(|i| format!("${}", FIRST_SENT_ID + i))
            .collect();
        // Only placeholders are added to the constant: no value enters the text.
        let sql = format!("{MARK_LEASED_EMAILS_SENT}({})", placeholders.join(", "));
        let mut statement = query(sqlx::AssertSqlSafe(sql))
            .bind(lease)
            .bind(now)
            .bind(transport)
            .bind(erase_bodies);
        for id in ids {
            statement = statement.bind(*id);
        }
        let done = statement.execute(&self.db.writer().await?).await?;
        Ok(done.rows_affected())
    }

    async fn mark_email_failed(
        &self,
        id: EmailId,
        lease: uuid::Uuid,
        error: &str,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let status = if retry_at.is_some() {
            EmailStatus::Pending
        } else {
            EmailStatus::Failed
        };
        let done = query(MARK_EMAIL_FAILED)
            .bind(id)
            .bind(lease)
            .bind(error)
            .bind(retry_at.unwrap_or(now))
            .bind(status.as_str())
            .execute(&self.db.writer().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn recent_emails(&self, limit: u32) -> Result<Vec<EmailRecord>, StoreError> {
        Ok(query_as(RECENT_EMAILS)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?)
    }
}
