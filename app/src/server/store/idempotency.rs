//! Records of idempotency keys (see migration `0011_idempotency_keys.sql` and the idempotency
//! service).

use chrono::{DateTime, Utc};

use super::StoreError;

/// Which key: the scope of the caller that sent it (a digest of its credential) and the key itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdempotencyKey<'a> {
    pub scope: &'a [u8],
    pub key: &'a str,
}

/// A request's hold on a key: the fingerprint of what it asks, and until when it holds the key
/// (after `locked_until` a retry presumes it dead and takes over).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdempotencyHold<'a> {
    pub fingerprint: &'a [u8],
    pub now: DateTime<Utc>,
    pub locked_until: DateTime<Utc>,
}

/// A key's row as a later request with the same key finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub fingerprint: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    /// The stored response, once the first request finished.
    pub response: Option<StoredResponse>,
}

/// A response kept for replay: its status, content type and sealed body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub sealed_body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key was free: this request runs and must complete or release it.
    Claimed,
    /// The key exists.
    Taken(IdempotencyRecord),
}

#[derive(sqlx::FromRow)]
pub(super) struct IdempotencyRow {
    fingerprint: Vec<u8>,
    created_at: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
    status: Option<i64>,
    content_type: Option<String>,
    response: Option<Vec<u8>>,
}

impl TryFrom<IdempotencyRow> for IdempotencyRecord {
    type Error = StoreError;

    fn try_from(row: IdempotencyRow) -> Result<Self, Self::Error> {
        let response = match (row.status, row.response) {
            (Some(status), Some(sealed_body)) => Some(StoredResponse {
                status: u16::try_from(status)
                    .map_err(|e| StoreError::Corrupt(format!("idempotent response status: {e}")))?,
                content_type: row.content_type,
                sealed_body,
            }),
            _ => None,
        };
        Ok(Self {
            fingerprint: row.fingerprint,
            created_at: row.created_at,
            locked_until: row.locked_until,
            response,
        })
    }
}
