//! The validation path of a license key, the call a merchant's app makes on every start: one read
//! of the key with its holder, and one counting write that costs the database as little as it can.
//!
//! - [`HeldLicenseKey`]: the key, its customer and its member in one joined read (a validation's
//!   answer shows all three), not three.
//! - The count: on SQLite, validations waiting for the process's writer are committed together
//!   ([`ValidationQueue`]: one transaction, one WAL append, for every validation that arrived
//!   while the previous writer held the database), each still its own guarded update answered with
//!   its own row. On PostgreSQL a validation that only counts (no `increment_usage`) commits
//!   asynchronously ([`VALIDATE_COUNT_ONLY`]): visible to every process at once,
//!   written to disk within three times the WAL writer's delay (600 ms by default) instead of before
//!   the answer, so a crash of the database server or its machine (or a failover) can forget the
//!   last fraction of a second of validation counts and `last_validated_at` (as SQLite's
//!   `synchronous = NORMAL` can forget its last commits), never a key, a usage or anything else.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use const_format::concatcp;
use tokio::sync::oneshot;

use super::{
    Backend, CustomerRecord, SqlStore, StoreError,
    db::{Db, query_as},
    license_keys::{LICENSE_KEY_COLUMNS, LicenseKeyRecord, LicenseKeyRow},
};
use crate::model::{
    Email, LicenseKeyId, MemberId, OrganizationId, customer::CustomerType,
    license_key::LicenseKeyMember,
};

/// A key with the customer paying for it (even deleted) and the member holding it (even removed;
/// `None` only if the member's row is gone).
#[derive(Clone, Debug, PartialEq)]
pub struct HeldLicenseKey {
    pub key: LicenseKeyRecord,
    pub customer: CustomerRecord,
    pub member: Option<LicenseKeyMember>,
}

const VALIDATE_SET: &str = "UPDATE license_keys SET validations = validations + 1, \
     last_validated_at = $2, usage = usage + $3, modified_at = $2 ";

const VALIDATE_GUARDS: &str = "WHERE id = $1 AND status = 'granted' \
     AND (expires_at IS NULL OR expires_at > $2) \
     AND ($3 = 0 OR limit_usage IS NULL OR usage + $3 <= limit_usage) RETURNING ";

/// `$1` key, `$2` now, `$3` usage to add: counts a validation, only while the key is granted,
/// unexpired and the usage stays within its limit.
const VALIDATE: &str = concatcp!(VALIDATE_SET, VALIDATE_GUARDS, LICENSE_KEY_COLUMNS);

/// PostgreSQL only: [`VALIDATE`] whose transaction commits asynchronously (`synchronous_commit`
/// off for it alone, as `SET LOCAL` in it would), for a validation that only counts.
const VALIDATE_COUNT_ONLY: &str = concatcp!(
    VALIDATE_SET,
    "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed ",
    VALIDATE_GUARDS,
    LICENSE_KEY_COLUMNS
);

/// `$1` organization, `$2` key: the key's columns as [`LicenseKeyRow`] reads them, then its
/// customer's and member's, prefixed.
const SELECT_HELD_KEY: &str = "SELECT k.id, k.organization_id, k.created_at, k.modified_at, \
     k.grant_id, k.benefit_id, k.customer_id, k.member_id, k.key, k.status, k.limit_activations, \
     k.activations, k.usage, k.limit_usage, k.validations, k.last_validated_at, k.expires_at, \
     c.created_at AS customer_created_at, c.modified_at AS customer_modified_at, \
     c.type AS customer_type, c.email AS customer_email, c.name AS customer_name, \
     c.external_id AS customer_external_id, c.metadata AS customer_metadata, \
     c.deleted_at AS customer_deleted_at, \
     m.id AS member_found, m.email AS member_email, m.external_id AS member_external_id \
     FROM license_keys k \
     JOIN customers c ON c.id = k.customer_id AND c.organization_id = k.organization_id \
     LEFT JOIN members m ON m.id = k.member_id AND m.customer_id = k.customer_id \
     WHERE k.organization_id = $1 AND k.key = $2";

#[derive(sqlx::FromRow)]
pub(super) struct HeldKeyRow {
    #[sqlx(flatten)]
    key: LicenseKeyRow,
    customer_created_at: DateTime<Utc>,
    customer_modified_at: Option<DateTime<Utc>>,
    customer_type: CustomerType,
    customer_email: Option<String>,
    customer_name: Option<String>,
    customer_external_id: Option<String>,
    customer_metadata: String,
    customer_deleted_at: Option<DateTime<Utc>>,
    member_found: Option<MemberId>,
    member_email: Option<String>,
    member_external_id: Option<String>,
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

impl TryFrom<HeldKeyRow> for HeldLicenseKey {
    type Error = StoreError;

    fn try_from(row: HeldKeyRow) -> Result<Self, StoreError> {
        let key = LicenseKeyRecord::try_from(row.key)?;
        let customer = CustomerRecord {
            id: key.customer_id,
            organization_id: key.organization_id,
            created_at: row.customer_created_at,
            modified_at: row.customer_modified_at,
            kind: row.customer_type,
            email: row
                .customer_email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|e| corrupt("customer email", e))?,
            name: row.customer_name,
            external_id: row.customer_external_id,
            metadata: serde_json::from_str(&row.customer_metadata)
                .map_err(|e| corrupt("customer metadata", e))?,
            deleted_at: row.customer_deleted_at,
        };
        let member = match (row.member_found, row.member_email) {
            (Some(id), Some(email)) => Some(LicenseKeyMember {
                id,
                email: Email::parse(&email).map_err(|e| corrupt("member email", e))?,
                external_id: row.member_external_id,
            }),
            _ => None,
        };
        Ok(Self {
            key,
            customer,
            member,
        })
    }
}

