//! Webhook delivery from the outbox: fan-out of queued events to endpoints, and delivery per
//! endpoint under a lease.
//!
//! - **Fan-out** ([`SqlStore::dispatch_webhook_events_impl`]): one dispatcher at a time (PostgreSQL:
//!   a transaction-scoped advisory lock; SQLite: its one writer) reads the oldest queued events in
//!   `seq` order, writes one send per enabled endpoint of the event's organization that subscribes
//!   to its type and existed when it happened, and deletes exactly the queue rows it read (a row
//!   committed meanwhile with a lower `seq` stays for the next pass). An event that may change a
//!   customer's state, of an organization with an endpoint subscribed to `customer.state_changed`,
//!   also notes the customer in `customer_state_changes`, in the same transaction (the event that
//!   tells the new state is written from a fresh read afterwards: `store/entitlements.rs`).
//! - **Delivery**: a worker leases due endpoints (PostgreSQL skips rows another process locked),
//!   reads an endpoint's pending sends oldest first, and records each attempt only while its lease
//!   holds; releasing the lease sets when the endpoint's oldest pending send is due. Release and
//!   fan-out both lock the endpoint's row before reading its sends, so neither can leave a pending
//!   send that no endpoint schedule points at.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Backend, NewEmail, SqlStore, StoreError,
    db::{query, query_as},
    webhooks::{SEND_COLUMNS, SendRow, WebhookSendRecord, WebhookSendStatus},
};
use crate::model::{
    CustomerId, EventId, Named, OrganizationId, WebhookDeliveryId, WebhookEndpointId, WebhookSendId,
};

/// An endpoint leased to one worker.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct LeasedWebhookEndpoint {
    pub id: WebhookEndpointId,
    pub organization_id: OrganizationId,
    pub url: String,
    pub secret: String,
    pub api_version: String,
}

/// The outcome of one delivery attempt, to record under the worker's lease.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookAttempt {
    pub lease: Uuid,
    pub endpoint_id: WebhookEndpointId,
    pub organization_id: OrganizationId,
    pub send_id: WebhookSendId,
    pub kind: String,
    pub delivery_id: WebhookDeliveryId,
    pub at: DateTime<Utc>,
    pub succeeded: bool,
    pub http_code: Option<u16>,
    /// The start of the response body, or what went wrong.
    pub response: Option<String>,
    pub duration_ms: u64,
    /// When to try again after a failure; none gives the event up.
    pub retry_at: Option<DateTime<Utc>>,
    /// After this many events given up in a row, the endpoint is disabled.
    pub disable_after: u32,
    /// Written to the outbox when this attempt disables the endpoint.
    pub disabled_notice: Option<NewEmail>,
}

/// What recording an attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptRecorded {
    /// The lease ran out and another worker holds the endpoint: nothing was written.
    LeaseLost,
    Recorded {
        /// This attempt gave up the last event of a failing run and disabled the endpoint.
        disabled: bool,
        /// The endpoint is (still) enabled: its next events may be sent.
        enabled: bool,
    },
}

/// PostgreSQL: one dispatcher at a time, across processes (a lock held until the transaction ends).
const DISPATCH_LOCK: &str = "SELECT pg_advisory_xact_lock(7365627386515)";

/// `$1` limit: the oldest queued events (an event gone with its organization has no type).
/// The payload is read only for events that may change a customer's state (see
/// [`STATE_CHANGING_EVENTS`](crate::model::webhook::STATE_CHANGING_EVENTS)).
const QUEUED_EVENTS: &str = "SELECT q.seq, q.event_id, e.organization_id, e.type, e.created_at, \
     CASE WHEN e.type LIKE 'benefit_grant.%' OR e.type LIKE 'subscription.%' \
     OR (e.type LIKE 'customer.%' AND e.type <> 'customer.state_changed') THEN e.payload END AS payload \
     FROM webhook_queue q LEFT JOIN webhook_events e ON e.id = q.event_id ORDER BY q.seq LIMIT $1";

