//! Webhook endpoints and the delivery log: records, their rows, and the endpoint and log halves of
//! [`WebhookStore`](super::WebhookStore) (the outbox half, fan-out and leased delivery, is in
//! `webhook_outbox.rs`).

use chrono::{DateTime, Utc};

use super::{
    SqlStore, StoreError,
    db::{On, query, query_as},
    list_sql::{Bound, ListSql},
};
use crate::model::{
    EventId, OrganizationId, PageRequest, WebhookDeliveryId, WebhookEndpointId, WebhookSendId,
};

/// An endpoint as stored (the failure count and the lease are the worker's business).
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEndpointRecord {
    pub id: WebhookEndpointId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub url: String,
    pub name: Option<String>,
    pub api_version: String,
    pub secret: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

/// What a change of an endpoint sets; `None` leaves a field as it is. Each field is written on its
/// own (not the whole row read earlier), so a change never undoes what the delivery worker did
/// meanwhile (e.g. disabling the endpoint after repeated failures).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WebhookEndpointChange {
    pub url: Option<String>,
    /// `Some(None)` clears the name.
    pub name: Option<Option<String>>,
    pub api_version: Option<String>,
    pub secret: Option<String>,
    pub events: Option<Vec<String>>,
    /// Enabling a disabled endpoint resets its failure count and makes its pending events due.
    pub enabled: Option<bool>,
}

/// An event for one endpoint with its delivery state, and the outbox event it sends.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookSendRecord {
    pub id: WebhookSendId,
    pub organization_id: OrganizationId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: EventId,
    pub kind: String,
    /// When the change happened (the event's time).
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub status: WebhookSendStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_http_code: Option<u16>,
    /// The outbox event's payload: the resource as the API returned it, as JSON text.
    pub payload: String,
}

/// Where an event for one endpoint is in its delivery.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, sqlx::Type,
)]
#[strum(serialize_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum WebhookSendStatus {
    Pending,
    Succeeded,
    /// Given up after the last attempt.
    Failed,
}

impl crate::model::Named for WebhookSendStatus {}

/// One delivery attempt as logged.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookDeliveryRecord {
    pub id: WebhookDeliveryId,
    pub organization_id: OrganizationId,
    pub endpoint_id: WebhookEndpointId,
    pub send_id: WebhookSendId,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub succeeded: bool,
    pub http_code: Option<u16>,
    pub response: Option<String>,
    pub duration_ms: u64,
}

/// The delivery log's filters (`GET /v1/webhooks/deliveries`).
#[derive(Clone, Debug, Default)]
pub struct WebhookDeliveryFilter {
    pub endpoints: Vec<WebhookEndpointId>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub succeeded: Option<bool>,
    /// Case-insensitive part of the response or of the event's payload.
    pub query: Option<String>,
    /// The first digit of the status code (2 for `2xx`).
    pub http_code_class: Option<u16>,
    pub kinds: Vec<String>,
}

