//! The embedded SQLite backend: a file next to the binary, nothing else to install.
//!
//! Configured for a server: WAL (readers never block the writer), foreign keys on, writers queued in
//! the process (`db::Writers`) and a busy timeout for writers of other processes, and `BEGIN
//! IMMEDIATE` for writing transactions.

use const_format::concatcp;

use std::{str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::{
    ConnectError, ConnectOptions, SqlStore,
    db::{Db, Writers},
    describe_connect_error,
    emails_sql::EMAIL_COLUMNS,
};

/// `$1` now, `$2` lease end, `$3` lease id, `$4` at most: the due emails, oldest first, leased in one
/// statement (SQLite runs one writing statement at a time, so two workers never pick the same row).
pub(super) const LEASE_DUE_EMAILS: &str = concatcp!(
    "UPDATE email_outbox SET locked_until = $2, lease_id = $3, attempts = attempts + 1 WHERE id IN \
     (SELECT id FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
     AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at, id LIMIT $4) RETURNING ",
    EMAIL_COLUMNS
);

/// `$1` now, `$2` lease end, `$3` lease, `$4` limit: enabled endpoints whose oldest pending event
/// is due and that no worker holds.
pub(super) const LEASE_DUE_WEBHOOK_ENDPOINTS: &str = "UPDATE webhook_endpoints SET locked_until = $2, lease_id = $3 \
     WHERE id IN (SELECT id FROM webhook_endpoints WHERE enabled AND next_delivery_at <= $1 \
     AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_delivery_at, id LIMIT $4) \
     RETURNING id, organization_id, url, secret, api_version";

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// How long a writer waits for the write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the Sqlite database at `url` (does not migrate).
pub(super) async fn connect(url: &str, options: &ConnectOptions) -> Result<SqlStore, ConnectError> {
    let connect_options = SqliteConnectOptions::from_str(url)
        .map_err(|e| ConnectError::Malformed(describe_connect_error(&e)))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);

    let path = connect_options.get_filename().to_path_buf();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| ConnectError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }

    let unreachable = |e: sqlx::Error| {
        ConnectError::Unreachable(format!(
            "SQLite {}: {}",
            path.display(),
            describe_connect_error(&e)
        ))
    };
    // The writer first: it creates the file and turns WAL on.
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(options.acquire_timeout.max(BUSY_TIMEOUT))
        // An embedded database cannot hang up: a ping would only cost a trip to its thread.
        .test_before_acquire(false)
        .connect_with(connect_options.clone())
        .await
        .map_err(unreachable)?;
    // Readers cannot write: a write that does not go through the writers' queue fails loudly
    // instead of contending for the lock.
    let readers = SqlitePoolOptions::new()
        .max_connections(options.max_connections.clamp(1, 16))
        .acquire_timeout(options.acquire_timeout.max(BUSY_TIMEOUT))
        .test_before_acquire(false)
        .connect_with(connect_options.read_only(true))
        .await
        .map_err(unreachable)?;
    Ok(SqlStore::new(Db::Sqlite(readers, Writers::new(writer))))
}