#[derive(sqlx::FromRow)]
struct QueuedRow {
    seq: i64,
    event_id: EventId,
    organization_id: Option<OrganizationId>,
    #[sqlx(rename = "type")]
    kind: Option<String>,
    created_at: Option<DateTime<Utc>>,
    payload: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SubscriberRow {
    id: WebhookEndpointId,
    organization_id: OrganizationId,
    events: String,
    created_at: DateTime<Utc>,
}

const INSERT_SEND: &str = "INSERT INTO webhook_sends (id, organization_id, endpoint_id, event_id, seq, type, created_at, \
     status, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8)";

/// `$1` endpoint, `$2` now. Also locks the endpoint's row until the fan-out commits (see the
/// module's doc).
const SCHEDULE_ENDPOINT: &str = "UPDATE webhook_endpoints SET next_delivery_at = COALESCE(next_delivery_at, $2) \
     WHERE id = $1";

/// `$1` endpoint, `$2` limit.
const PENDING_SENDS: &str = const_format::concatcp!(
    "SELECT ",
    SEND_COLUMNS,
    " FROM webhook_sends s JOIN webhook_events e ON e.id = s.event_id \
     WHERE s.endpoint_id = $1 AND s.status = 'pending' ORDER BY s.seq LIMIT $2"
);

/// `$1` endpoint, `$2` lease, `$3` outcome (`succeeded`, `pending` to retry, `failed` to give
/// up), `$4` how many given-up events in a row disable it, `$5` now. Only while the lease holds.
const RECORD_ON_ENDPOINT: &str = "UPDATE webhook_endpoints SET \
     consecutive_failures = CASE $3 WHEN 'succeeded' THEN 0 WHEN 'failed' THEN consecutive_failures + 1 \
     ELSE consecutive_failures END, \
     enabled = CASE WHEN $3 = 'failed' AND consecutive_failures + 1 >= $4 THEN FALSE ELSE enabled END, \
     modified_at = CASE WHEN $3 = 'failed' AND consecutive_failures + 1 >= $4 AND enabled THEN $5 \
     ELSE modified_at END \
     WHERE id = $1 AND lease_id = $2 RETURNING consecutive_failures, enabled";

const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, send_id, type, created_at, \
     succeeded, http_code, response, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// `$1` send, `$2` status, `$3` next attempt (null: unchanged), `$4` HTTP code, `$5` now.
const RECORD_ON_SEND: &str = "UPDATE webhook_sends SET status = $2, attempts = attempts + 1, \
     next_attempt_at = COALESCE($3, next_attempt_at), last_http_code = $4, modified_at = $5 \
     WHERE id = $1 AND status = 'pending'";

/// `$1` endpoint, `$2` lease: the lease ends and the endpoint is next due when its oldest pending
/// send is (none pending: not due).
const RELEASE_ENDPOINT: &str = "UPDATE webhook_endpoints SET lease_id = NULL, locked_until = NULL, \
     next_delivery_at = (SELECT s.next_attempt_at FROM webhook_sends s WHERE s.endpoint_id = $1 \
     AND s.status = 'pending' ORDER BY s.seq LIMIT 1) \
     WHERE id = $1 AND lease_id = $2";

/// The customer whose state a queued event may have changed.
fn state_changed_customer(kind: &str, payload: Option<&str>) -> Option<CustomerId> {
    let payload: serde_json::Value = serde_json::from_str(payload?).ok()?;
    crate::model::webhook::state_changed_customer(kind, &payload).map(CustomerId::from_uuid)
}

impl SqlStore {
    pub(super) async fn dispatch_webhook_events_impl(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<usize, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if self.db.backend() == Backend::Postgres {
            query(DISPATCH_LOCK).execute(&mut tx).await?;
        }
        let queued = query_as::<QueuedRow>(QUEUED_EVENTS)
            .bind(i64::from(limit))
            .fetch_all(&mut tx)
            .await?;
        if queued.is_empty() {
            return Ok(0);
        }
        let mut organizations: Vec<OrganizationId> =
            queued.iter().filter_map(|q| q.organization_id).collect();
        organizations.sort_unstable();
        organizations.dedup();
        let subscribers = self.subscribers(&mut tx, &organizations).await?;
        let mut scheduled: Vec<WebhookEndpointId> = Vec::new();
        for event in &queued {
            let (Some(organization_id), Some(kind), Some(created_at)) =
                (event.organization_id, &event.kind, event.created_at)
            else {
                continue;
            };
            if let Some(customer_id) = state_changed_customer(kind, event.payload.as_deref())
                && subscribers.iter().any(|(endpoint, events)| {
                    endpoint.organization_id == organization_id
                        && events.iter().any(|e| e == "customer.state_changed")
                })
            {
                Self::record_state_change_with(&mut tx, organization_id, customer_id, now).await?;
            }
            for (endpoint, events) in &subscribers {
                let subscribed = endpoint.organization_id == organization_id
                    && endpoint.created_at <= created_at
                    && events.iter().any(|e| e == kind);
                if !subscribed {
                    continue;
                }
                query(INSERT_SEND)
                    .bind(WebhookSendId::new())
                    .bind(organization_id)
                    .bind(endpoint.id)
                    .bind(event.event_id)
                    .bind(event.seq)
                    .bind(kind.as_str())
                    .bind(created_at)
                    .bind(now)
                    .execute(&mut tx)
                    .await?;
                if !scheduled.contains(&endpoint.id) {
                    scheduled.push(endpoint.id);
                }
            }
        }
        for endpoint in scheduled {
            query(SCHEDULE_ENDPOINT)
                .bind(endpoint)
                .bind(now)
                .execute(&mut tx)
                .await?;
        }
        // Only placeholders are added to the constant text: no value enters it.
        let delete = format!(
            "DELETE FROM webhook_queue WHERE seq IN ({})",
            super::sql::placeholders(queued.len())
        );
        let mut statement = query(sqlx::AssertSqlSafe(delete));
        for event in &queued {
            statement = statement.bind(event.seq);
        }
        statement.execute(&mut tx).await?;
        tx.commit().await?;
        Ok(queued.len())
    }

