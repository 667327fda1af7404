//! The webhook delivery phase: an endpoint on loopback subscribes to `benefit_grant.created`, then
//! [`DELIVERY_EVENTS`] invitations are claimed as fast as 32 clients can (each claim grants the
//! product's benefit, so each queues one event), while the server's webhook worker delivers them.
//! Reported: deliveries per second (from the first claim to the last delivery) and, per event, the
//! latency from the claim's answer to the receiver getting its `benefit_grant.created`.

use std::collections::HashMap;

use axum::{Router, body::Bytes, extract::State, routing::post};
use futures_util::{StreamExt, stream};

use super::*;

/// How many events the phase queues.
pub(crate) const DELIVERY_EVENTS: usize = 1_000;
/// The domain of the phase's invitations.
const DELIVERY_DOMAIN: &str = "delivery.bench.example";

/// When each seat's `benefit_grant.created` arrived.
type Arrivals = Arc<std::sync::Mutex<HashMap<String, Instant>>>;

async fn receive(State(arrivals): State<Arrivals>, body: Bytes) -> &'static str {
    let at = Instant::now();
    if let Ok(event) = serde_json::from_slice::<Value>(&body)
        && let Some(seat) = event["data"]["seat_id"].as_str()
        && let Ok(mut arrivals) = arrivals.lock()
    {
        arrivals.entry(seat.to_owned()).or_insert(at);
    }
    "ok"
}

pub(crate) async fn delivery_phase(server: &Arc<Server>) -> anyhow::Result<PhaseResult> {
    println!("  webhook delivery: {DELIVERY_EVENTS} claims → benefit_grant.created on loopback");
    let arrivals: Arrivals = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_url = format!("http://{}/hook", listener.local_addr()?);
    let router = Router::new()
        .route("/hook", post(receive))
        .with_state(arrivals.clone());
    let receiver = tokio::spawn(async move { axum::serve(listener, router).await });

    let (status, benefit) = server
        .post(
            "/v1/benefits",
            &json!({"type": "custom", "description": "Bench benefit", "properties": {"note": "hi"}}),
        )
        .await?;
    ensure!(status == 201, "benefit: {status} {benefit}");
    let product = create_product(server).await?;
    let (status, body) = server
        .post(
            &format!("/v1/products/{product}/benefits"),
            &json!({"benefits": [id_of(&benefit, "id")?]}),
        )
        .await?;
    ensure!(status == 200, "product benefits: {status} {body}");
    let (status, endpoint) = server
        .post(
            "/v1/webhooks/endpoints",
            &json!({"url": receiver_url, "format": "raw", "events": ["benefit_grant.created"]}),
        )
        .await?;
    ensure!(status == 201, "endpoint: {status} {endpoint}");

    let pools = buy_pools(server, &product, 1, DELIVERY_EVENTS, "delivery").await?;
    let subscription = pools.first().ok_or_else(|| anyhow!("no delivery pool"))?;
    let assigned: Vec<anyhow::Result<(u16, Option<String>)>> = stream::iter(0..DELIVERY_EVENTS)
        .map(|i| {
            let email = format!("d{i}@{DELIVERY_DOMAIN}");
            async move { assign(server, subscription, &email).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    for outcome in assigned {
        let (status, error) = outcome?;
        ensure!(status == 200, "delivery pool assign: {status} {error:?}");
    }
    drain_outbox(server).await?;
    let tokens = invitation_tokens(&server.database_url, InvitationsOf::Delivery).await?;
    ensure!(
        tokens.len() == DELIVERY_EVENTS,
        "{} invitations for the delivery phase",
        tokens.len()
    );

    let started = Instant::now();
    let url = server.url("/v1/customer-seats/claim");
    let claims: Vec<anyhow::Result<(String, Instant)>> = stream::iter(tokens)
        .map(|token| {
            let (client, url) = (server.client.clone(), url.clone());
            async move {
                let answer: Value = client
                    .post(url)
                    .json(&json!({"invitation_token": token}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let seat = answer["seat"]["id"]
                    .as_str()
                    .ok_or_else(|| anyhow!("claim without a seat: {answer}"))?;
                Ok((seat.to_owned(), Instant::now()))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let claimed: HashMap<String, Instant> = claims.into_iter().collect::<anyhow::Result<_>>()?;

    const PATIENCE: Duration = Duration::from_secs(300);
    let mut note = None;
    loop {
        let arrived = arrivals.lock().map(|a| a.len()).unwrap_or_default();
        if arrived >= DELIVERY_EVENTS {
            break;
        }
        if started.elapsed() > PATIENCE {
            note = Some(format!(
                "{arrived} of {DELIVERY_EVENTS} delivered after {} s",
                PATIENCE.as_secs()
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    receiver.abort();
    let arrivals = arrivals
        .lock()
        .map_err(|_| anyhow!("receiver poisoned"))?
        .clone();
    let last = arrivals.values().max().copied().unwrap_or(started);
    let mut latencies: Vec<Duration> = arrivals
        .iter()
        .filter_map(|(seat, at)| {
            claimed
                .get(seat)
                .map(|claim| at.saturating_duration_since(*claim))
        })
        .collect();
    latencies.sort_unstable();
    let result = PhaseResult {
        ok: arrivals.len() as u64,
        errors: (DELIVERY_EVENTS - arrivals.len().min(DELIVERY_EVENTS)) as u64,
        window: last.saturating_duration_since(started),
        latencies,
        note,
    };
    println!(
        "    {:.0} deliveries/s, claim answered → received p50 {:.1} ms, p99 {:.1} ms",
        result.rate(),
        result.percentile(0.5).unwrap_or_default().as_secs_f64() * 1e3,
        result.percentile(0.99).unwrap_or_default().as_secs_f64() * 1e3
    );
    Ok(result)
}
