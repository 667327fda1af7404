//! Webhooks: the merchant's endpoints (create, read, list, update, delete, reset the secret), the
//! delivery log and redelivery, and what the delivery worker needs: fan-out of the outbox, the
//! envelope and its Standard Webhooks signature, and recording each attempt (retries by the
//! outboxes' one rule, `retry`; an endpoint whose events keep failing is disabled and the
//! organization is told by email). Sending the HTTP request is the worker's (`server::webhooks`).

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use uuid::Uuid;

use crate::{
    model::{
        EmailId, ListResource, OrganizationId, PageRequest, Scope, ValidationIssue,
        WebhookDeliveryId, WebhookEndpointId, WebhookSendId,
        webhook::{
            API_VERSION, WebhookDelivery, WebhookEndpoint, WebhookEndpointCreate,
            WebhookEndpointUpdate, WebhookEvent, is_event_type,
        },
    },
    server::store::{
        AttemptRecorded, LeasedWebhookEndpoint, NewEmail, WebhookAttempt, WebhookDeliveryFilter,
        WebhookDeliveryRecord, WebhookEndpointChange, WebhookEndpointRecord, WebhookSendRecord,
        WebhookSendStatus,
    },
};

use super::{
    OrganizationCaller, ServiceError, Services, invitations::html_escape, retry, webhook_urls,
};

/// After this many events given up in a row, an endpoint is disabled.
pub const DISABLE_AFTER_FAILED_EVENTS: u32 = 10;
/// How much of a response body the delivery log keeps.
pub const RESPONSE_EXCERPT_BYTES: usize = 2048;
/// Longest endpoint name.
const MAX_NAME_LEN: usize = 256;
/// The prefix of endpoint secrets.
const SECRET_PREFIX: &str = "whsec_";

const ENDPOINT: &str = "webhook endpoint";

/// An event ready to send: its id (`webhook-id`), body and signature headers are the worker's to
/// put on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct OutgoingWebhook {
    pub send_id: WebhookSendId,
    pub kind: String,
    pub body: String,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
}

/// What one attempt to send came to.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptOutcome {
    /// The status code, when the endpoint answered.
    pub http_code: Option<u16>,
    /// The start of the response body, or what went wrong when there was no response.
    pub response: Option<String>,
    pub duration_ms: u64,
}

impl AttemptOutcome {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.http_code
            .is_some_and(|code| (200..300).contains(&code))
    }
}

impl From<WebhookEndpointRecord> for WebhookEndpoint {
    fn from(r: WebhookEndpointRecord) -> Self {
        Self {
            id: r.id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            url: r.url,
            name: r.name,
            api_version: r.api_version,
            format: "raw".into(),
            secret: r.secret,
            organization_id: r.organization_id,
            events: r.events,
            enabled: r.enabled,
            uses_standard_webhook_signature: true,
        }
    }
}

/// The event as the API shows it, with the body its endpoint is (or was) sent.
fn webhook_event(send: WebhookSendRecord) -> WebhookEvent {
    let attempted = send.attempts > 0;
    let body = render_body(&send.kind, send.created_at, &send.payload);
    WebhookEvent {
        id: send.id,
        created_at: send.created_at,
        modified_at: send.modified_at,
        last_http_code: send.last_http_code,
        succeeded: match send.status {
            WebhookSendStatus::Succeeded => Some(true),
            WebhookSendStatus::Failed => Some(false),
            WebhookSendStatus::Pending => attempted.then_some(false),
        },
        skipped: false,
        api_version: API_VERSION.into(),
        payload: Some(body),
        kind: send.kind,
        is_archived: false,
    }
}

fn delivery(record: WebhookDeliveryRecord, send: WebhookSendRecord) -> WebhookDelivery {
    WebhookDelivery {
        id: record.id,
        created_at: record.created_at,
        modified_at: None,
        succeeded: record.succeeded,
        http_code: record.http_code,
        response: record.response,
        webhook_event: webhook_event(send),
    }
}

