//! Load benchmark of the customer-seats API (`make bench`, `cargo bench -p server --bench seats_load`).
//!
//! The real router is served in-process over real HTTP on 127.0.0.1, once per database: SQLite (a
//! temporary file) and PostgreSQL (a fresh `sk_bench_<random>` database, dropped at the end), with
//! the mailer worker running as in `seatkeeper serve` without SMTP (development mailbox). Setup goes
//! through the HTTP API, like a merchant would: an organization (through the service `seatkeeper org
//! create` uses), a seat-based product, checkouts confirmed with `tok_visa`.
//!
//! Phases, each a warm-up and then a fixed measured window at `BENCH_CLIENTS` concurrent clients:
//! - assign: `POST /v1/customer-seats` rotating over many 1,000-seat pools, so capacity is never hit;
//! - list: `GET /v1/customer-seats?subscription_id=` of a full 100-seat pool;
//! - claim: `POST /v1/customer-seats/claim` with invitation tokens read (untimed) from the email
//!   outbox of the assign phase; "n/a" while the claim route does not exist;
//! - oversell: rounds of 64 simultaneous assigns into a 10-seat pool; successes must equal the
//!   capacity and the pool's `SeatsList` must agree. Every assign-phase pool is checked the same way.
//!
//! Reference points measured in the same run: a bare axum `GET /hello` route (same process, same HTTP
//! client), `pgbench` tpcb-like on the same PostgreSQL, and, per database, a bare axum route
//! answering the list's exact body (what moving that many bytes costs without any work). The table (markdown) goes to stdout and to
//! `$CARGO_TARGET_DIR/bench/seats_load.md` (default `target/bench/`). Targets are reported, not
//! asserted: the only failure is an oversell.
//!
//! Environment: `BENCH_SECONDS` (measured seconds per phase, default 10), `BENCH_WARMUP_SECONDS`
//! (default 2), `BENCH_CLIENTS` (default 32), `BENCH_MAX_CONNECTIONS` (server pool size, default 10
//! like `seatkeeper serve`), `TEST_DATABASE_URL` (PostgreSQL admin URL, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; PostgreSQL parts are skipped when unreachable).

