//! One database's phases: assign, list, claim, webhook delivery (`delivery.rs`) and oversell.

use super::*;

// ---------------------------------------------------------------------------------------------
// One database

/// Everything measured on one database.
pub(crate) struct DatabaseRun {
    pub(crate) kind: DatabaseKind,
    pub(crate) assign: PhaseResult,
    /// How long the mailer took, after the assign phase's window, to send what was still queued.
    pub(crate) assign_mail_drain: Duration,
    pub(crate) list: PhaseResult,
    /// The same list asked as the official Python SDK asks it (httpx sends `Accept-Encoding:
    /// gzip, deflate`): the kept gzip copy.
    pub(crate) list_gzip: PhaseResult,
    pub(crate) list_gzip_bytes: usize,
    /// A bare axum route answering the list's exact body: what the transport alone allows.
    pub(crate) list_body: PhaseResult,
    pub(crate) list_body_bytes: usize,
    /// The public license-key validation an app makes on every start.
    pub(crate) validate: PhaseResult,
    pub(crate) claim: Measured<PhaseResult>,
    /// Webhooks: claims queueing `benefit_grant.created` for an endpoint on loopback.
    pub(crate) delivery: PhaseResult,
    pub(crate) oversell: Oversell,
}

impl DatabaseRun {
    /// Assignments per second counting the time the mailer needed, after the window, to send what
    /// was still queued.
    pub(crate) fn assign_with_mail(&self) -> f64 {
        self.assign.ok as f64
            / (self.assign.window + self.assign_mail_drain)
                .as_secs_f64()
                .max(1e-9)
    }
}

pub(crate) async fn database_run(
    config: &Config,
    kind: DatabaseKind,
) -> anyhow::Result<DatabaseRun> {
    println!("{}:", kind.name());
    let (database, url) = RunDatabase::create(config, kind).await?;
    let outcome = measure_database(config, kind, &url).await;
    database.remove().await;
    outcome
}

pub(crate) async fn measure_database(
    config: &Config,
    kind: DatabaseKind,
    url: &str,
) -> anyhow::Result<DatabaseRun> {
    let (server, handle) = Server::start(config, url).await?;
    let phases = async {
        let product = create_product(&server).await?;
        let (assign, assign_mail_drain, mut oversell) =
            assign_phase(config, &server, &product).await?;
        let (list, body, list_gzip, list_gzip_bytes) =
            list_phase(config, &server, &product).await?;
        println!(
            "  reference: a bare axum route answering the list's {} bytes",
            body.len()
        );
        let list_body_bytes = body.len();
        let list_body = bare_route_phase(config, "same body", body).await?;
        let validate = validate_phase(config, &server).await?;
        let claim = claim_phase(config, &server).await?;
        let delivery = delivery_phase(&server).await?;
        oversell.absorb(oversell_phase(&server, &product).await?);
        anyhow::Ok(DatabaseRun {
            kind,
            assign,
            assign_mail_drain,
            list,
            list_gzip,
            list_gzip_bytes,
            list_body,
            list_body_bytes,
            validate,
            claim,
            delivery,
            oversell,
        })
    };
    let outcome = phases.await;
    handle.shut_down().await?;
    outcome
}

