//! The load runner: concurrent clients running one operation for a warm-up and a measured window.

use super::*;

// ---------------------------------------------------------------------------------------------
// The load runner

/// What one operation of a load phase gave.
pub(crate) enum Outcome {
    Ok,
    Error,
    /// Nothing left to do (pools or tokens used up): this client stops.
    Exhausted,
}

/// Throughput and latencies of one measured window.
#[derive(Debug, Default)]
pub(crate) struct PhaseResult {
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    pub(crate) window: Duration,
    /// Latencies of the successful operations in the window, sorted.
    pub(crate) latencies: Vec<Duration>,
    /// Why the window ended early, when it did.
    pub(crate) note: Option<String>,
}

impl PhaseResult {
    pub(crate) fn rate(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// Nearest-rank percentile.
    pub(crate) fn percentile(&self, p: f64) -> Option<Duration> {
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
pub(crate) struct ClientTally {
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    pub(crate) latencies: Vec<Duration>,
    pub(crate) stopped: Option<Instant>,
}

/// Runs `op` from `clients` concurrent tasks for `warmup + measure`; counts what starts after the
/// warm-up and ends before the deadline. Prints nothing: see [`measured`].
pub(crate) async fn run_load<F, Fut>(
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
pub(crate) async fn measured<F, Fut>(
    name: &str,
    config: &Config,
    op: F,
) -> anyhow::Result<PhaseResult>
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

pub(crate) async fn client_loop<F, Fut>(
    op: &F,
    measure_from: Instant,
    deadline: Instant,
) -> ClientTally
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
pub(crate) async fn send(request: reqwest::RequestBuilder, expected: u16) -> Outcome {
    let Ok(response) = request.send().await else {
        return Outcome::Error;
    };
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(_) if status == expected => Outcome::Ok,
        _ => Outcome::Error,
    }
}

pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}
