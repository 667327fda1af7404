//! Webhooks: endpoints through the API, and deliveries to a receiver on loopback driven by the
//! worker's passes (the worker does not run by itself in tests) and the test clock.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use serde_json::{Value, json};
use server::webhooks::WebhookSender;

use crate::{
    both_backends,
    helpers::{entitlements::*, seats::*, *},
};

both_backends!(
    endpoints_are_created_read_listed_updated_and_deleted,
    endpoint_settings_a_receiver_could_not_use_are_refused,
    private_targets_are_refused_unless_the_server_allows_them,
    webhook_endpoints_need_webhook_scopes_and_stay_in_their_organization,
    seat_changes_reach_a_subscribed_endpoint_signed_and_in_order,
    only_subscribed_types_are_sent_and_an_organization_without_endpoints_queues_nothing,
    a_failing_receiver_is_retried_at_growing_intervals_then_the_event_is_given_up,
    an_endpoint_whose_events_keep_failing_is_disabled_and_the_organization_told,
    a_redelivered_event_is_sent_again_with_the_same_webhook_id,
    deliveries_filter_by_what_the_sdk_sends,
    two_workers_on_one_database_send_each_event_once,
    a_server_killed_mid_delivery_delivers_every_committed_event_after_a_restart,
    a_receiver_answering_binary_is_logged_and_its_next_events_still_go,
    a_customers_state_follows_its_grants_in_one_event_after_them,
);

async fn a_receiver_answering_binary_is_logged_and_its_next_events_still_go(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let receiver = Receiver::start().await;
    receiver.say(b"bin\0ary \xff");
    create_endpoint(&app, &org, &receiver.url, &["customer_seat.assigned"]).await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    assign(&app, &org, &paid, "joe@globex.example").await;
    let sender = WebhookSender::new(app.services.clone()).unwrap();
    drain(&sender).await;
    assert_eq!(receiver.received().len(), 2);
    let log = deliveries(&app, &org, "").await;
    assert_eq!(log["pagination"]["total_count"], 2);
    assert_eq!(log["items"][0]["response"], "bin\u{fffd}ary \u{fffd}");
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }
}

#[derive(Clone, Default)]
struct ReceiverState {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<Mutex<u16>>,
    /// How long it takes to answer, in milliseconds.
    delay_ms: Arc<AtomicU64>,
    /// What it answers (none: a greeting).
    body: Arc<Mutex<Option<Vec<u8>>>>,
}

/// A webhook receiver on loopback that records every request and answers with a status the test
/// sets (200 at first).
pub struct Receiver {
    pub url: String,
    state: ReceiverState,
}

impl Receiver {
    pub async fn start() -> Self {
        let state = ReceiverState::default();
        *state.status.lock().unwrap() = 200;
        let router = Router::new()
            .route("/hook", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, state }
    }

    pub fn answer(&self, status: u16) {
        *self.state.status.lock().unwrap() = status;
    }

    /// Answers with `body` from now on.
    pub fn say(&self, body: &[u8]) {
        *self.state.body.lock().unwrap() = Some(body.to_vec());
    }

