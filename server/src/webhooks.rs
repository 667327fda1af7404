//! The webhook worker: fans out the outbox's events to the endpoints subscribed to them, then sends
//! each leased endpoint's due events in order, one at a time, each within [`SEND_TIMEOUT`], and
//! records every attempt while its lease holds (the rules are the webhooks service's; this module
//! is the HTTP side). It runs in the shared worker loop ([`crate::workers`]) like the mailer, and
//! like it leases its work in the database, so several processes may run it on one database and a
//! process killed mid-send leaves the endpoint to whoever leases it after the lease runs out (the
//! event is then sent again: delivery is at least once, and `webhook-id` names the duplicate).
//!
//! Attempts are recorded in runs of up to 16 events (one transaction each), so a process killed
//! mid-run may send that run's events again.
//!
//! Requests carry `webhook-id`, `webhook-timestamp` (this machine's clock at sending: receivers
//! compare it with theirs) and `webhook-signature` (Standard Webhooks), are never redirected, and go
//! only to public addresses unless private ones are allowed (`--webhook-allow-private`): every
//! address a host name resolves to is checked when the request is made (see [`PublicOnly`]), so a
//! name that later resolves to a private address is refused then.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use app::server::{
    service::{
        AttemptOutcome, OutgoingWebhook, ServiceError, Services, excerpt, is_public_address,
    },
    store::{AttemptRecorded, LeasedWebhookEndpoint},
};
use chrono::TimeDelta;
use futures_util::future::join_all;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::watch;

/// How long one request may take before it counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a leased endpoint is reserved for this worker. It sends while at least
/// [`SEND_TIMEOUT`] and a margin are left, so an attempt always ends inside its lease.
const LEASE: TimeDelta = TimeDelta::seconds(120);
const LEASE_MARGIN: Duration = Duration::from_secs(15);
/// How many endpoints one pass leases (each is sent to on its own, in parallel).
const ENDPOINTS_AT_ONCE: u32 = 8;
/// How many queued events one fan-out reads, and how many fan-outs one pass makes at most.
const DISPATCH_BATCH: u32 = 200;
const DISPATCH_BATCHES_PER_PASS: usize = 5;
/// How many pending events of an endpoint are read at a time.
const SENDS_PER_READ: u32 = 32;
/// Attempts are recorded once this many are made, or once the first of them is this old, or at a
/// failure: one commit per run of events, not one per event.
const RECORD_EVERY: usize = 16;
const RECORD_AFTER: Duration = Duration::from_millis(500);
/// How often the worker looks for work when there is none.
pub const POLL: Duration = Duration::from_millis(250);

/// Sends webhooks.
#[derive(Clone)]
pub struct WebhookSender {
    services: Services,
    client: reqwest::Client,
}

impl WebhookSender {
    /// A sender whose requests go only to public addresses, unless the services allow private
    /// ones.
    pub fn new(services: Services) -> anyhow::Result<Self> {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(SEND_TIMEOUT)
            .connect_timeout(SEND_TIMEOUT)
            .user_agent(concat!("Seatkeeper-Webhooks/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if !services.webhooks_allow_private() {
            client = client.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            services,
            client: client.build()?,
        })
    }