/// Assigns rotating over many 1,000-seat pools (the mailer sending their invitations meanwhile),
/// then times how long the mailer takes to send what is still queued: an assignment's cost includes
/// its email. Then (untimed) enough further invitations for the claim phase, sent before the next
/// phase; afterwards every pool's counts are checked.
pub(crate) async fn assign_phase(
    config: &Config,
    server: &Arc<Server>,
    product: &str,
) -> anyhow::Result<(PhaseResult, Duration, Oversell)> {
    let window = assign_window(config, server, product, "assign").await?;
    let phase_seconds = (config.warmup + config.measure).as_secs_f64();
    let wanted = (window.result.rate() * CLAIM_HEADROOM * phase_seconds).ceil() as usize;
    if wanted > window.next.load(Ordering::Relaxed) {
        let top_up = AssignLoad::operation(
            server,
            &window.pools,
            &window.next,
            wanted.min(window.capacity()),
        );
        let (no_warmup, at_most) = (Duration::ZERO, Duration::from_secs(120));
        let more = run_load(config.clients, no_warmup, at_most, top_up).await?;
        println!(
            "  + {} more invitations for the claim phase (untimed, {} errors)",
            more.ok, more.errors
        );
        drain_outbox(server).await?;
    }
    let checked = check_pools(server, &window.pools, POOL_SEATS as u64, None).await?;
    Ok((window.result, window.mail_drain, checked))
}

/// What the measured window of assigns left: its figures and the pools it filled.
pub(crate) struct AssignWindow {
    pub(crate) result: PhaseResult,
    /// How long the mailer took, after the window, to send what was still queued.
    pub(crate) mail_drain: Duration,
    pub(crate) pools: Arc<Vec<String>>,
    /// The next seat number to assign.
    pub(crate) next: Arc<AtomicUsize>,
}

impl AssignWindow {
    pub(crate) fn capacity(&self) -> usize {
        self.pools.len() * POOL_SEATS
    }
}

/// Buys the assign phase's pools (for customers named after `label`), runs the measured window of
/// assigns and waits for the mailer to send their invitations.
pub(crate) async fn assign_window(
    config: &Config,
    server: &Arc<Server>,
    product: &str,
    label: &str,
) -> anyhow::Result<AssignWindow> {
    let pools =
        Arc::new(buy_pools(server, product, config.assign_pools(), POOL_SEATS, label).await?);
    let next = Arc::new(AtomicUsize::new(0));
    let capacity = pools.len() * POOL_SEATS;
    let timed = AssignLoad::operation(server, &pools, &next, capacity);
    let result = measured("assign", config, timed).await?;
    let mail_drain = drain_outbox(server).await?;
    let with_mail = result.ok as f64 / (result.window + mail_drain).as_secs_f64().max(1e-9);
    println!(
        "  its invitations: the mailer sent the rest {:.1} s after the window: {with_mail:.0} assignments/s with their emails sent",
        mail_drain.as_secs_f64()
    );
    Ok(AssignWindow {
        result,
        mail_drain,
        pools,
        next,
    })
}

/// Assigns seat number `n` (a shared counter) to `a{n}@assign.bench.example` in pool `n % pools`,
/// until the counter reaches `limit`.
pub(crate) struct AssignLoad {
    pub(crate) server: Arc<Server>,
    pub(crate) pools: Arc<Vec<String>>,
    pub(crate) next: Arc<AtomicUsize>,
    pub(crate) limit: usize,
}

impl AssignLoad {
    /// The load as a `run_load` operation.
    pub(crate) fn operation(
        server: &Arc<Server>,
        pools: &Arc<Vec<String>>,
        next: &Arc<AtomicUsize>,
        limit: usize,
    ) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync + 'static
    {
        let load = Arc::new(Self {
            server: server.clone(),
            pools: pools.clone(),
            next: next.clone(),
            limit,
        });
        move || {
            let load = load.clone();
            Box::pin(async move { load.once().await })
        }
    }

    pub(crate) async fn once(&self) -> Outcome {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let pool = self.pools.get(n % self.pools.len().max(1));
        let Some(subscription) = pool.filter(|_| n < self.limit) else {
            return Outcome::Exhausted;
        };
        let body =
            json!({"subscription_id": subscription, "email": format!("a{n}@{ASSIGN_DOMAIN}")});
        let request = self
            .server
            .client
            .post(self.server.url("/v1/customer-seats"));
        send(request.bearer_auth(&self.server.token).json(&body), 200).await
    }
}