    /// Answers each request only after `delay` (a slow receiver keeps deliveries in flight).
    pub fn take(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(u64::try_from(delay.as_millis()).unwrap(), Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn types(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| r.json()["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Vec<u8>) {
    let delay = state.delay_ms.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    state.received.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    let status = *state.status.lock().unwrap();
    let said = state
        .body
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| b"receiver says hello".to_vec());
    (StatusCode::from_u16(status).unwrap(), said)
}

const SEAT_EVENTS: [&str; 5] = [
    "customer_seat.assigned",
    "customer_seat.claimed",
    "customer_seat.revoked",
    "benefit_grant.created",
    "benefit_grant.revoked",
];

async fn create_endpoint(app: &TestApp, org: &TestOrg, url: &str, events: &[&str]) -> Value {
    let (status, endpoint) = json(
        app.post_as(
            &org.token,
            "/v1/webhooks/endpoints",
            &json!({"url": url, "format": "raw", "events": events}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{endpoint}");
    endpoint
}

/// Runs worker passes until one finds no work.
async fn drain(sender: &WebhookSender) {
    for _ in 0..50 {
        if !sender.run_pass().await.unwrap() {
            return;
        }
    }
    panic!("the worker still had work after 50 passes");
}

async fn claim(app: &TestApp, email: &str) {
    let token = invitation_token(app, email).await;
    let (status, body) = json(
        app.post_json(
            "/v1/customer-seats/claim",
            &json!({"invitation_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn revoke(app: &TestApp, org: &TestOrg, seat: &Value) {
    let response = app.delete_as(&org.token, &seat_path(seat)).await;
    assert_eq!(response.status(), 200);
}

async fn deliveries(app: &TestApp, org: &TestOrg, query: &str) -> Value {
    let (status, body) = json(
        app.get_as(&org.token, &format!("/v1/webhooks/deliveries{query}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn endpoints_are_created_read_listed_updated_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let created = create_endpoint(
        &app,
        &org,
        "https://hooks.example.com/polar",
        &[
            "customer_seat.claimed",
            "customer_seat.claimed",
            "order.paid",
        ],
    )
    .await;
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["format"], "raw");
    assert_eq!(created["api_version"], "2026-10");
    assert_eq!(created["enabled"], true);
    assert_eq!(
        created["events"],
        json!(["customer_seat.claimed", "order.paid"])
    );
    let path = format!("/v1/webhooks/endpoints/{}", created["id"].as_str().unwrap());

    let (status, read) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!((status, &read), (200, &created));

    let (status, list) = json(app.get_as(&org.token, "/v1/webhooks/endpoints").await).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"], json!([created]));
    assert_eq!(list["pagination"]["total_count"], 1);

    let (status, updated) = json(
        app.patch_as(
            &org.token,
            &path,
            &json!({"name": "Billing", "events": ["customer_seat.revoked"], "enabled": false}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Billing");
    assert_eq!(updated["events"], json!(["customer_seat.revoked"]));
    assert_eq!(updated["enabled"], false);
    assert_eq!(updated["url"], created["url"], "what is not given stays");
    assert!(updated["modified_at"].is_string());

    let (status, reset) = json(
        app.patch_as(&org.token, &format!("{path}/secret"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(reset["secret"], created["secret"]);
    assert!(reset["secret"].as_str().unwrap().starts_with("whsec_"));

    assert_eq!(app.delete_as(&org.token, &path).await.status(), 204);
    assert_error(app.get_as(&org.token, &path).await, 404, "ResourceNotFound").await;
    assert_error(
        app.delete_as(&org.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn endpoint_settings_a_receiver_could_not_use_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    for (body, loc) in [
        (
            json!({"url": "ftp://hooks.example.com/", "format": "raw", "events": []}),
            json!(["body", "url"]),
        ),
        (
            json!({"url": "https://hooks.example.com/", "format": "slack", "events": []}),
            json!(["body", "format"]),
        ),
        (
            json!({"url": "https://hooks.example.com/", "format": "raw", "events": ["seat.exploded"]}),
            json!(["body", "events", 0]),
        ),
        (
            json!({"url": "https://hooks.example.com/", "format": "raw", "events": [], "api_version": "2026-04"}),
            json!(["body", "api_version"]),
        ),
    ] {
        let response = app
            .post_as(&org.token, "/v1/webhooks/endpoints", &body)
            .await;
        let body = assert_error(response, 422, "RequestValidationError").await;
        assert_eq!(body["detail"][0]["loc"], loc, "{body}");
    }
    let response = app
        .post_as(
            &org.token,
            "/v1/webhooks/endpoints",
            &json!({"url": "https://hooks.example.com/", "format": "raw", "events": [], "organization_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_error(response, 422, "RequestValidationError").await;
    assert_eq!(
        app.integers("SELECT COUNT(*) FROM webhook_endpoints").await,
        [0]
    );
}

async fn private_targets_are_refused_unless_the_server_allows_them(backend: Backend) {
    let app = spawn_app_with(
        backend,
        AppOptions {
            webhook_allow_private: false,
            ..AppOptions::default()
        },
    )
    .await;
    let org = app.create_org("acme").await;
    for url in [
        "http://hooks.example.com/",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://localhost/hook",
        "https://10.0.0.8/",
    ] {
        let response = app
            .post_as(
                &org.token,
                "/v1/webhooks/endpoints",
                &json!({"url": url, "format": "raw", "events": []}),
            )
            .await;
        assert_validation(response, json!(["body", "url"]), "url_parsing").await;
    }
    // A public name is accepted; where it points is checked again when sending.
    create_endpoint(&app, &org, "https://hooks.example.com/", &[]).await;

    // An endpoint saved by a server that allowed private targets is refused by one that does not,
    // when it sends: nothing reaches the address, and the attempt is logged as failed.
    let lenient = second_server(&app).await;
    let receiver = Receiver::start().await;
    let (status, _) = json(
        lenient
            .post_as(
                &org.token,
                "/v1/webhooks/endpoints",
                &json!({"url": receiver.url, "format": "raw", "events": SEAT_EVENTS}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201);
    // An endpoint gets the changes made after it was created: this server's clock catches up with
    // the other's (each test server has a frozen clock of its own).
    app.advance_clock(&json!({"seconds": 60})).await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    let strict = WebhookSender::new(app.services.clone()).unwrap();
    strict.run_pass().await.unwrap();
    assert!(receiver.received().is_empty(), "nothing reached loopback");
    let log = deliveries(&app, &org, "").await;
    assert_eq!(log["items"][0]["succeeded"], false, "{log}");
    assert!(log["items"][0]["http_code"].is_null());
    assert!(
        log["items"][0]["response"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{log}"
    );
}

async fn webhook_endpoints_need_webhook_scopes_and_stay_in_their_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let other = app.create_org("globex").await;
    let endpoint = create_endpoint(&app, &org, "https://hooks.example.com/", &[]).await;
    let path = format!(
        "/v1/webhooks/endpoints/{}",
        endpoint["id"].as_str().unwrap()
    );

    let seats_only = app.token_with(&org, "customer_seats:write").await;
    assert_error(app.get_as(&seats_only, &path).await, 403, "NotPermitted").await;
    let reader = app.token_with(&org, "webhooks:read").await;
    assert_eq!(app.get_as(&reader, &path).await.status(), 200);
    assert_error(
        app.patch_as(&reader, &path, &json!({"enabled": false}))
            .await,
        403,
        "NotPermitted",
    )
    .await;

    assert_error(
        app.get_as(&other.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.patch_as(&other.token, &path, &json!({"enabled": false}))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.delete_as(&other.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, list) = json(app.get_as(&other.token, "/v1/webhooks/endpoints").await).await;
    assert_eq!(list["items"], json!([]));
    let (_, list) = json(
        app.get_as(
            &other.token,
            &format!("/v1/webhooks/endpoints?organization_id={}", org.id),
        )
        .await,
    )
    .await;
    assert_eq!(
        list["items"],
        json!([]),
        "another organization's filter matches nothing"
    );
}

async fn seat_changes_reach_a_subscribed_endpoint_signed_and_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let receiver = Receiver::start().await;
    let endpoint = create_endpoint(&app, &org, &receiver.url, &SEAT_EVENTS).await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let paid = buy(&app, &org, 3, Some("month")).await;
    let seat = assign(&app, &org, &paid, "jane@globex.example").await;
    claim(&app, "jane@globex.example").await;
    revoke(&app, &org, &seat).await;

    let sender = WebhookSender::new(app.services.clone()).unwrap();
    drain(&sender).await;
    let written: Vec<String> = app
        .event_kinds(&org)
        .await
        .into_iter()
        .filter(|kind| SEAT_EVENTS.contains(&kind.as_str()))
        .collect();
    assert_eq!(
        receiver.types(),
        written,
        "every seat event, in the order written"
    );
    let kinds = receiver.types();
    let position = |kind: &str| kinds.iter().position(|k| k == kind).unwrap();
    assert!(position("customer_seat.assigned") < position("customer_seat.claimed"));
    assert!(position("customer_seat.claimed") < position("customer_seat.revoked"));
    let received = receiver.received();
    for request in &received {
        let id = request.header("webhook-id");
        let timestamp: i64 = request.header("webhook-timestamp").parse().unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!((now - timestamp).abs() < 60, "signed just now");
        assert_eq!(
            request.header("webhook-signature"),
            app::server::service::signature(&secret, id, timestamp, &request.body)
        );
        assert_eq!(request.header("content-type"), "application/json");
        assert!(
            request
                .header("user-agent")
                .starts_with("Seatkeeper-Webhooks/")
        );
        let body = request.json();
        assert_eq!(body["api_version"], "2026-10");
        assert!(body["timestamp"].is_string());
    }
    let claimed = received
        .iter()
        .find(|r| r.json()["type"] == "customer_seat.claimed")
        .unwrap()
        .json();
    assert_eq!(claimed["data"]["id"], seat["id"]);
    assert_eq!(claimed["data"]["status"], "claimed");

    let log = deliveries(&app, &org, "?limit=100").await;
    assert_eq!(log["pagination"]["total_count"], received.len());
    for item in log["items"].as_array().unwrap() {
        assert_eq!(item["succeeded"], true);
        assert_eq!(item["http_code"], 200);
        assert_eq!(item["response"], "receiver says hello");
        assert_eq!(item["webhook_event"]["succeeded"], true);
        let sent = received
            .iter()
            .find(|r| r.header("webhook-id") == item["webhook_event"]["id"].as_str().unwrap())
            .expect("each logged event was received under its id");
        assert_eq!(item["webhook_event"]["payload"], sent.body.as_str());
    }
}

async fn only_subscribed_types_are_sent_and_an_organization_without_endpoints_queues_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let quiet = app.create_org("quiet").await;
    let paid = buy(&app, &quiet, 3, Some("month")).await;
    assign(&app, &quiet, &paid, "jane@globex.example").await;
    assert_eq!(
        app.integers("SELECT COUNT(*) FROM webhook_queue").await,
        [0],
        "nothing is queued for an organization without endpoints"
    );

    let receiver = Receiver::start().await;
    create_endpoint(&app, &org, &receiver.url, &["customer_seat.claimed"]).await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    claim(&app, "jane@globex.example").await;
    let sender = WebhookSender::new(app.services.clone()).unwrap();
    drain(&sender).await;
    assert_eq!(receiver.types(), ["customer_seat.claimed"]);
    assert_eq!(
        app.integers("SELECT COUNT(*) FROM webhook_queue").await,
        [0]
    );
}

async fn a_failing_receiver_is_retried_at_growing_intervals_then_the_event_is_given_up(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let receiver = Receiver::start().await;
    receiver.answer(503);
    create_endpoint(&app, &org, &receiver.url, &["customer_seat.assigned"]).await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    let sender = WebhookSender::new(app.services.clone()).unwrap();

    drain(&sender).await;
    assert_eq!(receiver.received().len(), 1);
    // Not due again before its backoff (5 s at least), due after it.
    app.advance_clock(&json!({"seconds": 4})).await;
    drain(&sender).await;
    assert_eq!(receiver.received().len(), 1, "not before the backoff");
    let mut waits = Vec::new();
    for attempt in 2..=app::server::service::retry::MAX_ATTEMPTS {
        let mut waited = 0;
        while receiver.received().len() < attempt as usize {
            app.advance_clock(&json!({"seconds": 5})).await;
            waited += 5;
            drain(&sender).await;
            assert!(waited < 10_000, "attempt {attempt} never came");
        }
        waits.push(waited);
    }
    assert!(
        waits.windows(2).all(|w| w[1] >= w[0]),
        "intervals grow: {waits:?}"
    );
    assert!(waits.last().unwrap() > &(waits[0] * 8), "{waits:?}");
    let ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one webhook-id on every attempt"
    );

    // Given up: nothing more.
    app.advance_clock(&json!({"seconds": 100_000})).await;
    drain(&sender).await;
    assert_eq!(
        receiver.received().len(),
        app::server::service::retry::MAX_ATTEMPTS as usize
    );
    let log = deliveries(&app, &org, "?limit=100").await;
    assert_eq!(
        log["pagination"]["total_count"],
        app::server::service::retry::MAX_ATTEMPTS
    );
    assert_eq!(log["items"][0]["http_code"], 503);
    assert_eq!(log["items"][0]["succeeded"], false);
    assert_eq!(log["items"][0]["webhook_event"]["succeeded"], false);
    assert_eq!(log["items"][0]["webhook_event"]["last_http_code"], 503);
}

async fn an_endpoint_whose_events_keep_failing_is_disabled_and_the_organization_told(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (status, _) = json(
        app.patch_as(
            &org.token,
            &format!("/v1/organizations/{}", org.id),
            &json!({"email": "ops@acme.example"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let endpoint = create_endpoint(&app, &org, &receiver.url, &["customer_seat.assigned"]).await;
    let failing = app::server::service::DISABLE_AFTER_FAILED_EVENTS as usize;
    let paid = buy(&app, &org, 20, Some("month")).await;
    for i in 0..failing + 2 {
        assign(&app, &org, &paid, &format!("p{i}@globex.example")).await;
    }
    let sender = WebhookSender::new(app.services.clone()).unwrap();
    for _ in 0..failing * app::server::service::retry::MAX_ATTEMPTS as usize + 5 {
        drain(&sender).await;
        app.advance_clock(&json!({"seconds": 5000})).await;
    }
    let attempts = failing * app::server::service::retry::MAX_ATTEMPTS as usize;
    assert_eq!(
        receiver.received().len(),
        attempts,
        "the eleventh event is never sent"
    );
    let path = format!(
        "/v1/webhooks/endpoints/{}",
        endpoint["id"].as_str().unwrap()
    );
    let (_, now) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(now["enabled"], false);
    let notices: Vec<_> = app
        .store()
        .recent_emails(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "webhook_endpoint_disabled")
        .collect();
    assert_eq!(notices.len(), 1, "told once");
    assert_eq!(notices[0].to, "ops@acme.example");
    assert!(notices[0].text_body.contains(&receiver.url));

    // Enabled again, the pending events go out.
    receiver.answer(200);
    let (status, _) = json(
        app.patch_as(&org.token, &path, &json!({"enabled": true}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    drain(&sender).await;
    assert_eq!(receiver.received().len(), attempts + 2);
}

async fn a_redelivered_event_is_sent_again_with_the_same_webhook_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let receiver = Receiver::start().await;
    create_endpoint(&app, &org, &receiver.url, &["customer_seat.assigned"]).await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    let sender = WebhookSender::new(app.services.clone()).unwrap();
    drain(&sender).await;
    let first = receiver.received()[0].clone();
    let log = deliveries(&app, &org, "").await;
    let event_id = log["items"][0]["webhook_event"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(first.header("webhook-id"), event_id);

    let response = app
        .post_as(
            &org.token,
            &format!("/v1/webhooks/events/{event_id}/redeliver"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 202);
    drain(&sender).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].header("webhook-id"), event_id);
    assert_eq!(received[1].body, first.body, "the same body");
    assert_eq!(
        deliveries(&app, &org, "").await["pagination"]["total_count"],
        2
    );

    let other = app.create_org("globex").await;
    assert_error(
        app.post_as(
            &other.token,
            &format!("/v1/webhooks/events/{event_id}/redeliver"),
            &json!({}),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn deliveries_filter_by_what_the_sdk_sends(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let ok = Receiver::start().await;
    let broken = Receiver::start().await;
    broken.answer(404);
    let good = create_endpoint(
        &app,
        &org,
        &ok.url,
        &["customer_seat.assigned", "customer_seat.claimed"],
    )
    .await;
    let bad = create_endpoint(&app, &org, &broken.url, &["customer_seat.assigned"]).await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    claim(&app, "jane@globex.example").await;
    let sender = WebhookSender::new(app.services.clone()).unwrap();
    drain(&sender).await;

    let count = |log: Value| log["pagination"]["total_count"].as_u64().unwrap();
    assert_eq!(count(deliveries(&app, &org, "").await), 3);
    let good_id = good["id"].as_str().unwrap();
    let bad_id = bad["id"].as_str().unwrap();
    assert_eq!(
        count(deliveries(&app, &org, &format!("?endpoint_id={good_id}")).await),
        2
    );
    assert_eq!(
        count(
            deliveries(
                &app,
                &org,
                &format!("?endpoint_id={good_id}&endpoint_id={bad_id}")
            )
            .await
        ),
        3
    );
    assert_eq!(count(deliveries(&app, &org, "?succeeded=false").await), 1);
    assert_eq!(count(deliveries(&app, &org, "?succeeded=true").await), 2);
    assert_eq!(
        count(deliveries(&app, &org, "?http_code_class=4xx").await),
        1
    );
    assert_eq!(
        count(deliveries(&app, &org, "?http_code_class=5xx").await),
        0
    );
    assert_eq!(
        count(deliveries(&app, &org, "?event_type=customer_seat.claimed").await),
        1
    );
    assert_eq!(
        count(deliveries(&app, &org, "?query=JANE%40GLOBEX").await),
        3
    );
    assert_eq!(
        count(deliveries(&app, &org, "?query=receiver+says").await),
        3
    );
    assert_eq!(
        count(deliveries(&app, &org, "?query=nobody-at-all").await),
        0
    );
    assert_eq!(
        count(deliveries(&app, &org, "?start_timestamp=2999-01-01T00:00:00Z").await),
        0
    );
    assert_eq!(
        count(deliveries(&app, &org, "?end_timestamp=2999-01-01T00:00:00Z").await),
        3
    );
    for query in [
        "?http_code_class=6xx",
        "?event_type=seat.exploded",
        "?color=blue",
    ] {
        assert_error(
            app.get_as(&org.token, &format!("/v1/webhooks/deliveries{query}"))
                .await,
            422,
            "RequestValidationError",
        )
        .await;
    }
    let other = app.create_org("globex").await;
    assert_eq!(count(deliveries(&app, &other, "").await), 0);
}

async fn two_workers_on_one_database_send_each_event_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = second_server(&app).await;
    let org = app.create_org("acme").await;
    let receiver = Receiver::start().await;
    create_endpoint(&app, &org, &receiver.url, &["customer_seat.assigned"]).await;
    let second = Receiver::start().await;
    create_endpoint(&app, &org, &second.url, &["customer_seat.assigned"]).await;
    let paid = buy(&app, &org, 30, Some("month")).await;
    for i in 0..30 {
        assign(&app, &org, &paid, &format!("p{i}@globex.example")).await;
    }
    let senders = [
        WebhookSender::new(app.services.clone()).unwrap(),
        WebhookSender::new(other.services.clone()).unwrap(),
        WebhookSender::new(app.services.clone()).unwrap(),
        WebhookSender::new(other.services.clone()).unwrap(),
    ];
    futures_util::future::join_all(senders.iter().map(drain)).await;
    futures_util::future::join_all(senders.iter().map(drain)).await;
    for receiver in [&receiver, &second] {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for request in receiver.received() {
            *seen
                .entry(request.header("webhook-id").to_owned())
                .or_default() += 1;
        }
        assert_eq!(seen.len(), 30, "every event");
        assert!(seen.values().all(|n| *n == 1), "each once: {seen:?}");
        let emails: Vec<String> = receiver
            .received()
            .iter()
            .map(|r| r.json()["data"]["email"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = (0..30).map(|i| format!("p{i}@globex.example")).collect();
        assert_eq!(emails, expected, "in the order the seats were assigned");
    }
}

async fn a_server_killed_mid_delivery_delivers_every_committed_event_after_a_restart(
    backend: Backend,
) {
    let db = TestDatabase::new(backend).await;
    let token = acme_token_from_cli(&db.url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let serve = || {
        serve_binary_with(
            &db.url,
            port,
            &[
                "--webhook-allow-private",
                "--test-clock-start",
                "2027-01-01T00:00:00Z",
            ],
        )
    };
    let mut server = serve();
    wait_ready(&client, &base).await;
    let receiver = Receiver::start().await;
    receiver.take(Duration::from_millis(100));
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let response = post(
        "/v1/webhooks/endpoints",
        json!({"url": receiver.url, "format": "raw", "events": ["customer_seat.assigned"]}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let product: Value = post("/v1/products", json!({"name": "Team", "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]}))
        .await.unwrap().json().await.unwrap();
    let checkout: Value = post(
        "/v1/checkouts",
        json!({"products": [product["id"]], "seats": 40, "customer_email": "billing@globex.example"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let secret = checkout["client_secret"].as_str().unwrap();
    let response = client
        .post(format!("{base}/v1/checkouts/client/{secret}/confirm"))
        .json(&json!({"confirmation_token_id": "tok_visa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let paid: Value = client
        .get(format!(
            "{base}/v1/checkouts/{}",
            checkout["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subscription = paid["subscription_id"].as_str().unwrap().to_owned();
    for i in 0..41 {
        let response = post(
            "/v1/customer-seats",
            json!({"subscription_id": subscription, "email": format!("p{i}@globex.example")}),
        )
        .await
        .unwrap();
        // The 41st does not fit: refused, and no event of it is ever sent.
        assert_eq!(
            response.status(),
            if i < 40 { 200 } else { 400 },
            "seat {i}"
        );
    }
    for _ in 0..200 {
        if receiver.received().len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(receiver.received().len() >= 5, "deliveries under way");
    server.kill().unwrap();
    server.wait().unwrap();
    let before = receiver.received().len();
    assert!(
        before < 40,
        "killed while deliveries were still due ({before} sent)"
    );

    let mut server = serve();
    wait_ready(&client, &base).await;
    // The killed process's lease (120 s) must run out before another worker takes the endpoint.
    let response = post("/v1/test-clock/advance", json!({"seconds": 180}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let emails = || -> HashSet<String> {
        receiver
            .received()
            .iter()
            .map(|r| r.json()["data"]["email"].as_str().unwrap().to_owned())
            .collect()
    };
    for _ in 0..600 {
        if emails().len() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expected: HashSet<String> = (0..40).map(|i| format!("p{i}@globex.example")).collect();
    assert_eq!(
        emails(),
        expected,
        "every committed assignment, none refused"
    );
    let received = receiver.received();
    let distinct: HashSet<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(distinct.len(), 40);
    assert!(
        received.len() <= 40 + 16,
        "at most the run not yet recorded at the kill is sent twice ({})",
        received.len()
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The `customer.state_changed` events the receiver got, oldest first.
fn states(receiver: &Receiver) -> Vec<Value> {
    receiver
        .received()
        .iter()
        .map(Received::json)
        .filter(|event| event["type"] == "customer.state_changed")
        .collect()
}

async fn a_customers_state_follows_its_grants_in_one_event_after_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let receiver = Receiver::start().await;
    create_endpoint(
        &app,
        &org,
        &receiver.url,
        &[
            "customer.state_changed",
            "benefit_grant.created",
            "benefit_grant.revoked",
        ],
    )
    .await;
    let sender = WebhookSender::new(app.services.clone()).unwrap();
    let paid = keyed_pool(&app, &org, json!({}), 3, Some("month")).await;
    drain(&sender).await;
    let bought = states(&receiver);
    let last = bought
        .last()
        .expect("the purchase changed the customer's state");
    assert_eq!(last["data"]["id"], paid["customer_id"]);
    assert_eq!(
        last["data"]["active_subscriptions"][0]["id"],
        paid["subscription_id"]
    );
    assert_eq!(last["data"]["granted_benefits"], json!([]));

    // Two claims: their grant events, then one state with both grants, even with two workers
    // passing at once (only the one that clears the note writes its event).
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let other = WebhookSender::new(app.services.clone()).unwrap();
    tokio::join!(drain(&sender), drain(&other));
    let types = receiver.types();
    let after_purchase = &types[bought.len()..];
    assert_eq!(
        after_purchase,
        [
            "benefit_grant.created",
            "benefit_grant.created",
            "customer.state_changed"
        ],
        "one state for both changes, after them"
    );
    let state = states(&receiver).pop().unwrap();
    let holders: Vec<&Value> = state["data"]["granted_benefits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["member_id"])
        .collect();
    assert_eq!(holders.len(), 2);
    assert!(holders.contains(&&jane["member_id"]) && holders.contains(&&john["member_id"]));

    let response = app.delete_as(&org.token, &seat_path(&jane)).await;
    assert_eq!(response.status(), 200);
    drain(&sender).await;
    let state = states(&receiver).pop().unwrap();
    assert_eq!(
        state["data"]["granted_benefits"][0]["member_id"],
        john["member_id"]
    );
    assert_eq!(
        state["data"]["granted_benefits"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        app.integers("SELECT COUNT(*) FROM customer_state_changes")
            .await,
        [0],
        "every change was told"
    );

    // An organization whose endpoints do not want states notes no changes.
    let quiet = app.create_org("quiet").await;
    create_endpoint(&app, &quiet, &receiver.url, &["benefit_grant.created"]).await;
    let paid = keyed_pool(&app, &quiet, json!({}), 1, Some("month")).await;
    claimed_seat(&app, &quiet, &paid, "ann@globex.example").await;
    let before = states(&receiver).len();
    drain(&sender).await;
    assert_eq!(states(&receiver).len(), before);
    assert_eq!(
        app.integers("SELECT COUNT(*) FROM customer_state_changes")
            .await,
        [0]
    );
}
