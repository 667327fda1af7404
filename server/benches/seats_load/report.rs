//! The markdown table of a run, with the ratios against the targets.

use super::*;

// ---------------------------------------------------------------------------------------------
// The report

pub(crate) struct Report {
    pub(crate) config: Config,
    /// Cores and load when the run started (figures from a busy machine are lower).
    pub(crate) machine: String,
    pub(crate) hello: PhaseResult,
    pub(crate) pgbench: Measured<Pgbench>,
    pub(crate) sqlite: DatabaseRun,
    pub(crate) postgres: Option<DatabaseRun>,
    pub(crate) scale: Vec<ScaleRun>,
}

impl Report {
    pub(crate) fn runs(&self) -> impl Iterator<Item = &DatabaseRun> {
        std::iter::once(&self.sqlite).chain(self.postgres.as_ref())
    }

    pub(crate) fn oversold(&self) -> bool {
        self.runs().any(|run| run.oversell.failed())
    }

    pub(crate) fn render(&self) -> String {
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
            let _ = writeln!(
                out,
                "| {name} | assign, with its emails sent (window + {:.1} s for the mailer to finish) | {:.0} | | | | | |",
                run.assign_mail_drain.as_secs_f64(),
                run.assign_with_mail()
            );
            row(&mut out, name, "list (100-seat pool)", &run.list);
            let gzip = format!(
                "list, gzip accepted as the SDK asks ({} bytes sent)",
                run.list_gzip_bytes
            );
            row(&mut out, name, &gzip, &run.list_gzip);
            let bare = format!(
                "reference: bare axum route answering the list's {} bytes",
                run.list_body_bytes
            );
            row(&mut out, name, &bare, &run.list_body);
            row(
                &mut out,
                name,
                "license-key validate (public, key alone, 100 keys)",
                &run.validate,
            );
            match &run.claim {
                Measured::Done(claim) => row(&mut out, name, "claim", claim),
                Measured::NotAvailable(reason) => {
                    let _ = writeln!(out, "| {name} | claim | n/a | | | | | {reason} |");
                }
            }
            let delivery = format!(
                "webhook delivery: {DELIVERY_EVENTS} benefit_grant.created, latency from the claim's answer to the receiver"
            );
            row(&mut out, name, &delivery, &run.delivery);
        }
        if self.postgres.is_none() {
            out.push_str("| PostgreSQL | all | skipped | | | | | no PostgreSQL reachable |\n");
        }
        row(&mut out, "reference", "bare axum GET /hello", &self.hello);
        self.render_pgbench(&mut out);
        self.render_ratios(&mut out);
        self.render_oversell(&mut out);
        self.render_scale(&mut out);
        out
    }

    /// The phases at scale: p99 seeded against empty, the database's size, the server's memory.
    pub(crate) fn render_scale(&self, out: &mut String) {
        if self.scale.is_empty() {
            out.push_str("\nat scale: skipped (BENCH_SCALE_POOLS=0)\n");
            return;
        }
        let _ = writeln!(
            out,
            "\n### At scale: {} pools of {} seats seeded (`seatkeeper dev seed`), `seatkeeper serve` in its own process\n",
            self.config.scale_pools, self.config.scale_seats
        );
        out.push_str("| database | phase | ops/s empty | ops/s seeded | p99 ms empty | p99 ms seeded | seeded / empty p99 | target | result |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        for run in &self.scale {
            let name = run.kind.name();
            for (phase, empty, seeded) in [
                (
                    "assign (1,000-seat pools)",
                    &run.empty.assign,
                    &run.seeded.assign,
                ),
                ("list (100-seat pool)", &run.empty.list, &run.seeded.list),
            ] {
                let (before, after) = (empty.percentile(0.99), seeded.percentile(0.99));
                let ratio = before
                    .zip(after)
                    .map(|(b, a)| a.as_secs_f64() / b.as_secs_f64().max(1e-9));
                let (value, result) = match ratio {
                    Some(r) => (
                        format!("{r:.2}"),
                        if r <= SCALE_P99_RATIO_TARGET {
                            "PASS"
                        } else {
                            "FAIL"
                        },
                    ),
                    None => ("n/a".to_owned(), "n/a"),
                };
                let _ = writeln!(
                    out,
                    "| {name} | {phase} | {:.0} | {:.0} | {} | {} | {value} | ≤ {SCALE_P99_RATIO_TARGET} | {result} |",
                    empty.rate(),
                    seeded.rate(),
                    millis(before),
                    millis(after),
                );
            }
        }
        out.push_str("\nOut of process (the server in its own process, as a client meets it; no target, the issue's\nratios are the in-process ones above):\n\n");
        out.push_str(
            "| database | GET /healthz ops/s | list ops/s, empty database | list / healthz |\n",
        );
        out.push_str("|---|---:|---:|---:|\n");
        for run in &self.scale {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.0} | {:.2} |",
                run.kind.name(),
                run.healthz.rate(),
                run.empty.list.rate(),
                run.empty.list.rate() / run.healthz.rate().max(1e-9),
            );
        }
        out.push_str("\n| database | seeding | database on disk | server peak RSS, empty phases | server peak RSS, at the end | target | result |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---|\n");
        for run in &self.scale {
            let mib = |kib: u64| kib as f64 / 1024.0;
            let result = if run.peak_rss_kib <= PEAK_RSS_TARGET_KIB {
                "PASS"
            } else {
                "FAIL"
            };
            let _ = writeln!(
                out,
                "| {} | {} s: {} | {:.0} MiB | {:.1} MiB | {:.1} MiB | ≤ {} MiB | {result} |",
                run.kind.name(),
                run.seed["seconds"],
                run.seed["counts"],
                run.database_bytes as f64 / (1024.0 * 1024.0),
                mib(run.peak_rss_empty_kib),
                mib(run.peak_rss_kib),
                PEAK_RSS_TARGET_KIB / 1024,
            );
        }
    }

    pub(crate) fn render_pgbench(&self, out: &mut String) {
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

    pub(crate) fn render_ratios(&self, out: &mut String) {
        out.push_str("\n| ratio | value | target | result |\n|---|---:|---:|---|\n");
        let pg_assign = self.postgres.as_ref().map(DatabaseRun::assign_with_mail);
        let pgbench = match &self.pgbench {
            Measured::Done(p) => Some(p.tps),
            Measured::NotAvailable(_) => None,
        };
        ratio_row(
            out,
            "assign PostgreSQL, emails sent / pgbench TPS",
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
                "| list {}, gzip accepted / hello RPS (no target: the list as the official SDK asks it) | {:.2} | | |",
                run.kind.name(),
                run.list_gzip.rate() / hello.max(1e-9)
            );
        }
        for run in self.runs() {
            ratio_row(
                out,
                &format!("validate {} / list RPS", run.kind.name()),
                Some(run.validate.rate() / run.list.rate().max(1e-9)),
                VALIDATE_VS_LIST_TARGET,
            );
        }
        for run in self.runs() {
            latency_row(
                out,
                &format!("list {} p99 ms", run.kind.name()),
                run.list.percentile(0.99),
                LIST_P99_TARGET,
            );
        }
        latency_row(
            out,
            "assign SQLite p99 ms",
            self.sqlite.assign.percentile(0.99),
            SQLITE_ASSIGN_P99_TARGET,
        );
        for run in self.runs() {
            let _ = writeln!(
                out,
                "| list {} / bare route with the same body (no target: how close to the transport) | {:.2} | | |",
                run.kind.name(),
                run.list.rate() / run.list_body.rate().max(1e-9)
            );
        }
    }

    pub(crate) fn render_oversell(&self, out: &mut String) {
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
pub(crate) fn millis(duration: Option<Duration>) -> String {
    duration.map_or_else(String::new, |d| format!("{:.2}", d.as_secs_f64() * 1e3))
}

pub(crate) fn row(out: &mut String, database: &str, phase: &str, result: &PhaseResult) {
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

/// A latency against its ceiling.
pub(crate) fn latency_row(
    out: &mut String,
    name: &str,
    value: Option<Duration>,
    ceiling: Duration,
) {
    let ceiling_ms = ceiling.as_secs_f64() * 1e3;
    let (value, result) = match value {
        Some(v) => {
            let ms = v.as_secs_f64() * 1e3;
            (
                format!("{ms:.2}"),
                if v <= ceiling { "PASS" } else { "FAIL" },
            )
        }
        None => ("n/a".to_owned(), "n/a"),
    };
    let _ = writeln!(out, "| {name} | {value} | ≤ {ceiling_ms:.0} | {result} |");
}

pub(crate) fn ratio_row(out: &mut String, name: &str, value: Option<f64>, target: f64) {
    let (value, result) = match value {
        Some(v) => (format!("{v:.2}"), if v >= target { "PASS" } else { "FAIL" }),
        None => ("n/a".to_owned(), "n/a"),
    };
    let _ = writeln!(out, "| {name} | {value} | ≥ {target} | {result} |");
}