/// Reads a full 100-seat pool.
pub(crate) async fn list_phase(
    config: &Config,
    server: &Arc<Server>,
    product: &str,
) -> anyhow::Result<(PhaseResult, bytes::Bytes, PhaseResult, usize)> {
    let url = list_pool(server, product, "list").await?;
    let body = server
        .client
        .get(&url)
        .bearer_auth(&server.token)
        .send()
        .await?
        .bytes()
        .await?;
    let gzip_bytes = server
        .client
        .get(&url)
        .bearer_auth(&server.token)
        .header("accept-encoding", "gzip, deflate")
        .send()
        .await?
        .bytes()
        .await?
        .len();
    let list = measure_list(config, server, &url).await?;
    let gzip_op = {
        let server = server.clone();
        move || {
            let request = server
                .client
                .get(&url)
                .bearer_auth(&server.token)
                .header("accept-encoding", "gzip, deflate");
            send(request, 200)
        }
    };
    let list_gzip = measured("list, gzip accepted (as the SDK asks)", config, gzip_op).await?;
    Ok((list, body, list_gzip, gzip_bytes))
}

/// Buys a pool of `LIST_POOL_SEATS` seats (for a customer named after `label`) and fills it: the URL
/// that lists it.
pub(crate) async fn list_pool(
    server: &Arc<Server>,
    product: &str,
    label: &str,
) -> anyhow::Result<String> {
    let pools = buy_pools(server, product, 1, LIST_POOL_SEATS, label).await?;
    let subscription = pools
        .first()
        .ok_or_else(|| anyhow!("no list pool"))?
        .clone();
    for i in 0..LIST_POOL_SEATS {
        let (status, error) =
            assign(server, &subscription, &format!("l{i}@list.bench.example")).await?;
        ensure!(status == 200, "list pool assign: {status} {error:?}");
    }
    let (active, total, _) = pool_counts(server, &subscription).await?;
    ensure!(
        active == LIST_POOL_SEATS as u64 && total == LIST_POOL_SEATS as u64,
        "list pool: {active}/{total}"
    );
    Ok(server.url(&format!(
        "/v1/customer-seats?subscription_id={subscription}"
    )))
}

/// The measured window of lists of `url`.
pub(crate) async fn measure_list(
    config: &Config,
    server: &Arc<Server>,
    url: &str,
) -> anyhow::Result<PhaseResult> {
    let op = {
        let (server, url) = (server.clone(), url.to_owned());
        move || send(server.client.get(&url).bearer_auth(&server.token), 200)
    };
    measured("list", config, op).await
}

// ---------------------------------------------------------------------------------------------
// Claim

/// Claims the invitations of the assign phase, each once, with tokens read from the email outbox.
pub(crate) async fn claim_phase(
    config: &Config,
    server: &Arc<Server>,
) -> anyhow::Result<Measured<PhaseResult>> {
    if let Some(reason) = claim_unavailable(server).await? {
        println!("  claim: n/a ({reason})");
        return Ok(Measured::NotAvailable(reason));
    }
    let tokens = match invitation_tokens(&server.database_url, InvitationsOf::Assign).await {
        Ok(tokens) if !tokens.is_empty() => Arc::new(tokens),
        Ok(_) => return Ok(not_available("no invitation tokens in email_outbox")),
        Err(e) => return Ok(not_available(&format!("email_outbox unreadable: {e:#}"))),
    };
    let next = Arc::new(AtomicUsize::new(0));
    let url = server.url("/v1/customer-seats/claim");
    let op = {
        let server = server.clone();
        move || {
            let (client, url, tokens, next) = (
                server.client.clone(),
                url.clone(),
                tokens.clone(),
                next.clone(),
            );
            async move {
                let Some(token) = tokens.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return Outcome::Exhausted;
                };
                send(
                    client.post(url).json(&json!({"invitation_token": token})),
                    200,
                )
                .await
            }
        }
    };
    let result = measured("claim", config, op).await?;
    Ok(Measured::Done(result))
}