impl WebhookDeliveryFilter {
    pub(super) fn sql(&self, organization: OrganizationId) -> ListSql {
        let mut list = ListSql::of_organization(organization);
        list.any_of("endpoint_id", self.endpoints.iter().copied())
            .with("created_at >= {}", self.from)
            .with("created_at <= {}", self.until)
            .with("succeeded = {}", self.succeeded)
            .any_of("type", self.kinds.iter().cloned())
            .search(
                &[
                    "response",
                    "(SELECT e.payload FROM webhook_sends s JOIN webhook_events e ON e.id = s.event_id \
                     WHERE s.id = send_id)",
                ],
                self.query.as_deref(),
            );
        if let Some(class) = self.http_code_class {
            let low = i64::from(class) * 100;
            list.with("http_code >= {}", Some(Bound::Int(low)))
                .with("http_code < {}", Some(Bound::Int(low + 100)));
        }
        list
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EndpointRow {
    id: WebhookEndpointId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    url: String,
    name: Option<String>,
    api_version: String,
    secret: String,
    events: String,
    enabled: bool,
}

impl TryFrom<EndpointRow> for WebhookEndpointRecord {
    type Error = StoreError;

    fn try_from(row: EndpointRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            organization_id: row.organization_id,
            created_at: row.created_at,
            modified_at: row.modified_at,
            url: row.url,
            name: row.name,
            api_version: row.api_version,
            secret: row.secret,
            events: serde_json::from_str(&row.events)
                .map_err(|e| StoreError::Corrupt(format!("webhook endpoint events: {e}")))?,
            enabled: row.enabled,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SendRow {
    id: WebhookSendId,
    organization_id: OrganizationId,
    endpoint_id: WebhookEndpointId,
    event_id: EventId,
    #[sqlx(rename = "type")]
    kind: String,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    status: WebhookSendStatus,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_http_code: Option<i64>,
    payload: String,
}

impl From<SendRow> for WebhookSendRecord {
    fn from(row: SendRow) -> Self {
        Self {
            id: row.id,
            organization_id: row.organization_id,
            endpoint_id: row.endpoint_id,
            event_id: row.event_id,
            kind: row.kind,
            created_at: row.created_at,
            modified_at: row.modified_at,
            status: row.status,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            next_attempt_at: row.next_attempt_at,
            last_http_code: row.last_http_code.and_then(|c| u16::try_from(c).ok()),
            payload: row.payload,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    id: WebhookDeliveryId,
    organization_id: OrganizationId,
    endpoint_id: WebhookEndpointId,
    send_id: WebhookSendId,
    #[sqlx(rename = "type")]
    kind: String,
    created_at: DateTime<Utc>,
    succeeded: bool,
    http_code: Option<i64>,
    response: Option<String>,
    duration_ms: i64,
}

impl TryFrom<DeliveryRow> for WebhookDeliveryRecord {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            organization_id: row.organization_id,
            endpoint_id: row.endpoint_id,
            send_id: row.send_id,
            kind: row.kind,
            created_at: row.created_at,
            succeeded: row.succeeded,
            http_code: row.http_code.and_then(|c| u16::try_from(c).ok()),
            response: row.response,
            duration_ms: u64::try_from(row.duration_ms).unwrap_or_default(),
        })
    }
}

pub(super) const ENDPOINT_COLUMNS: &str =
    "id, organization_id, created_at, modified_at, url, name, api_version, secret, events, enabled";

pub(super) const SEND_COLUMNS: &str = "s.id, s.organization_id, s.endpoint_id, s.event_id, s.type, s.created_at, s.modified_at, \
     s.status, s.attempts, s.next_attempt_at, s.last_http_code, e.payload";

pub(super) const DELIVERY_COLUMNS: &str = "id, organization_id, endpoint_id, send_id, type, created_at, succeeded, http_code, response, duration_ms";

const INSERT_ENDPOINT: &str = "INSERT INTO webhook_endpoints (id, organization_id, created_at, modified_at, url, name, \
     api_version, format, secret, events, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7, 'raw', $8, $9, $10)";

const SELECT_ENDPOINT: &str = const_format::concatcp!(
    "SELECT ",
    ENDPOINT_COLUMNS,
    " FROM webhook_endpoints WHERE id = $1 AND organization_id = $2"
);

/// `$1` id, `$2` organization, `$3` now; then url, whether the name changes, the name, api
/// version, secret, events and enabled (a null leaves a field as it is). Enabling a disabled
/// endpoint resets its failure count and makes its pending events due now.
const UPDATE_ENDPOINT: &str = "UPDATE webhook_endpoints SET modified_at = $3, url = COALESCE($4, url), \
     name = CASE WHEN $5 THEN $6 ELSE name END, api_version = COALESCE($7, api_version), \
     secret = COALESCE($8, secret), events = COALESCE($9, events), \
     consecutive_failures = CASE WHEN $10 AND NOT enabled THEN 0 ELSE consecutive_failures END, \
     next_delivery_at = CASE WHEN $10 AND NOT enabled THEN $3 ELSE next_delivery_at END, \
     enabled = COALESCE($10, enabled) \
     WHERE id = $1 AND organization_id = $2";

const DELETE_ENDPOINT: &str =
    "DELETE FROM webhook_endpoints WHERE id = $1 AND organization_id = $2";

/// `$1` send, `$2` organization, `$3` now: pending again with a fresh count of attempts, due now.
const REDELIVER_SEND: &str = "UPDATE webhook_sends SET status = 'pending', attempts = 0, next_attempt_at = $3, \
     modified_at = $3 WHERE id = $1 AND organization_id = $2";

/// `$1` send: locks its endpoint's row (PostgreSQL only) until the transaction ends.
const LOCK_ENDPOINT_OF_SEND: &str = "SELECT id FROM webhook_endpoints \
     WHERE id = (SELECT endpoint_id FROM webhook_sends WHERE id = $1) FOR UPDATE";

/// `$1` send, `$2` now: its endpoint looks for work now.
const WAKE_ENDPOINT_OF_SEND: &str = "UPDATE webhook_endpoints SET next_delivery_at = $2 \
     WHERE id = (SELECT endpoint_id FROM webhook_sends WHERE id = $1)";

impl SqlStore {
    pub(super) async fn webhook_endpoint_with(
        on: impl Into<On<'_>>,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpointRecord>, StoreError> {
        query_as::<EndpointRow>(SELECT_ENDPOINT)
            .bind(id)
            .bind(organization_id)
            .fetch_optional(on)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    pub(super) async fn insert_webhook_endpoint_impl(
        &self,
        endpoint: &WebhookEndpointRecord,
    ) -> Result<(), StoreError> {
        query(INSERT_ENDPOINT)
            .bind(endpoint.id)
            .bind(endpoint.organization_id)
            .bind(endpoint.created_at)
            .bind(endpoint.modified_at)
            .bind(&endpoint.url)
            .bind(&endpoint.name)
            .bind(&endpoint.api_version)
            .bind(&endpoint.secret)
            .bind(events_json(&endpoint.events)?)
            .bind(endpoint.enabled)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(())
    }

    pub(super) async fn update_webhook_endpoint_impl(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
        change: &WebhookEndpointChange,
        now: DateTime<Utc>,
    ) -> Result<Option<WebhookEndpointRecord>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let events = change.events.as_deref().map(events_json).transpose()?;
        let done = query(UPDATE_ENDPOINT)
            .bind(id)
            .bind(organization_id)
            .bind(now)
            .bind(change.url.as_deref())
            .bind(change.name.is_some())
            .bind(change.name.clone().flatten())
            .bind(change.api_version.as_deref())
            .bind(change.secret.as_deref())
            .bind(events)
            .bind(change.enabled)
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let endpoint = Self::webhook_endpoint_with(&mut tx, organization_id, id).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    pub(super) async fn delete_webhook_endpoint_impl(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
    ) -> Result<bool, StoreError> {
        let done = query(DELETE_ENDPOINT)
            .bind(id)
            .bind(organization_id)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn list_webhook_endpoints_impl(
        &self,
        organization_id: OrganizationId,
        page: PageRequest,
    ) -> Result<(Vec<WebhookEndpointRecord>, u64), StoreError> {
        let mut list = ListSql::of_organization(organization_id);
        list.order_by("created_at ASC, id ASC".to_owned());
        self.run_list::<EndpointRow, _>(&list, ENDPOINT_COLUMNS, "webhook_endpoints", page)
            .await
    }

    pub(super) async fn list_webhook_deliveries_impl(
        &self,
        organization_id: OrganizationId,
        filter: &WebhookDeliveryFilter,
        page: PageRequest,
    ) -> Result<(Vec<(WebhookDeliveryRecord, WebhookSendRecord)>, u64), StoreError> {
        let list = filter.sql(organization_id);
        let (deliveries, total) = self
            .run_list::<DeliveryRow, WebhookDeliveryRecord>(
                &list,
                DELIVERY_COLUMNS,
                "webhook_deliveries",
                page,
            )
            .await?;
        let sends = self
            .webhook_sends_by_id(deliveries.iter().map(|d| d.send_id).collect())
            .await?;
        let joined = deliveries
            .into_iter()
            .filter_map(|delivery| {
                let send = sends.iter().find(|s| s.id == delivery.send_id)?.clone();
                Some((delivery, send))
            })
            .collect();
        Ok((joined, total))
    }

    /// The sends `ids` with their events' payloads (any order).
    async fn webhook_sends_by_id(
        &self,
        ids: Vec<WebhookSendId>,
    ) -> Result<Vec<WebhookSendRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are added to the constant text: no value enters it.
        let sql = format!(
            "SELECT {SEND_COLUMNS} FROM webhook_sends s JOIN webhook_events e ON e.id = s.event_id \
             WHERE s.id IN ({})",
            super::sql::placeholders(ids.len())
        );
        let mut statement = query_as::<SendRow>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            statement = statement.bind(id);
        }
        Ok(statement
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub(super) async fn redeliver_webhook_send_impl(
        &self,
        organization_id: OrganizationId,
        id: WebhookSendId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        // The endpoint's row first, as recording and releasing lock it: one order everywhere, so a
        // redelivery racing a worker waits instead of deadlocking (PostgreSQL; SQLite's writing
        // transaction holds the whole database).
        if self.db.backend() == super::Backend::Postgres {
            query(LOCK_ENDPOINT_OF_SEND)
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
        let done = query(REDELIVER_SEND)
            .bind(id)
            .bind(organization_id)
            .bind(now)
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        query(WAKE_ENDPOINT_OF_SEND)
            .bind(id)
            .bind(now)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn events_json(events: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(events)
        .map_err(|e| StoreError::Corrupt(format!("webhook endpoint events: {e}")))
}

#[async_trait::async_trait]
impl super::WebhookStore for SqlStore {
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpointRecord,
    ) -> Result<(), StoreError> {
        self.insert_webhook_endpoint_impl(endpoint).await
    }

    async fn webhook_endpoint(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpointRecord>, StoreError> {
        Self::webhook_endpoint_with(&self.db, organization_id, id).await
    }

    async fn list_webhook_endpoints(
        &self,
        organization_id: OrganizationId,
        page: PageRequest,
    ) -> Result<(Vec<WebhookEndpointRecord>, u64), StoreError> {
        self.list_webhook_endpoints_impl(organization_id, page)
            .await
    }

    async fn update_webhook_endpoint(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
        change: &WebhookEndpointChange,
        now: DateTime<Utc>,
    ) -> Result<Option<WebhookEndpointRecord>, StoreError> {
        self.update_webhook_endpoint_impl(organization_id, id, change, now)
            .await
    }

    async fn delete_webhook_endpoint(
        &self,
        organization_id: OrganizationId,
        id: WebhookEndpointId,
    ) -> Result<bool, StoreError> {
        self.delete_webhook_endpoint_impl(organization_id, id).await
    }

    async fn dispatch_webhook_events(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<usize, StoreError> {
        self.dispatch_webhook_events_impl(now, limit).await
    }

    async fn lease_due_webhook_endpoints(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        lease: uuid::Uuid,
        limit: u32,
    ) -> Result<Vec<super::LeasedWebhookEndpoint>, StoreError> {
        self.lease_due_webhook_endpoints_impl(now, lease_until, lease, limit)
            .await
    }

    async fn pending_webhook_sends(
        &self,
        endpoint: WebhookEndpointId,
        limit: u32,
    ) -> Result<Vec<WebhookSendRecord>, StoreError> {
        self.pending_webhook_sends_impl(endpoint, limit).await
    }

    async fn record_webhook_attempts(
        &self,
        attempts: &[super::WebhookAttempt],
    ) -> Result<super::AttemptRecorded, StoreError> {
        self.record_webhook_attempts_impl(attempts).await
    }

    async fn release_webhook_endpoint(
        &self,
        endpoint: WebhookEndpointId,
        lease: uuid::Uuid,
    ) -> Result<(), StoreError> {
        self.release_webhook_endpoint_impl(endpoint, lease).await
    }

    async fn list_webhook_deliveries(
        &self,
        organization_id: OrganizationId,
        filter: &WebhookDeliveryFilter,
        page: PageRequest,
    ) -> Result<(Vec<(WebhookDeliveryRecord, WebhookSendRecord)>, u64), StoreError> {
        self.list_webhook_deliveries_impl(organization_id, filter, page)
            .await
    }

    async fn redeliver_webhook_send(
        &self,
        organization_id: OrganizationId,
        id: WebhookSendId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.redeliver_webhook_send_impl(organization_id, id, now)
            .await
    }
}