    /// The enabled endpoints of `organizations` with the event types each subscribes to.
    async fn subscribers(
        &self,
        tx: &mut super::db::Tx,
        organizations: &[OrganizationId],
    ) -> Result<Vec<(SubscriberRow, Vec<String>)>, StoreError> {
        if organizations.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are added to the constant text: no value enters it.
        let sql = format!(
            "SELECT id, organization_id, events, created_at FROM webhook_endpoints \
             WHERE enabled AND organization_id IN ({}) ORDER BY created_at, id",
            super::sql::placeholders(organizations.len())
        );
        let mut statement = query_as::<SubscriberRow>(sqlx::AssertSqlSafe(sql));
        for organization in organizations {
            statement = statement.bind(*organization);
        }
        statement
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|row| {
                let events: Vec<String> = serde_json::from_str(&row.events)
                    .map_err(|e| StoreError::Corrupt(format!("webhook endpoint events: {e}")))?;
                Ok((row, events))
            })
            .collect()
    }

    pub(super) async fn lease_due_webhook_endpoints_impl(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        lease: Uuid,
        limit: u32,
    ) -> Result<Vec<LeasedWebhookEndpoint>, StoreError> {
        query_as::<LeasedWebhookEndpoint>(self.db.lease_due_webhook_endpoints_sql())
            .bind(now)
            .bind(lease_until)
            .bind(lease)
            .bind(i64::from(limit))
            .fetch_all(&self.db.writer().await?)
            .await
    }

    pub(super) async fn pending_webhook_sends_impl(
        &self,
        endpoint: WebhookEndpointId,
        limit: u32,
    ) -> Result<Vec<WebhookSendRecord>, StoreError> {
        Ok(query_as::<SendRow>(PENDING_SENDS)
            .bind(endpoint)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub(super) async fn record_webhook_attempts_impl(
        &self,
        attempts: &[WebhookAttempt],
    ) -> Result<AttemptRecorded, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let mut recorded = AttemptRecorded::Recorded {
            disabled: false,
            enabled: true,
        };
        for attempt in attempts {
            let status = match (attempt.succeeded, attempt.retry_at) {
                (true, _) => WebhookSendStatus::Succeeded,
                (false, Some(_)) => WebhookSendStatus::Pending,
                (false, None) => WebhookSendStatus::Failed,
            };
            let Some((failures, enabled)) = query_as::<(i64, bool)>(RECORD_ON_ENDPOINT)
                .bind(attempt.endpoint_id)
                .bind(attempt.lease)
                .bind(status.as_str())
                .bind(i64::from(attempt.disable_after))
                .bind(attempt.at)
                .fetch_optional(&mut tx)
                .await?
            else {
                // Rolled back: none of the batch is recorded, and the next holder sends them again.
                return Ok(AttemptRecorded::LeaseLost);
            };
            query(INSERT_DELIVERY)
                .bind(attempt.delivery_id)
                .bind(attempt.organization_id)
                .bind(attempt.endpoint_id)
                .bind(attempt.send_id)
                .bind(attempt.kind.as_str())
                .bind(attempt.at)
                .bind(attempt.succeeded)
                .bind(attempt.http_code.map(i64::from))
                .bind(attempt.response.as_deref())
                .bind(i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX))
                .execute(&mut tx)
                .await?;
            query(RECORD_ON_SEND)
                .bind(attempt.send_id)
                .bind(status.as_str())
                .bind(attempt.retry_at)
                .bind(attempt.http_code.map(i64::from))
                .bind(attempt.at)
                .execute(&mut tx)
                .await?;
            // The run of failures reached the limit with this attempt: the endpoint was just
            // disabled.
            let disabled =
                status == WebhookSendStatus::Failed && failures == i64::from(attempt.disable_after);
            if disabled && let Some(notice) = &attempt.disabled_notice {
                Self::insert_email_with(&mut tx, notice).await?;
            }
            if let AttemptRecorded::Recorded {
                disabled: any_disabled,
                ..
            } = recorded
            {
                recorded = AttemptRecorded::Recorded {
                    disabled: any_disabled || disabled,
                    enabled,
                };
            }
        }
        tx.commit().await?;
        Ok(recorded)
    }

    pub(super) async fn release_webhook_endpoint_impl(
        &self,
        endpoint: WebhookEndpointId,
        lease: Uuid,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(lock) = self.db.lock_webhook_endpoint_sql() {
            query(lock).bind(endpoint).execute(&mut tx).await?;
        }
        query(RELEASE_ENDPOINT)
            .bind(endpoint)
            .bind(lease)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