pub(crate) fn not_available(reason: &str) -> Measured<PhaseResult> {
    println!("  claim: n/a ({reason})");
    Measured::NotAvailable(reason.to_owned())
}

/// `Some(reason)` when this build has no claim route: a bogus token gets 404/405 instead of 400.
pub(crate) async fn claim_unavailable(server: &Server) -> anyhow::Result<Option<String>> {
    let probe = json!({"invitation_token": "skp_inv_bench_probe"});
    let request = server
        .client
        .post(server.url("/v1/customer-seats/claim"))
        .json(&probe);
    let (status, _) = read_json(request).await?;
    Ok(matches!(status, 404 | 405).then(|| format!("claim not available: POST answers {status}")))
}

/// Invitation tokens from the claim links of the assign phase's emails (untimed, straight SQL).
pub(crate) async fn invitation_tokens(
    database_url: &str,
    of: InvitationsOf,
) -> anyhow::Result<Vec<String>> {
    let query = match of {
        InvitationsOf::Assign => {
            "SELECT text_body FROM email_outbox WHERE to_address LIKE '%@assign.bench.example%'"
        }
        InvitationsOf::Delivery => {
            "SELECT text_body FROM email_outbox WHERE to_address LIKE '%@delivery.bench.example%'"
        }
    };
    let bodies: Vec<String> = column(database_url, query).await?;
    let mut tokens: Vec<String> = bodies.iter().filter_map(|b| claim_token(b)).collect();
    tokens.sort_unstable();
    tokens.dedup();
    Ok(tokens)
}

/// Whose invitations to read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum InvitationsOf {
    /// The assign phase's (`@assign.bench.example`).
    Assign,
    /// The delivery phase's (`@delivery.bench.example`).
    Delivery,
}

