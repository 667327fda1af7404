//! The PostgreSQL backend: for production, and for several `seatkeeper serve` processes behind a
//! load balancer sharing one database. Pool size comes from `--max-connections`.

use const_format::concatcp;

use std::time::Duration;

use sqlx::{
    Connection,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use super::{
    ConnectError, ConnectOptions, SqlStore, db::Db, describe_connect_error,
    emails_sql::EMAIL_COLUMNS,
};

/// `$1` now, `$2` lease end, `$3` lease id, `$4` at most: the due emails, oldest first, leased in one
/// statement. Rows another worker's transaction holds are skipped (`SKIP LOCKED`) rather than waited
/// for, so several processes lease different emails at once.
pub(super) const LEASE_DUE_EMAILS: &str = concatcp!(
    "UPDATE email_outbox SET locked_until = $2, lease_id = $3, attempts = attempts + 1 WHERE id IN \
     (SELECT id FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
     AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING ",
    EMAIL_COLUMNS
);

/// `$1` now, `$2` lease end, `$3` lease, `$4` limit: enabled endpoints whose oldest pending event
/// is due and that no worker holds.
pub(super) const LEASE_DUE_WEBHOOK_ENDPOINTS: &str = "UPDATE webhook_endpoints SET locked_until = $2, lease_id = $3 \
     WHERE id IN (SELECT id FROM webhook_endpoints WHERE enabled AND next_delivery_at <= $1 \
     AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_delivery_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, organization_id, url, secret, api_version";

/// `$1` endpoint: its row stays locked until the transaction ends.
pub(super) const LOCK_WEBHOOK_ENDPOINT: &str =
    "SELECT id FROM webhook_endpoints WHERE id = $1 FOR UPDATE";

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// A pooled connection idle this long is pinged before it is handed out (the database may have
/// restarted or a proxy dropped it). A busy connection is not: pinging every checkout would add a
/// round trip to every query.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(10);

/// Opens the Postgres database at `url` (does not migrate).
pub(super) async fn connect(url: &str, options: &ConnectOptions) -> Result<SqlStore, ConnectError> {
    let connect_options: PgConnectOptions = url
        .parse()
        .map_err(|e| ConnectError::Malformed(describe_connect_error(&e)))?;
    let target = format!(
        "PostgreSQL at {}:{}/{}",
        connect_options.get_host(),
        connect_options.get_port(),
        connect_options.get_database().unwrap_or("postgres")
    );
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(connect_options)
        .await
        .map_err(|e| {
            ConnectError::Unreachable(format!("{target}: {}", describe_connect_error(&e)))
        })?;
    Ok(SqlStore::new(Db::Postgres(pool)))
}