use std::{
    fmt::Write as _,
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail, ensure};
use app::{
    model::Slug,
    server::{
        clock::SystemClock,
        service::{CreateOrganization, Services},
        store::{ConnectOptions, Store, connect_and_migrate},
    },
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use server::{
    mailer::{Mailer, Transport},
    startup::{AppState, build_router, serve},
};
use sqlx::{Connection, Executor};

/// The system's limit of seats per pool (`SYSTEM_MAX_SEATS`).
const POOL_SEATS: usize = 1_000;
/// Seats in the pool the list phase reads.
const LIST_POOL_SEATS: usize = 100;
/// The over-subscription phase: this many simultaneous assigns into a pool of `OVERSELL_CAPACITY`.
const OVERSELL_CAPACITY: usize = 10;
const OVERSELL_CONCURRENCY: usize = 64;
const OVERSELL_ROUNDS: usize = 20;
/// Highest assign rate the pools are sized for (per second); beyond it the phase ends early, noted.
const ASSIGN_RATE_CEILING: f64 = 6_000.0;
/// Claims run faster than assigns (about 1.3–1.6× here): the assign phase leaves this many times
/// its rate of invitations so the claim phase has work for its whole window.
const CLAIM_HEADROOM: f64 = 2.0;
/// `pgbench -i -s` scale of the reference run.
const PGBENCH_SCALE: &str = "10";
/// Targets of the issue (reported, not asserted).
const ASSIGN_VS_PGBENCH_TARGET: f64 = 0.5;
const LIST_VS_HELLO_TARGET: f64 = 0.3;
/// Email domains per phase: the claim phase finds the assign phase's invitations by theirs.
const ASSIGN_DOMAIN: &str = "assign.bench.example";

fn main() -> ExitCode {
    // `cargo test --all-targets` (so `make test`) runs this binary too, without `--bench`: it checks
    // the pure helpers and returns at once instead of loading the machine for minutes.
    if !std::env::args().any(|arg| arg == "--bench") {
        return match self_check() {
            Ok(()) => {
                println!("seats_load: self-check passed (the benchmark runs with `make bench`)");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("seats_load self-check failed: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(report) if report.oversold() => {
            eprintln!("FAIL: oversell detected (see the table above)");
            ExitCode::FAILURE
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// What the environment asks for.
#[derive(Clone, Debug)]
struct Config {
    measure: Duration,
    warmup: Duration,
    clients: usize,
    max_connections: u32,
    postgres_admin: String,
}

impl Config {
    fn from_env() -> anyhow::Result<Self> {
        let clients = env_number("BENCH_CLIENTS", 32)?;
        ensure!(clients > 0, "BENCH_CLIENTS must be at least 1");
        Ok(Self {
            measure: Duration::from_secs(env_number("BENCH_SECONDS", 10)?.max(1)),
            warmup: Duration::from_secs(env_number("BENCH_WARMUP_SECONDS", 2)?),
            clients: usize::try_from(clients)?,
            max_connections: u32::try_from(env_number("BENCH_MAX_CONNECTIONS", 10)?.max(1))?,
            postgres_admin: std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
        })
    }

    /// Pools of 1,000 seats the assign phase rotates over: at least two per client, and enough
    /// for `ASSIGN_RATE_CEILING` during warm-up and measurement.
    fn assign_pools(&self) -> usize {
        let seconds = (self.warmup + self.measure).as_secs_f64();
        let needed = (seconds * ASSIGN_RATE_CEILING / POOL_SEATS as f64).ceil() as usize;
        needed.max(2 * self.clients)
    }
}

fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .with_context(|| format!("{name}={value:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

// ---------------------------------------------------------------------------------------------
// The run

async fn run(config: Config) -> anyhow::Result<Report> {
    println!(
        "seats_load: {} clients, {} s warm-up + {} s per phase, server pool {} connections",
        config.clients,
        config.warmup.as_secs(),
        config.measure.as_secs(),
        config.max_connections
    );
    let machine = machine_description();
    println!("{machine}");
    let hello = hello_phase(&config).await?;
    let postgres_up = postgres_reachable(&config.postgres_admin).await;
    let pgbench = match &postgres_up {
        Ok(()) => pgbench_phase(&config).await,
        Err(reason) => Measured::NotAvailable(reason.clone()),
    };
    let sqlite = database_run(&config, DatabaseKind::Sqlite).await?;
    let postgres = match &postgres_up {
        Ok(()) => Some(database_run(&config, DatabaseKind::Postgres).await?),
        Err(reason) => {
            println!("PostgreSQL skipped: {reason}");
            None
        }
    };
    let report = Report {
        config,
        machine,
        hello,
        pgbench,
        sqlite,
        postgres,
    };
    let table = report.render();
    println!("\n{table}");
    write_report(&table)?;
    Ok(report)
}

/// `machine: 2 cores, load average 0.12 0.30 0.25 at start`.
fn machine_description() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("machine: {cores} cores, load average {load} at start")
}

async fn postgres_reachable(admin: &str) -> Result<(), String> {
    match sqlx::PgConnection::connect(admin).await {
        Ok(conn) => {
            let _ = conn.close().await;
            Ok(())
        }
        Err(e) => Err(format!("no PostgreSQL at {admin} ({e})")),
    }
}

fn write_report(table: &str) -> anyhow::Result<()> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("seats_load.md");
    std::fs::write(&path, table).with_context(|| format!("cannot write {}", path.display()))?;
    println!("written to {}", path.display());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The load runner

/// What one operation of a load phase gave.
enum Outcome {
    Ok,
    Error,
    /// Nothing left to do (pools or tokens used up): this client stops.
    Exhausted,
}

/// Throughput and latencies of one measured window.
#[derive(Debug, Default)]
struct PhaseResult {
    ok: u64,
    errors: u64,
    window: Duration,
    /// Latencies of the successful operations in the window, sorted.
    latencies: Vec<Duration>,
    /// Why the window ended early, when it did.
    note: Option<String>,
}

impl PhaseResult {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// Nearest-rank percentile.
    fn percentile(&self, p: f64) -> Option<Duration> {
        let n = self.latencies.len();
        if n == 0 {
            return None;
        }
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
        self.latencies.get(rank - 1).copied()
    }
}

/// What each client gathered.
#[derive(Default)]
struct ClientTally {
    ok: u64,
    errors: u64,
    latencies: Vec<Duration>,
    stopped: Option<Instant>,
}

/// Runs `op` from `clients` concurrent tasks for `warmup + measure`; counts what starts after the
/// warm-up and ends before the deadline. Prints nothing: see [`measured`].
async fn run_load<F, Fut>(
    clients: usize,
    warmup: Duration,
    measure: Duration,
    op: F,
) -> anyhow::Result<PhaseResult>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let measure_from = start + warmup;
    let deadline = measure_from + measure;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let op = op.clone();
        tasks.spawn(async move { client_loop(op.as_ref(), measure_from, deadline).await });
    }
    let mut result = PhaseResult::default();
    let mut last_stop = measure_from;
    let mut exhausted = false;
    while let Some(tally) = tasks.join_next().await {
        let tally = tally.context("a client task failed")?;
        result.ok += tally.ok;
        result.errors += tally.errors;
        result.latencies.extend(tally.latencies);
        match tally.stopped {
            Some(at) => {
                exhausted = true;
                last_stop = last_stop.max(at);
            }
            None => last_stop = deadline,
        }
    }
    result.latencies.sort_unstable();
    result.window = last_stop
        .min(deadline)
        .saturating_duration_since(measure_from);
    if exhausted && last_stop < deadline {
        result.note = Some(format!(
            "ran out of work after {:.1} s",
            result.window.as_secs_f64()
        ));
    }
    Ok(result)
}

/// Runs a measured phase and prints its one-line summary.
async fn measured<F, Fut>(name: &str, config: &Config, op: F) -> anyhow::Result<PhaseResult>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let result = run_load(config.clients, config.warmup, config.measure, op).await?;
    let note = result
        .note
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    println!(
        "  {name}: {:.0} ops/s, p50 {} ms, p99 {} ms, {} ok, {} errors{note}",
        result.rate(),
        millis(result.percentile(0.50)),
        millis(result.percentile(0.99)),
        result.ok,
        result.errors,
    );
    Ok(result)
}

async fn client_loop<F, Fut>(op: &F, measure_from: Instant, deadline: Instant) -> ClientTally
where
    F: Fn() -> Fut,
    Fut: Future<Output = Outcome>,
{
    let mut tally = ClientTally::default();
    loop {
        let began = Instant::now();
        if began >= deadline {
            return tally;
        }
        let outcome = op().await;
        let ended = Instant::now();
        let counted = began >= measure_from && ended <= deadline;
        match outcome {
            Outcome::Ok if counted => {
                tally.ok += 1;
                tally.latencies.push(ended - began);
            }
            Outcome::Error if counted => tally.errors += 1,
            Outcome::Ok | Outcome::Error => {}
            Outcome::Exhausted => {
                tally.stopped = Some(ended);
                return tally;
            }
        }
    }
}

/// Sends a request and reads the whole body (so the connection is reused); `Ok` on `expected`.
async fn send(request: reqwest::RequestBuilder, expected: u16) -> Outcome {
    let Ok(response) = request.send().await else {
        return Outcome::Error;
    };
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(_) if status == expected => Outcome::Ok,
        _ => Outcome::Error,
    }
}

fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

// ---------------------------------------------------------------------------------------------
// Reference: a bare axum route

async fn hello_phase(config: &Config) -> anyhow::Result<PhaseResult> {
    println!("reference: bare axum GET /hello");
    bare_route_phase(config, "hello", bytes::Bytes::from_static(b"hello")).await
}

/// A bare axum route (no middleware, no database) answering `body`, under the same load.
async fn bare_route_phase(
    config: &Config,
    name: &str,
    body: bytes::Bytes,
) -> anyhow::Result<PhaseResult> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = axum::Router::new().route(
        "/hello",
        axum::routing::get(move || {
            let body = body.clone();
            async move { body }
        }),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    let client = http_client()?;
    let url = format!("http://{address}/hello");
    let result = measured(name, config, move || send(client.get(&url), 200)).await;
    let _ = stop.send(());
    server.await??;
    result
}

// ---------------------------------------------------------------------------------------------
// Reference: pgbench

/// pgbench's own figures.
#[derive(Debug)]
struct Pgbench {
    tps: f64,
    latency_average_ms: Option<f64>,
}

/// A phase that may not be measurable on this machine or branch.
#[derive(Debug)]
enum Measured<T> {
    Done(T),
    NotAvailable(String),
}

async fn pgbench_phase(config: &Config) -> Measured<Pgbench> {
    println!("reference: pgbench tpcb-like");
    let database = match BenchDatabase::create(&config.postgres_admin, "sk_bench_pgbench").await {
        Ok(database) => database,
        Err(e) => return Measured::NotAvailable(format!("{e:#}")),
    };
    let url = database.url.clone();
    let clients = config.clients.to_string();
    let seconds = config.measure.as_secs().to_string();
    let outcome = tokio::task::spawn_blocking(move || run_pgbench(&url, &clients, &seconds)).await;
    database.drop_database().await;
    match outcome {
        Ok(Ok(pgbench)) => {
            println!("  pgbench: {:.0} tps", pgbench.tps);
            Measured::Done(pgbench)
        }
        Ok(Err(e)) => Measured::NotAvailable(format!("{e:#}")),
        Err(e) => Measured::NotAvailable(format!("pgbench task failed: {e}")),
    }
}

fn run_pgbench(url: &str, clients: &str, seconds: &str) -> anyhow::Result<Pgbench> {
    pgbench(&["-i", "-q", "-s", PGBENCH_SCALE, url])?;
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let threads = threads.to_string();
    let output = pgbench(&[
        "-c",
        clients,
        "-j",
        &threads,
        "-T",
        seconds,
        "-b",
        "tpcb-like",
        url,
    ])?;
    parse_pgbench(&output)
}

fn pgbench(args: &[&str]) -> anyhow::Result<String> {
    let output = std::process::Command::new("pgbench")
        .args(args)
        .output()
        .context("cannot run pgbench (is it installed?)")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "pgbench {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(stdout)
}

/// Reads `tps = 1234.5 (without initial connection time)` and `latency average = 25.9 ms`.
fn parse_pgbench(output: &str) -> anyhow::Result<Pgbench> {
    let number_after = |prefix: &str| {
        output.lines().find_map(|line| {
            line.trim()
                .strip_prefix(prefix)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
        })
    };
    let tps = number_after("tps = ").ok_or_else(|| anyhow!("no `tps = ` in pgbench output"))?;
    Ok(Pgbench {
        tps,
        latency_average_ms: number_after("latency average = "),
    })
}

// ---------------------------------------------------------------------------------------------
// Databases

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A PostgreSQL database made for the run.
struct BenchDatabase {
    admin: String,
    name: String,
    url: String,
}

impl BenchDatabase {
    async fn create(admin: &str, prefix: &str) -> anyhow::Result<Self> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .with_context(|| format!("cannot connect to {admin}"))?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let _ = conn.close().await;
        Ok(Self {
            url: replace_database(admin, &name),
            admin: admin.to_owned(),
            name,
        })
    }

    async fn drop_database(self) {
        let dropped = async {
            let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .await?;
            conn.close().await
        };
        if let Err(e) = dropped.await {
            eprintln!("warning: could not drop database {}: {e}", self.name);
        }
    }
}

/// `postgres://u@h:p/old?x` → `postgres://u@h:p/new?x`.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{database}?{q}"),
        None => format!("{root}/{database}"),
    }
}