/// The JSON envelope of an event, byte for byte the same on every attempt: `type`, `timestamp`
/// (when the change happened), `api_version` and `data`, the resource exactly as the API returned
/// it (the stored payload, not parsed again).
pub fn render_body(kind: &str, created_at: DateTime<Utc>, payload: &str) -> String {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    format!(
        "{{\"type\":{},\"timestamp\":{},\"api_version\":{},\"data\":{payload}}}",
        quoted(kind),
        quoted(&created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        quoted(API_VERSION),
    )
}

/// The `webhook-signature` header of a request: `v1,` and the base64 of HMAC-SHA256 over
/// `{id}.{timestamp}.{body}`, keyed with the UTF-8 bytes of the whole secret (what Polar's SDKs
/// verify; a Standard Webhooks library verifies it given the base64 of those bytes).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// A new endpoint secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The start of a response body as the log keeps it: at most [`RESPONSE_EXCERPT_BYTES`], cut at a
/// character boundary.
pub fn excerpt(body: &[u8]) -> String {
    // A NUL cannot be stored in PostgreSQL text (and would jam the endpoint's log): shown as U+FFFD.
    let text = String::from_utf8_lossy(body).replace('\0', "\u{fffd}");
    let mut end = text.len().min(RESPONSE_EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// An endpoint's URL as an email may show it: without user, password, query or fragment.
fn shown_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "(an endpoint)".to_owned();
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// The settings a person types, checked; every problem is reported.
struct Checked {
    url: Option<String>,
    events: Option<Vec<String>>,
}

fn check_settings(
    url: Option<&str>,
    name: Option<&str>,
    api_version: Option<&str>,
    format: Option<&str>,
    events: Option<&[String]>,
    allow_private: bool,
) -> Result<Checked, ServiceError> {
    let mut issues = Vec::new();
    let url = url.and_then(|url| match webhook_urls::check_url(url, allow_private) {
        Ok(url) => Some(url),
        Err(msg) => {
            issues.push(ValidationIssue::in_body(["url"], msg, "url_parsing"));
            None
        }
    });
    if name.is_some_and(|name| name.chars().count() > MAX_NAME_LEN) {
        issues.push(ValidationIssue::in_body(
            ["name"],
            format!("name must be at most {MAX_NAME_LEN} characters"),
            "string_too_long",
        ));
    }
    if let Some(version) = api_version.filter(|v| *v != API_VERSION) {
        issues.push(ValidationIssue::in_body(
            ["api_version"],
            format!("payloads are rendered in API version {API_VERSION} only, not {version}"),
            "literal_error",
        ));
    }
    if let Some(format) = format.filter(|f| *f != "raw") {
        issues.push(ValidationIssue::in_body(
            ["format"],
            format!("only the raw format is supported, not {format}"),
            "literal_error",
        ));
    }
    let events = events.map(|events| {
        let mut kept: Vec<String> = Vec::new();
        for (i, kind) in events.iter().enumerate() {
            if !is_event_type(kind) {
                issues.push(ValidationIssue::in_body(
                    [
                        crate::model::LocSegment::from("events"),
                        crate::model::LocSegment::Index(u64::try_from(i).unwrap_or(u64::MAX)),
                    ],
                    format!("{kind:?} is not a webhook event type"),
                    "literal_error",
                ));
            } else if !kept.contains(kind) {
                kept.push(kind.clone());
            }
        }
        kept
    });
    if issues.is_empty() {
        Ok(Checked { url, events })
    } else {
        Err(ServiceError::Validation(issues))
    }
}

/// A name as stored: trimmed, none when blank.
fn name_of(name: Option<&str>) -> Option<String> {
    name.map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

impl Services {
    /// Whether webhooks may go to plain http and private addresses (`--webhook-allow-private`).
    pub fn webhooks_allow_private(&self) -> bool {
        self.webhook_allow_private
    }

    /// Allows webhook endpoints on plain http and private addresses (tests, development).
    pub fn with_webhooks_allow_private(mut self, allow: bool) -> Self {
        self.webhook_allow_private = allow;
        self
    }

    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id), err(level = "info"))]
    pub async fn create_webhook_endpoint(
        &self,
        caller: &OrganizationCaller,
        input: WebhookEndpointCreate,
    ) -> Result<WebhookEndpoint, ServiceError> {
        caller.require_any(&[Scope::WebhooksWrite])?;
        if input
            .organization_id
            .is_some_and(|org| org != caller.organization_id)
        {
            return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                ["organization_id"],
                "an organization token creates endpoints of its own organization only",
                "value_error",
            )]));
        }
        let checked = check_settings(
            Some(&input.url),
            input.name.as_deref(),
            input.api_version.as_deref(),
            Some(&input.format),
            Some(&input.events),
            self.webhook_allow_private,
        )?;
        let record = WebhookEndpointRecord {
            id: WebhookEndpointId::new(),
            organization_id: caller.organization_id,
            created_at: self.now(),
            modified_at: None,
            url: checked.url.unwrap_or_default(),
            name: name_of(input.name.as_deref()),
            api_version: API_VERSION.into(),
            secret: new_secret(),
            events: checked.events.unwrap_or_default(),
            enabled: true,
        };
        self.store().insert_webhook_endpoint(&record).await?;
        Ok(record.into())
    }

    pub async fn get_webhook_endpoint(
        &self,
        caller: &OrganizationCaller,
        id: WebhookEndpointId,
    ) -> Result<WebhookEndpoint, ServiceError> {
        caller.require_any(&[Scope::WebhooksRead, Scope::WebhooksWrite])?;
        self.store()
            .webhook_endpoint(caller.organization_id, id)
            .await?
            .map(Into::into)
            .ok_or(ServiceError::not_found(ENDPOINT))
    }

    /// The organization's endpoints, oldest first. `organizations` (the SDK's filter) may only
    /// name the caller's own organization; another matches nothing.
    pub async fn list_webhook_endpoints(
        &self,
        caller: &OrganizationCaller,
        organizations: &[OrganizationId],
        page: PageRequest,
    ) -> Result<ListResource<WebhookEndpoint>, ServiceError> {
        caller.require_any(&[Scope::WebhooksRead, Scope::WebhooksWrite])?;
        if !organizations.is_empty() && !organizations.contains(&caller.organization_id) {
            return Ok(ListResource::new(Vec::new(), 0, page));
        }
        let (records, total) = self
            .store()
            .list_webhook_endpoints(caller.organization_id, page)
            .await?;
        Ok(ListResource::new(
            records.into_iter().map(Into::into).collect(),
            total,
            page,
        ))
    }

    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id, %id), err(level = "info"))]
    pub async fn update_webhook_endpoint(
        &self,
        caller: &OrganizationCaller,
        id: WebhookEndpointId,
        input: WebhookEndpointUpdate,
    ) -> Result<WebhookEndpoint, ServiceError> {
        caller.require_any(&[Scope::WebhooksWrite])?;
        let checked = check_settings(
            input.url.as_deref(),
            input.name.as_deref(),
            input.api_version.as_deref(),
            input.format.as_deref(),
            input.events.as_deref(),
            self.webhook_allow_private,
        )?;
        let change = WebhookEndpointChange {
            url: checked.url,
            name: input.name.as_deref().map(|name| name_of(Some(name))),
            api_version: None,
            secret: None,
            events: checked.events,
            enabled: input.enabled,
        };
        self.change_webhook_endpoint(caller, id, &change).await
    }

    /// Gives the endpoint a new secret; the old one no longer signs anything sent from now on.
    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id, %id), err(level = "info"))]
    pub async fn reset_webhook_endpoint_secret(
        &self,
        caller: &OrganizationCaller,
        id: WebhookEndpointId,
    ) -> Result<WebhookEndpoint, ServiceError> {
        caller.require_any(&[Scope::WebhooksWrite])?;
        let change = WebhookEndpointChange {
            secret: Some(new_secret()),
            ..WebhookEndpointChange::default()
        };
        self.change_webhook_endpoint(caller, id, &change).await
    }

    async fn change_webhook_endpoint(
        &self,
        caller: &OrganizationCaller,
        id: WebhookEndpointId,
        change: &WebhookEndpointChange,
    ) -> Result<WebhookEndpoint, ServiceError> {
        self.store()
            .update_webhook_endpoint(caller.organization_id, id, change, self.now())
            .await?
            .map(Into::into)
            .ok_or(ServiceError::not_found(ENDPOINT))
    }

    /// Deletes an endpoint with its events and their delivery log.
    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id, %id), err(level = "info"))]
    pub async fn delete_webhook_endpoint(
        &self,
        caller: &OrganizationCaller,
        id: WebhookEndpointId,
    ) -> Result<(), ServiceError> {
        caller.require_any(&[Scope::WebhooksWrite])?;
        if self
            .store()
            .delete_webhook_endpoint(caller.organization_id, id)
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::not_found(ENDPOINT))
        }
    }

    /// The organization's delivery log, newest first.
    pub async fn list_webhook_deliveries(
        &self,
        caller: &OrganizationCaller,
        filter: WebhookDeliveryFilter,
        page: PageRequest,
    ) -> Result<ListResource<WebhookDelivery>, ServiceError> {
        caller.require_any(&[Scope::WebhooksRead, Scope::WebhooksWrite])?;
        if let Some(kind) = filter.kinds.iter().find(|kind| !is_event_type(kind)) {
            return Err(ServiceError::Validation(vec![ValidationIssue {
                loc: vec!["query".into(), "event_type".into()],
                msg: format!("{kind:?} is not a webhook event type"),
                kind: "literal_error".into(),
            }]));
        }
        let (rows, total) = self
            .store()
            .list_webhook_deliveries(caller.organization_id, &filter, page)
            .await?;
        Ok(ListResource::new(
            rows.into_iter()
                .map(|(record, send)| delivery(record, send))
                .collect(),
            total,
            page,
        ))
    }

    /// Sends an event to its endpoint again (same `webhook-id`), as soon as the endpoint's earlier
    /// events allow.
    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id, %id), err(level = "info"))]
    pub async fn redeliver_webhook_event(
        &self,
        caller: &OrganizationCaller,
        id: WebhookSendId,
    ) -> Result<(), ServiceError> {
        caller.require_any(&[Scope::WebhooksWrite])?;
        if self
            .store()
            .redeliver_webhook_send(caller.organization_id, id, self.now())
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::not_found("webhook event"))
        }
    }

    // --- The delivery worker's side ---------------------------------------------------------

    /// Fans out up to `limit` queued outbox events to their endpoints; how many were handled.
    pub async fn dispatch_webhook_events(&self, limit: u32) -> Result<usize, ServiceError> {
        Ok(self
            .store()
            .dispatch_webhook_events(self.now(), limit)
            .await?)
    }

    /// Leases up to `limit` endpoints with due events to the worker `lease` for `lease_for`.
    pub async fn lease_due_webhook_endpoints(
        &self,
        lease: Uuid,
        lease_for: chrono::TimeDelta,
        limit: u32,
    ) -> Result<Vec<LeasedWebhookEndpoint>, ServiceError> {
        let now = self.now();
        Ok(self
            .store()
            .lease_due_webhook_endpoints(now, now + lease_for, lease, limit)
            .await?)
    }

    /// The endpoint's next events to send, in order: the first ones that are due, stopping at the
    /// first that is not (it waits for its retry, and the ones after it wait for it).
    pub async fn due_webhooks(
        &self,
        endpoint: WebhookEndpointId,
        limit: u32,
    ) -> Result<Vec<OutgoingWebhook>, ServiceError> {
        let now = self.now();
        Ok(self
            .store()
            .pending_webhook_sends(endpoint, limit)
            .await?
            .into_iter()
            .take_while(|send| send.next_attempt_at <= now)
            .map(|send| OutgoingWebhook {
                body: render_body(&send.kind, send.created_at, &send.payload),
                send_id: send.id,
                kind: send.kind,
                attempts: send.attempts,
                due_at: send.next_attempt_at,
            })
            .collect())
    }

    /// What an attempt under `lease` comes to: a failure is retried by the outboxes' rule or given
    /// up, and the given-up event that makes a run of [`DISABLE_AFTER_FAILED_EVENTS`] disables the
    /// endpoint and emails the organization's address (see [`Services::record_webhook_attempts`]).
    pub async fn webhook_attempt(
        &self,
        lease: Uuid,
        endpoint: &LeasedWebhookEndpoint,
        webhook: &OutgoingWebhook,
        outcome: AttemptOutcome,
    ) -> Result<WebhookAttempt, ServiceError> {
        let now = self.now();
        let succeeded = outcome.succeeded();
        let attempts = webhook.attempts + 1;
        let retry_at = if succeeded {
            None
        } else {
            retry::retry_at(attempts, now)
        };
        let gives_up = !succeeded && retry_at.is_none();
        let disabled_notice = if gives_up {
            self.endpoint_disabled_notice(endpoint, now).await?
        } else {
            None
        };
        Ok(WebhookAttempt {
            lease,
            endpoint_id: endpoint.id,
            organization_id: endpoint.organization_id,
            send_id: webhook.send_id,
            kind: webhook.kind.clone(),
            delivery_id: WebhookDeliveryId::new(),
            at: now,
            succeeded,
            http_code: outcome.http_code,
            response: outcome.response,
            duration_ms: outcome.duration_ms,
            retry_at,
            disable_after: DISABLE_AFTER_FAILED_EVENTS,
            disabled_notice,
        })
    }

    /// Records attempts of one endpoint in one transaction, while their lease holds (the worker
    /// sends a run of events, then records the run: one commit, not one per event).
    pub async fn record_webhook_attempts(
        &self,
        attempts: &[WebhookAttempt],
    ) -> Result<AttemptRecorded, ServiceError> {
        if attempts.is_empty() {
            return Ok(AttemptRecorded::Recorded {
                disabled: false,
                enabled: true,
            });
        }
        let recorded = self.store().record_webhook_attempts(attempts).await?;
        if let AttemptRecorded::Recorded { disabled: true, .. } = recorded {
            tracing::warn!(endpoint_id = %attempts[0].endpoint_id, "webhook endpoint disabled after repeated failures");
        }
        Ok(recorded)
    }

    /// Ends the worker's lease on an endpoint.
    pub async fn release_webhook_endpoint(
        &self,
        endpoint: WebhookEndpointId,
        lease: Uuid,
    ) -> Result<(), ServiceError> {
        Ok(self
            .store()
            .release_webhook_endpoint(endpoint, lease)
            .await?)
    }

    /// The email telling the organization its endpoint was disabled; none without an address. The
    /// endpoint is named without credentials or query (they may hold a receiver's secret).
    async fn endpoint_disabled_notice(
        &self,
        endpoint: &LeasedWebhookEndpoint,
        now: DateTime<Utc>,
    ) -> Result<Option<NewEmail>, ServiceError> {
        let Some(organization) = self.store().organization(endpoint.organization_id).await? else {
            return Ok(None);
        };
        let Some(to) = organization.email.filter(|e| !e.trim().is_empty()) else {
            return Ok(None);
        };
        let shown = shown_url(&endpoint.url);
        let text_body = format!(
            "Hello,\n\nThe webhook endpoint {url} of {org} failed {n} events in a row (each tried {attempts} \
             times), so Seatkeeper disabled it. Events that happen while it is disabled are not sent to it.\n\n\
             Fix the receiver, then enable the endpoint again (PATCH /v1/webhooks/endpoints/{id} with \
             {{\"enabled\": true}}); events given up can be sent again with \
             POST /v1/webhooks/events/{{id}}/redeliver.\n",
            url = shown,
            org = organization.name,
            n = DISABLE_AFTER_FAILED_EVENTS,
            attempts = retry::MAX_ATTEMPTS,
            id = endpoint.id,
        );
        let html_body = format!(
            "<p>Hello,</p><p>The webhook endpoint <code>{url}</code> of {org} failed {n} events in a row \
             (each tried {attempts} times), so Seatkeeper disabled it. Events that happen while it is \
             disabled are not sent to it.</p><p>Fix the receiver, then enable the endpoint again; events \
             given up can be sent again with the redeliver endpoint.</p>",
            url = html_escape(&shown),
            org = html_escape(&organization.name),
            n = DISABLE_AFTER_FAILED_EVENTS,
            attempts = retry::MAX_ATTEMPTS,
        );
        Ok(Some(NewEmail {
            id: EmailId::new(),
            organization_id: organization.id,
            created_at: now,
            kind: "webhook_endpoint_disabled",
            to,
            subject: format!("Webhook endpoint disabled: {shown}"),
            text_body,
            html_body,
            seat_id: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_id_timestamp_and_body_keyed_with_the_whole_secret() {
        // Computed independently: python3 -c 'import hmac,hashlib,base64;
        // print(base64.b64encode(hmac.new(b"whsec_test", b"msg_1.1700000000.{}", hashlib.sha256).digest()))'
        assert_eq!(
            signature("whsec_test", "msg_1", 1_700_000_000, "{}"),
            "v1,aVLimmNaD/+gvqoWopKW7yh/Nfk3nZtgohDCIa/8YQo="
        );
    }

    #[test]
    fn the_body_is_the_envelope_around_the_stored_payload() {
        let at = DateTime::parse_from_rfc3339("2026-11-29T10:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        let body = render_body("customer_seat.claimed", at, r#"{"id":"x"}"#);
        assert_eq!(
            body,
            r#"{"type":"customer_seat.claimed","timestamp":"2026-11-29T10:00:00.500000Z","api_version":"2026-10","data":{"id":"x"}}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["data"]["id"], "x");
    }

    #[test]
    fn a_response_excerpt_stops_at_two_kilobytes_on_a_character_boundary() {
        let long = "é".repeat(2000);
        let cut = excerpt(long.as_bytes());
        assert!(cut.len() <= RESPONSE_EXCERPT_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(excerpt(b"ok"), "ok");
        assert_eq!(excerpt(b"a\0b"), "a\u{fffd}b", "no NUL reaches the log");
    }

    #[test]
    fn an_email_names_an_endpoint_without_its_credentials_or_query() {
        assert_eq!(
            shown_url("https://user:pw@hooks.example.com/in?token=abc"),
            "https://hooks.example.com/in"
        );
    }

    #[test]
    fn secrets_are_prefixed_and_never_repeat() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(SECRET_PREFIX));
        assert_ne!(a, b);
        assert!(a.len() > 40);
    }

    #[test]
    fn unknown_event_types_formats_and_versions_are_each_reported() {
        let err = check_settings(
            Some("https://hooks.example.com/"),
            None,
            Some("2026-04"),
            Some("slack"),
            Some(&["customer_seat.claimed".into(), "seat.nope".into()]),
            false,
        )
        .err()
        .unwrap();
        let ServiceError::Validation(issues) = err else {
            panic!("not a validation error")
        };
        assert_eq!(issues.len(), 3, "{issues:?}");
    }

    #[test]
    fn repeated_event_types_are_kept_once() {
        let checked = check_settings(
            None,
            None,
            None,
            None,
            Some(&["order.paid".into(), "order.paid".into()]),
            false,
        )
        .ok()
        .unwrap();
        assert_eq!(checked.events.unwrap(), vec!["order.paid".to_owned()]);
    }
}