/// At most this many validations share a transaction, so one batch holds the writer briefly.
const MAX_BATCH: usize = 256;

/// Validations queued for SQLite's writer. The first one queued starts a flush, which waits for
/// the writer's turn (while more validations queue), then takes every queued one into one
/// transaction. The flush runs as a task of its own, so a client that hangs up never rolls back
/// the validations of others.
#[derive(Clone, Default)]
pub(super) struct ValidationQueue(Arc<Mutex<Vec<QueuedValidation>>>);

struct QueuedValidation {
    key: LicenseKeyId,
    increment_usage: u32,
    now: DateTime<Utc>,
    answer: oneshot::Sender<Result<Option<LicenseKeyRow>, StoreError>>,
}

impl ValidationQueue {
    /// Queues a validation and waits for its flush: the key's row after it, or `None` when its
    /// guards refused it.
    async fn validate(
        &self,
        db: &Db,
        key: LicenseKeyId,
        increment_usage: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<LicenseKeyRow>, StoreError> {
        let (answer, answered) = oneshot::channel();
        let starts_flush = {
            let mut queued = self.lock();
            queued.push(QueuedValidation {
                key,
                increment_usage,
                now,
                answer,
            });
            queued.len() == 1
        };
        if starts_flush {
            tokio::spawn(self.clone().flush(db.clone()));
        }
        answered.await.map_err(|_| {
            StoreError::Unavailable(sqlx::Error::Protocol(
                "the validation's flush ended without an answer".into(),
            ))
        })?
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<QueuedValidation>> {
        // A panic while the lock was held cannot leave the queue half-changed (push and take only).
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Commits every queued validation (at most [`MAX_BATCH`]) in one transaction, in the order
    /// they queued. If one fails, none is counted and each is told so (503: retrying is safe).
    fn flush(self, db: Db) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        // Boxed: a flush may start the next one, and a recursive `async fn` has no nameable type.
        Box::pin(async move {
            let mut tx = match db.begin_write().await {
                Ok(tx) => tx,
                Err(err) => {
                    let message = err.to_string();
                    let queued = std::mem::take(&mut *self.lock());
                    for queued in queued {
                        let _ = queued.answer.send(Err(rolled_back(&message)));
                    }
                    return;
                }
            };
            let batch = {
                let mut queued = self.lock();
                let fits = queued.len().min(MAX_BATCH);
                let rest = queued.split_off(fits);
                let batch = std::mem::replace(&mut *queued, rest);
                if !queued.is_empty() {
                    // What did not fit: its own flush, after this one.
                    tokio::spawn(self.clone().flush(db.clone()));
                }
                batch
            };
            let mut rows = Vec::with_capacity(batch.len());
            let mut failure = None;
            for queued in &batch {
                match query_as::<LicenseKeyRow>(VALIDATE)
                    .bind(queued.key)
                    .bind(queued.now)
                    .bind(i64::from(queued.increment_usage))
                    .fetch_optional(&mut tx)
                    .await
                {
                    Ok(row) => rows.push(row),
                    Err(err) => {
                        failure = Some(err);
                        break;
                    }
                }
            }
            let failure = match failure {
                Some(err) => Some(err),
                None => tx.commit().await.err(),
            };
            match failure {
                None => {
                    for (queued, row) in batch.into_iter().zip(rows) {
                        let _ = queued.answer.send(Ok(row));
                    }
                }
                Some(err) => {
                    let message = err.to_string();
                    tracing::warn!(error = %message, validations = batch.len(), "validations rolled back");
                    for queued in batch {
                        let _ = queued.answer.send(Err(rolled_back(&message)));
                    }
                }
            }
        })
    }
}

fn rolled_back(message: &str) -> StoreError {
    StoreError::Unavailable(sqlx::Error::Protocol(format!(
        "the validations' transaction failed: {message}"
    )))
}

impl SqlStore {
    pub(super) async fn held_license_key_by_key_impl(
        &self,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<Option<HeldLicenseKey>, StoreError> {
        query_as::<HeldKeyRow>(SELECT_HELD_KEY)
            .bind(organization_id)
            .bind(key)
            .fetch_optional(&self.db)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    /// Counts a validation (and adds `increment_usage`) if the key's guards allow it: its row
    /// after, or `None`.
    pub(super) async fn validate_license_key_impl(
        &self,
        key: LicenseKeyId,
        increment_usage: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        let row = match self.db.backend() {
            Backend::Sqlite => {
                self.validations
                    .validate(&self.db, key, increment_usage, now)
                    .await?
            }
            Backend::Postgres => {
                let sql = if increment_usage == 0 {
                    VALIDATE_COUNT_ONLY
                } else {
                    VALIDATE
                };
                query_as::<LicenseKeyRow>(sql)
                    .bind(key)
                    .bind(now)
                    .bind(i64::from(increment_usage))
                    .fetch_optional(&self.db)
                    .await?
            }
        };
        row.map(TryInto::try_into).transpose()
    }
}