/// Where a run's data lives; removed afterwards.
enum RunDatabase {
    Sqlite(tempfile::TempDir),
    Postgres(BenchDatabase),
}

impl RunDatabase {
    async fn create(config: &Config, kind: DatabaseKind) -> anyhow::Result<(Self, String)> {
        match kind {
            DatabaseKind::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("seatkeeper.db").display());
                Ok((Self::Sqlite(dir), url))
            }
            DatabaseKind::Postgres => {
                let database = BenchDatabase::create(&config.postgres_admin, "sk_bench").await?;
                let url = database.url.clone();
                Ok((Self::Postgres(database), url))
            }
        }
    }

    async fn remove(self) {
        match self {
            Self::Sqlite(dir) => drop(dir),
            Self::Postgres(database) => database.drop_database().await,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test

/// The real router on a fresh database, with an organization to act as.
struct Server {
    base: String,
    client: reqwest::Client,
    token: String,
    database_url: String,
}

/// What stops a [`Server`]: the HTTP server, then the mailer, then the database pool.
struct ServerHandle {
    store: Arc<dyn Store>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop_mailer: tokio::sync::watch::Sender<bool>,
    mailer: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    async fn shut_down(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        let _ = self.stop_mailer.send(true);
        self.mailer.await?;
        self.store.close().await;
        Ok(())
    }
}

impl Server {
    async fn start(
        config: &Config,
        database_url: &str,
    ) -> anyhow::Result<(Arc<Self>, ServerHandle)> {
        let options = ConnectOptions {
            max_connections: config.max_connections,
            ..ConnectOptions::default()
        };
        let store = connect_and_migrate(database_url, &options).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let services = Services::new(store.clone(), Arc::new(SystemClock), base_url(address));
        let token = create_organization(&services).await?;
        let state = AppState {
            leptos_options: server::config::leptos_options(String::new(), address),
            services: services.clone(),
            test_clock: None,
            dev_mailbox: true,
        };
        // As `seatkeeper serve` without `--smtp-url`: the mailer marks emails sent to the
        // development mailbox, which keeps their bodies (the claim phase reads its tokens there).
        let (stop_mailer, mailer_stopped) = tokio::sync::watch::channel(false);
        let mailer = tokio::spawn(Mailer::new(services, Transport::DevMailbox).run(mailer_stopped));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, build_router(state), shutdown, 5));
        let server = Self {
            base: base_url(address),
            client: http_client()?,
            token,
            database_url: database_url.to_owned(),
        };
        let handle = ServerHandle {
            store,
            stop,
            task,
            stop_mailer,
            mailer,
        };
        Ok((Arc::new(server), handle))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let request = self.client.post(self.url(path)).bearer_auth(&self.token);
        read_json(request.json(body)).await
    }

    async fn get(&self, path: &str) -> anyhow::Result<(u16, Value)> {
        read_json(self.client.get(self.url(path)).bearer_auth(&self.token)).await
    }
}

