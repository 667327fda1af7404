//! SQL of the email outbox and the implementation of [`EmailStore`](super::EmailStore) shared by
//! both backends. Work is leased with one conditional update per email (`locked_until`), which is
//! safe across processes on both databases.

macro_rules! email_columns {
    () => {
        "id, organization_id, created_at, kind, to_address, subject, text_body, html_body, status, attempts, \
         next_attempt_at, last_error, sent_at, transport"
    };
}

pub(super) const INSERT_EMAIL: &str = "INSERT INTO email_outbox (id, organization_id, created_at, kind, to_address, \
     subject, text_body, html_body, status, attempts, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $3)";

/// `$1` now, `$2` limit.
pub(super) const DUE_EMAILS: &str = "SELECT id FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
     AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at, id LIMIT $2";

/// `$1` id, `$2` now, `$3` lease end.
pub(super) const LEASE_EMAIL: &str = "UPDATE email_outbox SET locked_until = $3, attempts = attempts + 1 \
     WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until <= $2)";

pub(super) const SELECT_EMAIL: &str = concat!(
    "SELECT ",
    email_columns!(),
    " FROM email_outbox WHERE id = $1"
);

/// `$1` id, `$2` now, `$3` transport, `$4` whether to erase the bodies (they carry single-use links).
pub(super) const MARK_EMAIL_SENT: &str = "UPDATE email_outbox SET status = 'sent', sent_at = $2, transport = $3, \
     locked_until = NULL, last_error = NULL, \
     text_body = CASE WHEN $4 THEN '(sent; the body held a single-use link and was erased)' ELSE text_body END, \
     html_body = CASE WHEN $4 THEN '' ELSE html_body END WHERE id = $1";

/// `$1` id, `$2` error, `$3` next attempt, `$4` status (`pending` to retry, `failed` to give up).
pub(super) const MARK_EMAIL_FAILED: &str = "UPDATE email_outbox SET status = $4, last_error = $2, next_attempt_at = $3, \
     locked_until = NULL WHERE id = $1";

/// `$1` limit: the newest first.
pub(super) const RECENT_EMAILS: &str = concat!(
    "SELECT ",
    email_columns!(),
    " FROM email_outbox ORDER BY created_at DESC, id DESC LIMIT $1"
);

/// Implements [`EmailStore`](super::EmailStore) for a store with a `pool: sqlx::Pool<$db>`.
macro_rules! email_store {
    ($store:ident, $db:ty) => {
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
            }
        }

        #[async_trait::async_trait]
        impl $crate::server::store::EmailStore for $store {
            async fn lease_due_emails(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> Result<Vec<$crate::server::store::EmailRecord>, $crate::server::store::StoreError>
            {
                use $crate::server::store::{emails::EmailRow, emails_sql as sql};
                let due: Vec<$crate::model::EmailId> = sqlx::query_scalar(sql::DUE_EMAILS)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                let mut leased = Vec::with_capacity(due.len());
                for id in due {
                    let won = sqlx::query(sql::LEASE_EMAIL)
                        .bind(id)
                        .bind(now)
                        .bind(lease_until)
                        .execute(&self.pool)
                        .await?;
                    if won.rows_affected() != 1 {
                        continue;
                    }
                    let row: Option<EmailRow> = sqlx::query_as(sql::SELECT_EMAIL)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    if let Some(row) = row {
                        leased.push(row.try_into()?);
                    }
                }
                Ok(leased)
            }

            async fn mark_email_sent(
                &self,
                id: $crate::model::EmailId,
                now: chrono::DateTime<chrono::Utc>,
                transport: &str,
                erase_bodies: bool,
            ) -> Result<(), $crate::server::store::StoreError> {
                sqlx::query($crate::server::store::emails_sql::MARK_EMAIL_SENT)
                    .bind(id)
                    .bind(now)
                    .bind(transport)
                    .bind(erase_bodies)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_email_failed(
                &self,
                id: $crate::model::EmailId,
                error: &str,
                retry_at: Option<chrono::DateTime<chrono::Utc>>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::EmailStatus;
                let status = if retry_at.is_some() {
                    EmailStatus::Pending
                } else {
                    EmailStatus::Failed
                };
                sqlx::query($crate::server::store::emails_sql::MARK_EMAIL_FAILED)
                    .bind(id)
                    .bind(error)
                    .bind(retry_at.unwrap_or(now))
                    .bind(status.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(())
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