/// Waits until the mailer has sent every queued email, and says how long that took: each measured
/// phase after it starts on an idle server, not one still writing an email backlog in the
/// background.
pub(crate) async fn drain_outbox(server: &Server) -> anyhow::Result<Duration> {
    const PATIENCE: Duration = Duration::from_secs(300);
    let started = Instant::now();
    loop {
        let pending: Vec<i64> = column(
            &server.database_url,
            "SELECT count(*) FROM email_outbox WHERE status = 'pending'",
        )
        .await?;
        let pending = pending.first().copied().unwrap_or_default();
        if pending == 0 {
            return Ok(started.elapsed());
        }
        ensure!(
            started.elapsed() < PATIENCE,
            "the mailer still has {pending} emails to send after {} s",
            PATIENCE.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The one column of `query`'s rows, read on a connection of its own (SQLite or PostgreSQL).
async fn column<T>(database_url: &str, query: &'static str) -> anyhow::Result<Vec<T>>
where
    T: Send + Unpin,
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await?;
        let rows = sqlx::query_scalar(query).fetch_all(&mut conn).await?;
        let _ = conn.close().await;
        Ok(rows)
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await?;
        let rows = sqlx::query_scalar(query).fetch_all(&mut conn).await?;
        let _ = conn.close().await;
        Ok(rows)
    }
}

pub(crate) fn claim_token(body: &str) -> Option<String> {
    let start = body.find("token=skp_inv_")? + "token=".len();
    let token: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    Some(token)
}

// ---------------------------------------------------------------------------------------------
// Oversell

/// Capacity checks of the run.
#[derive(Debug, Default)]
pub(crate) struct Oversell {
    /// Rounds of simultaneous assigns into a small pool.
    pub(crate) rounds: usize,
    pub(crate) successes: u64,
    pub(crate) refused: u64,
    pub(crate) errors: u64,
    /// Pools whose `SeatsList` was checked.
    pub(crate) pools_checked: usize,
    /// Seats granted beyond capacity, and every disagreement found.
    pub(crate) oversold: u64,
    pub(crate) problems: Vec<String>,
}

impl Oversell {
    pub(crate) fn absorb(&mut self, other: Oversell) {
        self.rounds += other.rounds;
        self.successes += other.successes;
        self.refused += other.refused;
        self.errors += other.errors;
        self.pools_checked += other.pools_checked;
        self.oversold += other.oversold;
        self.problems.extend(other.problems);
    }

    pub(crate) fn failed(&self) -> bool {
        self.oversold > 0 || !self.problems.is_empty()
    }
}

/// `OVERSELL_ROUNDS` rounds of `OVERSELL_CONCURRENCY` simultaneous assigns into a fresh pool of
/// `OVERSELL_CAPACITY` seats: exactly `OVERSELL_CAPACITY` succeed, the rest are `SeatNotAvailable`.
pub(crate) async fn oversell_phase(
    server: &Arc<Server>,
    product: &str,
) -> anyhow::Result<Oversell> {
    let pools = buy_pools(
        server,
        product,
        OVERSELL_ROUNDS,
        OVERSELL_CAPACITY,
        "oversell",
    )
    .await?;
    let mut tally = Oversell::default();
    for (round, pool) in pools.iter().enumerate() {
        let successes = oversell_round(server, pool, round, &mut tally).await?;
        tally.rounds += 1;
        tally.successes += successes;
    }
    let checked = check_pools(
        server,
        &pools,
        OVERSELL_CAPACITY as u64,
        Some(OVERSELL_CAPACITY as u64),
    )
    .await?;
    tally.absorb(checked);
    println!(
        "  oversell: {} rounds of {OVERSELL_CONCURRENCY} assigns into {OVERSELL_CAPACITY} seats: {} granted, {} refused, {} errors, oversold {}",
        tally.rounds, tally.successes, tally.refused, tally.errors, tally.oversold
    );
    Ok(tally)
}

/// One round; the number of seats granted.
pub(crate) async fn oversell_round(
    server: &Arc<Server>,
    pool: &str,
    round: usize,
    tally: &mut Oversell,
) -> anyhow::Result<u64> {
    let barrier = Arc::new(tokio::sync::Barrier::new(OVERSELL_CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..OVERSELL_CONCURRENCY {
        let (server, pool, barrier) = (server.clone(), pool.to_owned(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            assign(
                &server,
                &pool,
                &format!("o{round}-{i}@oversell.bench.example"),
            )
            .await
        });
    }
    let mut successes = 0;
    while let Some(answer) = tasks.join_next().await {
        match answer? {
            Ok((200, _)) => successes += 1,
            Ok((400, Some(error))) if error == "SeatNotAvailable" => tally.refused += 1,
            Ok(_) | Err(_) => tally.errors += 1,
        }
    }
    if successes > OVERSELL_CAPACITY as u64 {
        tally.oversold += successes - OVERSELL_CAPACITY as u64;
        tally.problems.push(format!(
            "round {round}: {successes} seats granted in a pool of {OVERSELL_CAPACITY}"
        ));
    }
    Ok(successes)
}

/// Each pool's `SeatsList` holds at most `capacity` active seats (exactly `exact` when given), says
/// `total_seats == capacity` and `available_seats == total - active`.
pub(crate) async fn check_pools(
    server: &Server,
    pools: &[String],
    capacity: u64,
    exact: Option<u64>,
) -> anyhow::Result<Oversell> {
    let mut checked = Oversell::default();
    for pool in pools {
        let (active, total, available) = pool_counts(server, pool).await?;
        checked.pools_checked += 1;
        if active > capacity {
            checked.oversold += active - capacity;
        }
        let agrees = total == capacity
            && available == total.saturating_sub(active)
            && exact.is_none_or(|n| active == n);
        if active > capacity || !agrees {
            checked.problems.push(format!(
                "pool {pool}: {active} active seats, total_seats {total}, available_seats {available} (capacity {capacity})"
            ));
        }
    }
    Ok(checked)
}