fn base_url(address: SocketAddr) -> String {
    format!("http://{address}")
}

/// An organization and its all-scopes token, through the service `seatkeeper org create` uses.
async fn create_organization(services: &Services) -> anyhow::Result<String> {
    let created = services
        .create_organization(CreateOrganization {
            name: "Bench Inc".to_owned(),
            slug: Slug::parse("bench").map_err(|e| anyhow!("slug: {e:?}"))?,
            email: None,
        })
        .await
        .map_err(|e| anyhow!("cannot create the organization: {e:?}"))?;
    Ok(created.access_token.expose_secret().to_owned())
}

async fn read_json(request: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, body))
}

fn id_of(body: &Value, field: &str) -> anyhow::Result<String> {
    body[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no `{field}` in {body}"))
}

/// A seat-based product priced $10 a seat, a month, up to the system's 1,000 seats per pool.
async fn create_product(server: &Server) -> anyhow::Result<String> {
    let product = json!({
        "name": "Bench plan",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (status, body) = server.post("/v1/products", &product).await?;
    ensure!(status == 201 || status == 200, "product: {status} {body}");
    id_of(&body, "id")
}

/// Buys `seats` seats for `customer_email` (checkout, confirm with `tok_visa`): the subscription id.
async fn buy(
    server: &Server,
    product: &str,
    seats: usize,
    customer_email: &str,
) -> anyhow::Result<String> {
    let body = json!({"products": [product], "seats": seats, "customer_email": customer_email});
    let (status, checkout) = server.post("/v1/checkouts", &body).await?;
    ensure!(status == 201, "checkout: {status} {checkout}");
    let path = format!(
        "/v1/checkouts/client/{}",
        id_of(&checkout, "client_secret")?
    );
    let confirm = json!({"confirmation_token_id": "tok_visa"});
    let (status, confirmed) = read_json(
        server
            .client
            .post(server.url(&format!("{path}/confirm")))
            .json(&confirm),
    )
    .await?;
    ensure!(status == 200, "confirm: {status} {confirmed}");
    let (status, paid) = read_json(server.client.get(server.url(&path))).await?;
    ensure!(status == 200, "checkout after confirm: {status} {paid}");
    id_of(&paid, "subscription_id")
}

/// `count` pools of `seats` seats, each bought by its own billing customer.
async fn buy_pools(
    server: &Arc<Server>,
    product: &str,
    count: usize,
    seats: usize,
    label: &str,
) -> anyhow::Result<Vec<String>> {
    let mut pools = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(8) {
        let mut tasks = tokio::task::JoinSet::new();
        for &k in chunk {
            let server = server.clone();
            let product = product.to_owned();
            let email = format!("billing-{label}-{k}@customers.bench.example");
            tasks.spawn(async move { buy(&server, &product, seats, &email).await });
        }
        while let Some(pool) = tasks.join_next().await {
            pools.push(pool??);
        }
    }
    Ok(pools)
}

/// One assign; the status and the error name when there is one.
async fn assign(
    server: &Server,
    subscription: &str,
    email: &str,
) -> anyhow::Result<(u16, Option<String>)> {
    let body = json!({"subscription_id": subscription, "email": email});
    let (status, answer) = server.post("/v1/customer-seats", &body).await?;
    Ok((status, answer["error"].as_str().map(str::to_owned)))
}

/// The pool's `SeatsList`: seats in the list that hold capacity, `total_seats`, `available_seats`.
async fn pool_counts(server: &Server, subscription: &str) -> anyhow::Result<(u64, u64, u64)> {
    let (status, list) = server
        .get(&format!(
            "/v1/customer-seats?subscription_id={subscription}"
        ))
        .await?;
    ensure!(status == 200, "list: {status} {list}");
    let active = list["seats"]
        .as_array()
        .ok_or_else(|| anyhow!("no seats in {list}"))?
        .iter()
        .filter(|s| s["status"] == "pending" || s["status"] == "claimed")
        .count() as u64;
    let total = list["total_seats"].as_u64().unwrap_or_default();
    let available = list["available_seats"].as_u64().unwrap_or_default();
    Ok((active, total, available))
}

// ---------------------------------------------------------------------------------------------
// One database

/// Everything measured on one database.
struct DatabaseRun {
    kind: DatabaseKind,
    assign: PhaseResult,
    list: PhaseResult,
    /// A bare axum route answering the list's exact body: what the transport alone allows.
    list_body: PhaseResult,
    list_body_bytes: usize,
    claim: Measured<PhaseResult>,
    oversell: Oversell,
}

async fn database_run(config: &Config, kind: DatabaseKind) -> anyhow::Result<DatabaseRun> {
    println!("{}:", kind.name());
    let (database, url) = RunDatabase::create(config, kind).await?;
    let outcome = measure_database(config, kind, &url).await;
    database.remove().await;
    outcome
}

async fn measure_database(
    config: &Config,
    kind: DatabaseKind,
    url: &str,
) -> anyhow::Result<DatabaseRun> {
    let (server, handle) = Server::start(config, url).await?;
    let phases = async {
        let product = create_product(&server).await?;
        let (assign, mut oversell) = assign_phase(config, &server, &product).await?;
        let (list, body) = list_phase(config, &server, &product).await?;
        println!(
            "  reference: a bare axum route answering the list's {} bytes",
            body.len()
        );
        let list_body_bytes = body.len();
        let list_body = bare_route_phase(config, "same body", body).await?;
        let claim = claim_phase(config, &server).await?;
        oversell.absorb(oversell_phase(&server, &product).await?);
        anyhow::Ok(DatabaseRun {
            kind,
            assign,
            list,
            list_body,
            list_body_bytes,
            claim,
            oversell,
        })
    };
    let outcome = phases.await;
    handle.shut_down().await?;
    outcome
}

/// Assigns rotating over many 1,000-seat pools, then (untimed) enough further invitations for the
/// claim phase; afterwards every pool's counts are checked.
async fn assign_phase(
    config: &Config,
    server: &Arc<Server>,
    product: &str,
) -> anyhow::Result<(PhaseResult, Oversell)> {
    let pools =
        Arc::new(buy_pools(server, product, config.assign_pools(), POOL_SEATS, "assign").await?);
    let next = Arc::new(AtomicUsize::new(0));
    let capacity = pools.len() * POOL_SEATS;
    let timed = AssignLoad::operation(server, &pools, &next, capacity);
    let result = measured("assign", config, timed).await?;
    let phase_seconds = (config.warmup + config.measure).as_secs_f64();
    let wanted = (result.rate() * CLAIM_HEADROOM * phase_seconds).ceil() as usize;
    if wanted > next.load(Ordering::Relaxed) {
        let top_up = AssignLoad::operation(server, &pools, &next, wanted.min(capacity));
        let (no_warmup, at_most) = (Duration::ZERO, Duration::from_secs(120));
        let more = run_load(config.clients, no_warmup, at_most, top_up).await?;
        println!(
            "  + {} more invitations for the claim phase (untimed, {} errors)",
            more.ok, more.errors
        );
    }
    let checked = check_pools(server, &pools, POOL_SEATS as u64, None).await?;
    Ok((result, checked))
}

/// Assigns seat number `n` (a shared counter) to `a{n}@assign.bench.example` in pool `n % pools`,
/// until the counter reaches `limit`.
struct AssignLoad {
    server: Arc<Server>,
    pools: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    limit: usize,
}

impl AssignLoad {
    /// The load as a `run_load` operation.
    fn operation(
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

    async fn once(&self) -> Outcome {
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
async fn list_phase(
    config: &Config,
    server: &Arc<Server>,
    product: &str,
) -> anyhow::Result<(PhaseResult, bytes::Bytes)> {
    let pools = buy_pools(server, product, 1, LIST_POOL_SEATS, "list").await?;
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
    let url = server.url(&format!(
        "/v1/customer-seats?subscription_id={subscription}"
    ));
    let body = server
        .client
        .get(&url)
        .bearer_auth(&server.token)
        .send()
        .await?
        .bytes()
        .await?;
    let op = {
        let server = server.clone();
        move || send(server.client.get(&url).bearer_auth(&server.token), 200)
    };
    Ok((measured("list", config, op).await?, body))
}

// ---------------------------------------------------------------------------------------------
// Claim

/// Claims the invitations of the assign phase, each once, with tokens read from the email outbox.
async fn claim_phase(
    config: &Config,
    server: &Arc<Server>,
) -> anyhow::Result<Measured<PhaseResult>> {
    if let Some(reason) = claim_unavailable(server).await? {
        println!("  claim: n/a ({reason})");
        return Ok(Measured::NotAvailable(reason));
    }
    let tokens = match invitation_tokens(&server.database_url).await {
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

fn not_available(reason: &str) -> Measured<PhaseResult> {
    println!("  claim: n/a ({reason})");
    Measured::NotAvailable(reason.to_owned())
}

/// `Some(reason)` when this build has no claim route: a bogus token gets 404/405 instead of 400.
async fn claim_unavailable(server: &Server) -> anyhow::Result<Option<String>> {
    let probe = json!({"invitation_token": "skp_inv_bench_probe"});
    let request = server
        .client
        .post(server.url("/v1/customer-seats/claim"))
        .json(&probe);
    let (status, _) = read_json(request).await?;
    Ok(matches!(status, 404 | 405).then(|| format!("claim not available: POST answers {status}")))
}

/// Invitation tokens from the claim links of the assign phase's emails (untimed, straight SQL).
async fn invitation_tokens(database_url: &str) -> anyhow::Result<Vec<String>> {
    const QUERY: &str =
        "SELECT text_body FROM email_outbox WHERE to_address LIKE '%@assign.bench.example%'";
    let bodies: Vec<String> = if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await?;
        let bodies = sqlx::query_scalar(QUERY).fetch_all(&mut conn).await?;
        let _ = conn.close().await;
        bodies
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await?;
        let bodies = sqlx::query_scalar(QUERY).fetch_all(&mut conn).await?;
        let _ = conn.close().await;
        bodies
    };
    let mut tokens: Vec<String> = bodies.iter().filter_map(|b| claim_token(b)).collect();
    tokens.sort_unstable();
    tokens.dedup();
    Ok(tokens)
}

/// The token of a claim link `.../portal/claim?token=skp_inv_...` in an email body.
fn claim_token(body: &str) -> Option<String> {
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
struct Oversell {
    /// Rounds of simultaneous assigns into a small pool.
    rounds: usize,
    successes: u64,
    refused: u64,
    errors: u64,
    /// Pools whose `SeatsList` was checked.
    pools_checked: usize,
    /// Seats granted beyond capacity, and every disagreement found.
    oversold: u64,
    problems: Vec<String>,
}

impl Oversell {
    fn absorb(&mut self, other: Oversell) {
        self.rounds += other.rounds;
        self.successes += other.successes;
        self.refused += other.refused;
        self.errors += other.errors;
        self.pools_checked += other.pools_checked;
        self.oversold += other.oversold;
        self.problems.extend(other.problems);
    }

    fn failed(&self) -> bool {
        self.oversold > 0 || !self.problems.is_empty()
    }
}

/// `OVERSELL_ROUNDS` rounds of `OVERSELL_CONCURRENCY` simultaneous assigns into a fresh pool of
/// `OVERSELL_CAPACITY` seats: exactly `OVERSELL_CAPACITY` succeed, the rest are `SeatNotAvailable`.
async fn oversell_phase(server: &Arc<Server>, product: &str) -> anyhow::Result<Oversell> {
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
async fn oversell_round(
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
async fn check_pools(
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

// ---------------------------------------------------------------------------------------------
// The report

struct Report {
    config: Config,
    /// Cores and load when the run started (figures from a busy machine are lower).
    machine: String,
    hello: PhaseResult,
    pgbench: Measured<Pgbench>,
    sqlite: DatabaseRun,
    postgres: Option<DatabaseRun>,
}

impl Report {
    fn runs(&self) -> impl Iterator<Item = &DatabaseRun> {
        std::iter::once(&self.sqlite).chain(self.postgres.as_ref())
    }

    fn oversold(&self) -> bool {
        self.runs().any(|run| run.oversell.failed())
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## seats_load: {} clients, {} s measured after {} s warm-up per phase, server pool {}\n",
            self.config.clients,
            self.config.measure.as_secs(),
            self.config.warmup.as_secs(),
            self.config.max_connections
        );
        let _ = writeln!(out, "{}\n", self.machine);
        out.push_str("| database | phase | ops/s | p50 ms | p99 ms | ok | errors | note |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---|\n");
        for run in self.runs() {
            let name = run.kind.name();
            row(&mut out, name, "assign (1,000-seat pools)", &run.assign);
            row(&mut out, name, "list (100-seat pool)", &run.list);
            let bare = format!(
                "reference: bare axum route answering the list's {} bytes",
                run.list_body_bytes
            );
            row(&mut out, name, &bare, &run.list_body);
            match &run.claim {
                Measured::Done(claim) => row(&mut out, name, "claim", claim),
                Measured::NotAvailable(reason) => {
                    let _ = writeln!(out, "| {name} | claim | n/a | | | | | {reason} |");
                }
            }
        }
        if self.postgres.is_none() {
            out.push_str("| PostgreSQL | all | skipped | | | | | no PostgreSQL reachable |\n");
        }
        row(&mut out, "reference", "bare axum GET /hello", &self.hello);
        self.render_pgbench(&mut out);
        self.render_ratios(&mut out);
        self.render_oversell(&mut out);
        out
    }

    fn render_pgbench(&self, out: &mut String) {
        match &self.pgbench {
            Measured::Done(p) => {
                let latency = p
                    .latency_average_ms
                    .map(|ms| format!("latency average {ms:.2} ms"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| reference | pgbench tpcb-like (-s {PGBENCH_SCALE}, -c {}) | {:.0} | | | | | tps; {latency} |",
                    self.config.clients, p.tps
                );
            }
            Measured::NotAvailable(reason) => {
                let _ = writeln!(
                    out,
                    "| reference | pgbench tpcb-like | n/a | | | | | {reason} |"
                );
            }
        }
    }

    fn render_ratios(&self, out: &mut String) {
        out.push_str("\n| ratio | value | target | result |\n|---|---:|---:|---|\n");
        let pg_assign = self.postgres.as_ref().map(|run| run.assign.rate());
        let pgbench = match &self.pgbench {
            Measured::Done(p) => Some(p.tps),
            Measured::NotAvailable(_) => None,
        };
        ratio_row(
            out,
            "assign PostgreSQL / pgbench TPS",
            pg_assign.zip(pgbench).map(|(a, b)| a / b),
            ASSIGN_VS_PGBENCH_TARGET,
        );
        let hello = self.hello.rate();
        for run in self.runs() {
            ratio_row(
                out,
                &format!("list {} / hello RPS", run.kind.name()),
                Some(run.list.rate() / hello.max(1e-9)),
                LIST_VS_HELLO_TARGET,
            );
        }
        for run in self.runs() {
            let _ = writeln!(
                out,
                "| list {} / bare route with the same body (no target: how close to the transport) | {:.2} | | |",
                run.kind.name(),
                run.list.rate() / run.list_body.rate().max(1e-9)
            );
        }
    }

    fn render_oversell(&self, out: &mut String) {
        let total: u64 = self.runs().map(|run| run.oversell.oversold).sum();
        let _ = writeln!(out, "\noversell: {total}");
        for run in self.runs() {
            let o = &run.oversell;
            let _ = writeln!(
                out,
                "- {}: {} rounds of {OVERSELL_CONCURRENCY} simultaneous assigns into {OVERSELL_CAPACITY}-seat pools: {} granted, {} refused (SeatNotAvailable), {} other errors; {} pools' SeatsList checked (total/available agree: {})",
                run.kind.name(),
                o.rounds,
                o.successes,
                o.refused,
                o.errors,
                o.pools_checked,
                if o.problems.is_empty() { "yes" } else { "NO" }
            );
            for problem in &o.problems {
                let _ = writeln!(out, "  - {problem}");
            }
        }
    }
}

/// Milliseconds with two decimals; empty when there is nothing to show.
fn millis(duration: Option<Duration>) -> String {
    duration.map_or_else(String::new, |d| format!("{:.2}", d.as_secs_f64() * 1e3))
}

fn row(out: &mut String, database: &str, phase: &str, result: &PhaseResult) {
    let _ = writeln!(
        out,
        "| {database} | {phase} | {:.0} | {} | {} | {} | {} | {} |",
        result.rate(),
        millis(result.percentile(0.50)),
        millis(result.percentile(0.99)),
        result.ok,
        result.errors,
        result.note.as_deref().unwrap_or_default()
    );
}

fn ratio_row(out: &mut String, name: &str, value: Option<f64>, target: f64) {
    let (value, result) = match value {
        Some(v) => (format!("{v:.2}"), if v >= target { "PASS" } else { "FAIL" }),
        None => ("n/a".to_owned(), "n/a"),
    };
    let _ = writeln!(out, "| {name} | {value} | ≥ {target} | {result} |");
}

// ---------------------------------------------------------------------------------------------
// Self-check (what `cargo test` runs)

fn self_check() -> anyhow::Result<()> {
    let output = "number of transactions actually processed: 9000\n\
                  latency average = 35.512 ms\n\
                  initial connection time = 21.503 ms\n\
                  tps = 901.108183 (without initial connection time)\n";
    let parsed = parse_pgbench(output)?;
    ensure!(parsed.tps == 901.108183, "tps parsed as {}", parsed.tps);
    ensure!(
        parsed.latency_average_ms == Some(35.512),
        "latency {parsed:?}"
    );
    ensure!(
        parse_pgbench("no figures").is_err(),
        "a run without tps is an error"
    );

    let body = "Claim it: http://127.0.0.1:3000/portal/claim?token=skp_inv_Ab-9_z.\nThanks";
    ensure!(
        claim_token(body).as_deref() == Some("skp_inv_Ab-9_z"),
        "token of {body:?}"
    );
    ensure!(claim_token("no link").is_none(), "no token without a link");

    let result = PhaseResult {
        ok: 4,
        window: Duration::from_secs(2),
        latencies: (1..=100).map(Duration::from_millis).collect(),
        ..PhaseResult::default()
    };
    ensure!(result.rate() == 2.0, "rate {}", result.rate());
    ensure!(
        result.percentile(0.50) == Some(Duration::from_millis(50)),
        "p50"
    );
    ensure!(
        result.percentile(0.99) == Some(Duration::from_millis(99)),
        "p99"
    );
    ensure!(
        PhaseResult::default().percentile(0.5).is_none(),
        "no latencies, no p50"
    );

    ensure!(
        replace_database("postgres://u:p@h:5/postgres?sslmode=disable", "x")
            == "postgres://u:p@h:5/x?sslmode=disable",
        "replace_database keeps credentials and options"
    );
    Ok(())
}
