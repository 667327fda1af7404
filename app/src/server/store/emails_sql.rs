//! SQL of the email outbox and the implementation of [`EmailStore`](super::EmailStore) shared by
//! both backends. A worker leases one due email at a time (`locked_until`, `lease_id`) and records its
//! outcome only while that lease still holds, which is safe across processes on both databases. How
//! the next email is picked differs: PostgreSQL skips rows another transaction has locked
//! (`FOR UPDATE SKIP LOCKED`, see `postgres.rs`); SQLite has one writer at a time (`sqlite.rs`).

macro_rules! email_columns {
    () => {
        "id, organization_id, created_at, kind, to_address, subject, text_body, html_body, status, attempts, \
         next_attempt_at, last_error, sent_at, transport"
    };
}
pub(super) use email_columns;

pub(super) const INSERT_EMAIL: &str = "INSERT INTO email_outbox (id, organization_id, created_at, kind, to_address, \
     subject, text_body, html_body, status, attempts, next_attempt_at, seat_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $3, $9)";

/// What an erased body says instead of the single-use link it held.
macro_rules! erased_body {
    () => {
        "(erased: this email held a single-use link)"
    };
}

/// What an erased body says instead of the single-use link it held.
pub const ERASED_BODY: &str = erased_body!();

/// `$1` id, `$2` lease, `$3` now, `$4` transport, `$5` whether to erase the bodies: only while the
/// lease holds.
pub(super) const MARK_EMAIL_SENT: &str = concat!(
    "UPDATE email_outbox SET status = 'sent', sent_at = $3, transport = $4, locked_until = NULL, lease_id = NULL, \
     last_error = NULL, text_body = CASE WHEN $5 THEN '",
    erased_body!(),
    "' ELSE text_body END, html_body = CASE WHEN $5 THEN '' ELSE html_body END \
     WHERE id = $1 AND lease_id = $2 AND status = 'pending'"
);

/// `$1` id, `$2` lease, `$3` error, `$4` next attempt, `$5` status (`pending` to retry, `failed` to
/// give up, which erases the bodies): only while the lease holds.
pub(super) const MARK_EMAIL_FAILED: &str = concat!(
    "UPDATE email_outbox SET status = $5, last_error = $3, next_attempt_at = $4, locked_until = NULL, \
     lease_id = NULL, text_body = CASE WHEN $5 = 'failed' THEN '",
    erased_body!(),
    "' ELSE text_body END, html_body = CASE WHEN $5 = 'failed' THEN '' ELSE html_body END \
     WHERE id = $1 AND lease_id = $2 AND status = 'pending'"
);

/// `$1` seat: its emails lose their bodies (their link is dead or replaced), and those not sent yet
/// are discarded.
pub(super) const ERASE_EMAILS_OF_SEAT: &str = concat!(
    "UPDATE email_outbox SET status = CASE WHEN status = 'pending' THEN 'discarded' ELSE status END, \
     locked_until = NULL, text_body = '",
    erased_body!(),
    "', html_body = '' WHERE seat_id = $1 AND (status = 'pending' OR html_body <> '')"
);

/// `$1` limit: the newest first.
pub(super) const RECENT_EMAILS: &str = concat!(
    "SELECT ",
    email_columns!(),
    " FROM email_outbox ORDER BY created_at DESC, id DESC LIMIT $1"
);

/// Implements [`EmailStore`](super::EmailStore) for a store with a `pool: sqlx::Pool<$db>`.
macro_rules! email_store {
    ($store:ident, $db:ty, $lease_next:expr) => {
        impl $store {
            async fn insert_email_with<'e, E>(
                executor: E,
                email: &$crate::server::store::NewEmail,
            ) -> Result<(), $crate::server::store::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                Self::bind_email(
                    sqlx::query($crate::server::store::emails_sql::INSERT_EMAIL),
                    email,
                )
                .execute(executor)
                .await?;
                Ok(())
            }

            /// Binds the parameters of `INSERT_EMAIL` onto `query`.
            fn bind_email<'q>(
                query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
                email: &$crate::server::store::NewEmail,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
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
            async fn erase_emails_of_seat_with<'e, E>(
                executor: E,
                seat: $crate::model::SeatId,
            ) -> Result<(), $crate::server::store::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query($crate::server::store::emails_sql::ERASE_EMAILS_OF_SEAT)
                    .bind(seat)
                    .execute(executor)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::server::store::EmailStore for $store {
            async fn lease_next_email(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                lease: uuid::Uuid,
            ) -> Result<Option<$crate::server::store::EmailRecord>, $crate::server::store::StoreError>
            {
                use $crate::server::store::emails::EmailRow;
                let row: Option<EmailRow> = sqlx::query_as($lease_next)
                    .bind(now)
                    .bind(lease_until)
                    .bind(lease)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn mark_email_sent(
                &self,
                id: $crate::model::EmailId,
                lease: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
                transport: &str,
                erase_bodies: bool,
            ) -> Result<bool, $crate::server::store::StoreError> {
                let done = sqlx::query($crate::server::store::emails_sql::MARK_EMAIL_SENT)
                    .bind(id)
                    .bind(lease)
                    .bind(now)
                    .bind(transport)
                    .bind(erase_bodies)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn mark_email_failed(
                &self,
                id: $crate::model::EmailId,
                lease: uuid::Uuid,
                error: &str,
                retry_at: Option<chrono::DateTime<chrono::Utc>>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::server::store::StoreError> {
                use $crate::server::store::EmailStatus;
                let status = if retry_at.is_some() {
                    EmailStatus::Pending
                } else {
                    EmailStatus::Failed
                };
                let done = sqlx::query($crate::server::store::emails_sql::MARK_EMAIL_FAILED)
                    .bind(id)
                    .bind(lease)
                    .bind(error)
                    .bind(retry_at.unwrap_or(now))
                    .bind(status.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn recent_emails(
                &self,
                limit: u32,
            ) -> Result<Vec<$crate::server::store::EmailRecord>, $crate::server::store::StoreError>
            {
                use $crate::server::store::{emails::EmailRow, emails_sql as sql};
                let rows: Vec<EmailRow> = sqlx::query_as(sql::RECENT_EMAILS)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}

pub(super) use email_store;
