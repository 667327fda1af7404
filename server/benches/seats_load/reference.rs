//! The reference points: a bare axum route (hello, or a given body) and pgbench on the same PostgreSQL.

use super::*;

// ---------------------------------------------------------------------------------------------
// Reference: a bare axum route

pub(crate) async fn hello_phase(config: &Config) -> anyhow::Result<PhaseResult> {
    println!("reference: bare axum GET /hello");
    bare_route_phase(config, "hello", bytes::Bytes::from_static(b"hello")).await
}

/// A bare axum route (no middleware, no database) answering `body`, under the same load.
pub(crate) async fn bare_route_phase(
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
pub(crate) struct Pgbench {
    pub(crate) tps: f64,
    pub(crate) latency_average_ms: Option<f64>,
}

/// A phase that may not be measurable on this machine or branch.
#[derive(Debug)]
pub(crate) enum Measured<T> {
    Done(T),
    NotAvailable(String),
}

pub(crate) async fn pgbench_phase(config: &Config) -> Measured<Pgbench> {
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

pub(crate) fn run_pgbench(url: &str, clients: &str, seconds: &str) -> anyhow::Result<Pgbench> {
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

pub(crate) fn pgbench(args: &[&str]) -> anyhow::Result<String> {
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
pub(crate) fn parse_pgbench(output: &str) -> anyhow::Result<Pgbench> {
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
