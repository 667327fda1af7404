//! The `seatkeeper` command line: `serve`, `migrate`, `org create` and `dev seed`.
//!
//! Usage mistakes (unknown flag, bad value) are clap's: a usage message and exit code 2. Failures
//! while running (database unreachable, duplicate slug) print one `error:` line and exit with 1; no
//! panic, no backtrace.

use std::{process::ExitCode, sync::Arc};

use app::{
    domain::pricing::SYSTEM_MAX_SEATS,
    model::Slug,
    server::{
        clock::SystemClock,
        service::{CreateOrganization, SeedRequest, Services},
        store::{Store, connect_and_migrate},
    },
};
use clap::{Args, Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::{
    application::Application,
    config::{DatabaseArgs, MailDelivery, ServeArgs},
    telemetry::{self, LogFormat},
};

/// Seatkeeper: self-hosted seat-based pricing (REST API, web portal, widget, webhooks, emails).
#[derive(Parser, Debug)]
#[command(name = "seatkeeper", version, propagate_version = true)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, env = "SEATKEEPER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (migrations are applied at start-up).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Tools for developers and for measuring (not for production data).
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Subcommand, Debug)]
pub enum DevCommand {
    /// Fill the database with many seat pools through bulk SQL (for measuring at scale): team
    /// customers with an active subscription each, their members and seats (7 in 10 claimed, 2
    /// pending, 1 revoked), audit entries, sent invitations and benefit grants.
    Seed(SeedArgs),
}

#[derive(Args, Debug)]
pub struct SeedArgs {
    /// Seat pools (subscriptions) to write.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub pools: u64,
    /// Seats of each pool (at most the system's 1,000 per pool).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=i64::from(SYSTEM_MAX_SEATS)))]
    pub seats_per_pool: u32,
    /// Seed into this existing organization; without it a new one `seed-…` is created and its
    /// access token printed.
    #[arg(long, value_parser = parse_slug)]
    pub organization: Option<Slug>,
    /// Print one JSON object (organization, token if new, row counts, seconds) on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Create an organization and an access token with every scope (the token is shown once).
    Create(OrgCreateArgs),
}

#[derive(Args, Debug)]
pub struct OrgCreateArgs {
    /// Display name, e.g. "Acme Inc".
    #[arg(long)]
    pub name: String,
    /// URL-safe identifier used in portal links: 3-64 lower-case letters, digits and hyphens.
    #[arg(long, value_parser = parse_slug)]
    pub slug: Slug,
    /// Public support email.
    #[arg(long)]
    pub email: Option<String>,
    /// Print one JSON object `{"organization_id", "slug", "access_token"}` on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

fn parse_slug(raw: &str) -> Result<Slug, String> {
    Slug::parse(raw).map_err(|e| e.to_string())
}

/// Parses the command line, runs the command, and turns its outcome into an exit code.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Serve(_) => telemetry::SERVER_FILTER,
        _ => telemetry::COMMAND_FILTER,
    };
    telemetry::init(cli.log_format, default_filter);
    match execute(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(db) => {
            let store = open_store(&db).await?;
            store.close().await;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Org(OrgCommand::Create(args)) => create_org(args).await,
        Command::Dev(DevCommand::Seed(args)) => seed(args).await,
    }
}

async fn open_store(db: &DatabaseArgs) -> anyhow::Result<Arc<dyn Store>> {
    Ok(connect_and_migrate(&db.database_url, &db.connect_options()).await?)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    if args.test_clock {
        tracing::warn!(
            "test clock enabled: time stands still and POST /v1/test-clock/advance moves it forward"
        );
    }
    let mail = args.mail_delivery();
    if mail == MailDelivery::Queued {
        tracing::warn!(
            "no --smtp-url: emails (seat invitations) wait in the outbox and are not sent; \
             start a server with --smtp-url to send them (or --dev-mailbox on a loopback \
             address to read them at /dev/mailbox)"
        );
    }
    // Handlers first: a SIGTERM sent as soon as the port answers must not kill the process.
    let shutdown = shutdown_signal();
    let app = Application::build(args.settings()).await?;
    tracing::info!(address = %app.address(), public_url = %args.public_url(), database = app.database(), email = mail.describe(), "Seatkeeper is listening");
    app.run_until_stopped(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn create_org(args: OrgCreateArgs) -> anyhow::Result<()> {
    let store = open_store(&args.database).await?;
    let services = Services::new(store.clone(), Arc::new(SystemClock), "");
    let result = services
        .create_organization(CreateOrganization {
            name: args.name,
            slug: args.slug,
            email: args.email,
        })
        .await;
    store.close().await;
    let created = result.map_err(|e| anyhow::anyhow!(e.body().detail_text()))?;
    let token = created.access_token.expose_secret();
    if args.json {
        let out = serde_json::json!({
            "organization_id": created.organization.summary.id,
            "slug": created.organization.summary.slug,
            "access_token": token,
        });
        println!("{out}");
    } else {
        println!(
            "Created organization {:?} (slug {})",
            created.organization.summary.name, created.organization.summary.slug
        );
        println!("  organization id: {}", created.organization.summary.id);
        println!("  access token:    {token}");
        println!("The access token is shown only once: store it now.");
    }
    Ok(())
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let store = open_store(&args.database).await?;
    let services = Services::new(store.clone(), Arc::new(SystemClock), "");
    let started = std::time::Instant::now();
    let request = SeedRequest {
        organization: args.organization,
        pools: args.pools,
        seats_per_pool: args.seats_per_pool,
    };
    let total = args.pools;
    let result = services
        .seed(request, |counts| {
            eprintln!(
                "seeded {}/{total} pools, {} seats ({:.0} s)",
                counts.pools,
                counts.seats,
                started.elapsed().as_secs_f64()
            );
        })
        .await;
    store.close().await;
    let seeded = result.map_err(|e| anyhow::anyhow!(e.body().detail_text()))?;
    let seconds = started.elapsed().as_secs_f64();
    let token = seeded.access_token.as_ref().map(|t| t.expose_secret());
    if args.json {
        let out = serde_json::json!({
            "organization_id": seeded.organization_id,
            "slug": seeded.slug,
            "access_token": token,
            "counts": seeded.counts,
            "seconds": (seconds * 10.0).round() / 10.0,
        });
        println!("{out}");
    } else {
        let c = seeded.counts;
        println!(
            "Seeded organization {} in {seconds:.1} s: {} pools, {} seats, {} members, {} audit entries, {} emails, {} grants",
            seeded.slug, c.pools, c.seats, c.members, c.audit_entries, c.emails, c.grants
        );
        if let Some(token) = token {
            println!("  access token: {token}");
            println!("The access token is shown only once: store it now.");
        }
    }
    Ok(())
}

/// Registers the SIGINT (Ctrl-C) and SIGTERM handlers at once, and resolves when one arrives.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (terminate, interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(terminate) => {},
                () = wait(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown requested: finishing in-flight requests");
    }
}