    /// One pass: fans out what is queued, then sends the due events of up to
    /// [`ENDPOINTS_AT_ONCE`] endpoints; whether it found work.
    pub async fn run_pass(&self) -> Result<bool, ServiceError> {
        let mut worked = false;
        // A bounded number of fan-out batches per pass, so a steady stream of events never keeps
        // the worker from delivering.
        for _ in 0..DISPATCH_BATCHES_PER_PASS {
            let dispatched = self
                .services
                .dispatch_webhook_events(DISPATCH_BATCH)
                .await?;
            worked |= dispatched > 0;
            if dispatched < DISPATCH_BATCH as usize {
                break;
            }
        }
        // The customers whose state those events changed get their `customer.state_changed`,
        // read now, and it is fanned out in this pass too.
        if self
            .services
            .write_state_changed_events(DISPATCH_BATCH)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the customers whose state changed");
                0
            })
            > 0
        {
            worked = true;
            self.services
                .dispatch_webhook_events(DISPATCH_BATCH)
                .await?;
        }
        let lease = uuid::Uuid::new_v4();
        let leased_at = Instant::now();
        let endpoints = self
            .services
            .lease_due_webhook_endpoints(lease, LEASE, ENDPOINTS_AT_ONCE)
            .await?;
        worked |= !endpoints.is_empty();
        let deadline = leased_at + LEASE.to_std().unwrap_or_default() - SEND_TIMEOUT - LEASE_MARGIN;
        let outcomes = join_all(
            endpoints
                .iter()
                .map(|endpoint| self.serve_endpoint(lease, endpoint, deadline)),
        )
        .await;
        for (endpoint, outcome) in endpoints.iter().zip(outcomes) {
            if let Err(e) = outcome {
                tracing::warn!(endpoint_id = %endpoint.id, error = %e, "webhook delivery pass failed; the endpoint is retried when its lease runs out");
            }
        }
        Ok(worked)
    }

    /// Sends an endpoint's due events in order until none is due, one fails (the ones after it wait
    /// for its retry), the endpoint is disabled, or the lease is nearly over; then releases it.
    /// Attempts are recorded in runs (one transaction for up to [`RECORD_EVERY`] events or
    /// [`RECORD_AFTER`]), so a killed process may send the last run's events again: delivery is at
    /// least once.
    async fn serve_endpoint(
        &self,
        lease: uuid::Uuid,
        endpoint: &LeasedWebhookEndpoint,
        deadline: Instant,
    ) -> Result<(), ServiceError> {
        'reads: loop {
            let due = self
                .services
                .due_webhooks(endpoint.id, SENDS_PER_READ)
                .await?;
            if due.is_empty() {
                break;
            }
            let mut run = Vec::new();
            let mut run_started = Instant::now();
            let mut stop = false;
            for (i, webhook) in due.iter().enumerate() {
                if Instant::now() >= deadline {
                    stop = true;
                    break;
                }
                if run.is_empty() {
                    run_started = Instant::now();
                }
                let outcome = self.send(endpoint, webhook).await;
                let succeeded = outcome.succeeded();
                run.push(
                    self.services
                        .webhook_attempt(lease, endpoint, webhook, outcome)
                        .await?,
                );
                let last = i + 1 == due.len();
                if succeeded
                    && !last
                    && run.len() < RECORD_EVERY
                    && run_started.elapsed() < RECORD_AFTER
                {
                    continue;
                }
                match self.services.record_webhook_attempts(&run).await? {
                    // Another worker holds the endpoint now: it is theirs to release.
                    AttemptRecorded::LeaseLost => return Ok(()),
                    AttemptRecorded::Recorded { enabled, .. } => {
                        run.clear();
                        if !succeeded || !enabled {
                            break 'reads;
                        }
                    }
                }
            }
            if let AttemptRecorded::LeaseLost = self.services.record_webhook_attempts(&run).await? {
                return Ok(());
            }
            if stop {
                break;
            }
        }
        self.services
            .release_webhook_endpoint(endpoint.id, lease)
            .await
    }

    /// One signed request; what came of it.
    async fn send(
        &self,
        endpoint: &LeasedWebhookEndpoint,
        webhook: &OutgoingWebhook,
    ) -> AttemptOutcome {
        let started = Instant::now();
        let outcome = match self.refusal(&endpoint.url) {
            Some(refused) => Err(refused),
            None => self.post(endpoint, webhook).await,
        };
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok((code, body)) => AttemptOutcome {
                http_code: Some(code),
                response: Some(body),
                duration_ms,
            },
            Err(error) => {
                tracing::info!(endpoint_id = %endpoint.id, webhook_id = %webhook.send_id, %error, "webhook not delivered");
                AttemptOutcome {
                    http_code: None,
                    response: Some(error),
                    duration_ms,
                }
            }
        }
    }

    async fn post(
        &self,
        endpoint: &LeasedWebhookEndpoint,
        webhook: &OutgoingWebhook,
    ) -> Result<(u16, String), String> {
        let id = webhook.send_id.to_string();
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        let signature =
            app::server::service::signature(&endpoint.secret, &id, timestamp, &webhook.body);
        let mut response = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(webhook.body.clone())
            .send()
            .await
            .map_err(describe)?;
        let code = response.status().as_u16();
        // Only the start of the body is kept; the rest is not read.
        let mut body = Vec::new();
        while body.len() < app::server::service::RESPONSE_EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        Ok((code, excerpt(&body)))
    }

    /// Why a URL whose host is a literal address must not be sent to (a name's addresses are
    /// checked by the resolver).
    fn refusal(&self, url: &str) -> Option<String> {
        if self.services.webhooks_allow_private() {
            return None;
        }
        let host = reqwest::Url::parse(url).ok()?.host()?.to_owned();
        let address = match host {
            url::Host::Ipv4(v4) => std::net::IpAddr::V4(v4),
            url::Host::Ipv6(v6) => std::net::IpAddr::V6(v6),
            url::Host::Domain(_) => return None,
        };
        (!is_public_address(address)).then(|| format!("refused: {address} is not a public address"))
    }

    /// Sends until `stop` turns true.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        tracing::info!("webhook sender started");
        crate::workers::run_loop("webhooks", POLL, stop, move || {
            let sender = self.clone();
            async move { sender.run_pass().await.map_err(|e| e.to_string()) }
        })
        .await;
    }
}

/// What went wrong with a request, without the URL (it may carry credentials).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "redirected"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Resolves host names to their public addresses only; a name with none is refused.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // One answer whether the name does not resolve or resolves only inside: the delivery
            // log must not tell a merchant which internal names exist.
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addresses| {
                    addresses
                        .filter(|address| is_public_address(address.ip()))
                        .collect()
                })
                .unwrap_or_default();
            if public.is_empty() {
                return Err(format!("refused: {host} has no public address").into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn a_name_that_resolves_only_to_loopback_is_refused() {
        let refused = PublicOnly
            .resolve(Name::from_str("localhost").unwrap_or_else(|_| unreachable!()))
            .await;
        let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("has no public address"), "{error}");
        let unknown = PublicOnly
            .resolve(Name::from_str("no-such-host.invalid").unwrap_or_else(|_| unreachable!()))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            unknown.contains("has no public address"),
            "the same answer for a name that does not resolve: {unknown}"
        );
    }
}
