//! Cost at scale: the real `seatkeeper serve` binary, in a process of its own, measured on an empty
//! database and again after `seatkeeper dev seed` has written `BENCH_SCALE_POOLS` pools (default
//! 100,000) of `BENCH_SCALE_SEATS` seats (default 10) into the same organization. The same assign
//! and list phases run before and after; the database's size on disk and the server's peak resident
//! memory (`VmHWM` of `/proc/<pid>/status`, which the kernel keeps) are read at the end.

use std::process::Stdio;

use tokio::process::{Child, Command};

use super::*;

/// The phases of one database, empty and seeded.
pub(crate) struct ScaleRun {
    pub(crate) kind: DatabaseKind,
    /// `GET /healthz` of the same server process: the out-of-process reference for its list.
    pub(crate) healthz: PhaseResult,
    pub(crate) empty: ScalePhases,
    pub(crate) seeded: ScalePhases,
    /// What `dev seed` printed (`counts`, `seconds`).
    pub(crate) seed: Value,
    pub(crate) database_bytes: u64,
    /// Peak resident memory of the server process, in KiB, after the empty phases and at the end.
    pub(crate) peak_rss_empty_kib: u64,
    pub(crate) peak_rss_kib: u64,
}

pub(crate) struct ScalePhases {
    pub(crate) assign: PhaseResult,
    pub(crate) list: PhaseResult,
}

pub(crate) async fn scale_run(config: &Config, kind: DatabaseKind) -> anyhow::Result<ScaleRun> {
    println!(
        "{} at scale ({} pools of {} seats seeded between two measurements):",
        kind.name(),
        config.scale_pools,
        config.scale_seats
    );
    let (database, url) = RunDatabase::create(config, kind).await?;
    let outcome = measure_scale(config, kind, &url).await;
    database.remove().await;
    outcome
}

async fn measure_scale(config: &Config, kind: DatabaseKind, url: &str) -> anyhow::Result<ScaleRun> {
    let created = seatkeeper_json(&[
        "org",
        "create",
        "--name",
        "Bench Inc",
        "--slug",
        "bench",
        "--json",
        "--database-url",
        url,
    ])
    .await?;
    let token = created["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("no token in {created}"))?
        .to_owned();
    let child = ServerProcess::start(config, url).await?;
    let server = Arc::new(Server {
        base: base_url(child.address),
        client: http_client()?,
        token,
        database_url: url.to_owned(),
    });
    let outcome = async {
        let product = create_product(&server).await?;
        let healthz = {
            let (server, url) = (server.clone(), server.url("/healthz"));
            measured("healthz", config, move || {
                send(server.client.get(&url), 200)
            })
            .await?
        };
        let empty = scale_phases(config, &server, &product, "empty").await?;
        let peak_rss_empty_kib = child.peak_rss_kib()?;
        let started = Instant::now();
        let seed = seatkeeper_json(&[
            "dev",
            "seed",
            "--organization",
            "bench",
            "--pools",
            &config.scale_pools.to_string(),
            "--seats-per-pool",
            &config.scale_seats.to_string(),
            "--json",
            "--database-url",
            url,
        ])
        .await?;
        println!(
            "  seeded in {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            seed["counts"]
        );
        let seeded = scale_phases(config, &server, &product, "seeded").await?;
        let peak_rss_kib = child.peak_rss_kib()?;
        let database_bytes = database_size(kind, url).await?;
        anyhow::Ok(ScaleRun {
            kind,
            healthz,
            empty,
            seeded,
            seed,
            database_bytes,
            peak_rss_empty_kib,
            peak_rss_kib,
        })
    }
    .await;
    child.stop().await;
    outcome
}

/// The assign and list phases, on pools bought for customers named after `label`.
async fn scale_phases(
    config: &Config,
    server: &Arc<Server>,
    product: &str,
    label: &str,
) -> anyhow::Result<ScalePhases> {
    println!("  {label} database:");
    let window = assign_window(config, server, product, &format!("assign-{label}")).await?;
    let checked = check_pools(server, &window.pools, POOL_SEATS as u64, None).await?;
    ensure!(
        !checked.failed(),
        "oversell at scale: {:?}",
        checked.problems
    );
    let url = list_pool(server, product, &format!("list-{label}")).await?;
    let list = measure_list(config, server, &url).await?;
    Ok(ScalePhases {
        assign: window.result,
        list,
    })
}

/// `seatkeeper serve` on `url`: the mailer sends to the development mailbox, no rate limit (every
/// request comes from one address), warnings only in its log.
struct ServerProcess {
    child: Child,
    pid: u32,
    address: SocketAddr,
}

impl ServerProcess {
    async fn start(config: &Config, url: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let child = seatkeeper()
            .args(["serve", "--dev-mailbox", "--rate-limit", "0"])
            .args(["--bind", &address.to_string(), "--database-url", url])
            .args(["--max-connections", &config.max_connections.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start seatkeeper serve")?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow!("the server exited at once"))?;
        let server = Self {
            child,
            pid,
            address,
        };
        let client = http_client()?;
        let health = format!("{}/healthz", base_url(address));
        let started = Instant::now();
        loop {
            if let Ok(response) = client.get(&health).send().await
                && response.status().is_success()
            {
                return Ok(server);
            }
            ensure!(
                started.elapsed() < Duration::from_secs(60),
                "seatkeeper serve did not answer /healthz within a minute"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The process's peak resident memory so far (KiB).
    fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("no VmHWM in /proc/{}/status", self.pid))
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn seatkeeper() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_seatkeeper"));
    command
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1");
    command
}

/// Runs a `seatkeeper` command that prints one JSON object.
async fn seatkeeper_json(args: &[&str]) -> anyhow::Result<Value> {
    let output = seatkeeper()
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .await
        .with_context(|| format!("cannot run seatkeeper {}", args[..2].join(" ")))?;
    ensure!(
        output.status.success(),
        "seatkeeper {} failed ({})",
        args[..2].join(" "),
        output.status
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Bytes the database takes on disk: SQLite's file with its WAL, PostgreSQL's database.
async fn database_size(kind: DatabaseKind, url: &str) -> anyhow::Result<u64> {
    match kind {
        DatabaseKind::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            let mut bytes = 0;
            for suffix in ["", "-wal", "-shm"] {
                if let Ok(meta) = std::fs::metadata(format!("{path}{suffix}")) {
                    bytes += meta.len();
                }
            }
            Ok(bytes)
        }
        DatabaseKind::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(&mut conn)
                .await?;
            let _ = conn.close().await;
            Ok(u64::try_from(size)?)
        }
    }
}
