//! The one composition root. Every way Seatkeeper runs (`seatkeeper serve`, the API tests, the
//! benchmark) builds its store, services, router and background workers here, from [`Settings`]; what
//! differs between them is only what they put in the settings.
//!
//! [`Application::build`] opens (and migrates) the database, binds the listener (port 0 picks a free
//! one; [`Application::address`] says which), and wires the services and the router.
//! [`Application::run_until_stopped`] starts the workers the settings ask for, serves until the
//! shutdown future resolves, lets in-flight requests finish, stops the workers and closes the pool.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use app::server::{
    clock::{Clock, SystemClock, TestClock},
    service::{DEFAULT_RESEND_LIMIT, Services},
    store::{ConnectOptions, Store, connect_and_migrate},
};
use tokio::{net::TcpListener, sync::watch};

use crate::{
    config::{MailDelivery, leptos_options},
    demo,
    limits::{ClientAddress, PublicLimiter, Timeouts},
    mailer::{Mailer, Transport},
    startup::{self, AppParts, AppState},
    webhooks::WebhookSender,
    workers,
};

/// Everything a running Seatkeeper is built from.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub connect: ConnectOptions,
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The URL people reach the server at (default: `http://` + the bound address).
    pub public_url: Option<String>,
    /// The folder with the built web assets (`pkg/`).
    pub site_root: String,
    pub clock: ClockSetting,
    pub mail: MailDelivery,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Create the demo organization on an empty database, and show its checkout on the home page.
    pub demo: bool,
    /// Requests per minute per client address on the public capability endpoints (none: off).
    pub rate_limit: Option<u32>,
    pub client_address: ClientAddress,
    /// Invitation re-sends per organization and hour (0 lifts the limit).
    pub resend_limit: u32,
    /// Webhook endpoints may be plain http and private addresses (tests, development).
    pub webhook_allow_private: bool,
    pub timeouts: Timeouts,
    /// How long in-flight requests may take to finish after shutdown is asked.
    pub shutdown_timeout: Duration,
    pub workers: WorkerSettings,
}

/// Which clock the services read.
#[derive(Clone, Debug)]
pub enum ClockSetting {
    /// The machine's clock.
    System,
    /// A clock that only moves when told; `http_endpoint` also lets `POST /v1/test-clock/advance`
    /// move it (test mode, never in production).
    Test {
        clock: TestClock,
        http_endpoint: bool,
    },
}

/// Which background workers run (tests drive them by hand instead).
#[derive(Clone, Copy, Debug)]
pub struct WorkerSettings {
    /// Settles payments a crash left unsettled (`workers::sweep`).
    pub sweeper: bool,
    /// Sends the email outbox, when email goes somewhere (SMTP or the development mailbox).
    pub mailer: bool,
    /// Sends webhooks to the organizations' endpoints (`crate::webhooks`).
    pub webhooks: bool,
}

impl WorkerSettings {
    pub const ALL: Self = Self {
        sweeper: true,
        mailer: true,
        webhooks: true,
    };
    pub const NONE: Self = Self {
        sweeper: false,
        mailer: false,
        webhooks: false,
    };
}

impl Settings {
    /// A loopback server on `database_url` with the defaults of `seatkeeper serve`, but a free port,
    /// no rate limit, emails in the development mailbox, webhooks allowed to loopback receivers and
    /// no workers: what tests and the benchmark start from.
    pub fn local(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            connect: ConnectOptions::default(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            site_root: String::new(),
            clock: ClockSetting::System,
            mail: MailDelivery::DevMailbox,
            smtp_url: None,
            mail_from: "Seatkeeper <no-reply@localhost>".to_owned(),
            demo: false,
            rate_limit: None,
            client_address: ClientAddress::Peer,
            resend_limit: DEFAULT_RESEND_LIMIT,
            webhook_allow_private: true,
            timeouts: Timeouts::default(),
            shutdown_timeout: Duration::from_secs(5),
            workers: WorkerSettings::NONE,
        }
    }
}

/// A built server, listening but not yet serving.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    store: Arc<dyn Store>,
    settings: Settings,
}

impl Application {
    /// Refuses, before touching the database, a development mailbox on an address others can reach:
    /// it shows every invitation link to whoever opens it.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if settings.mail == MailDelivery::DevMailbox && !settings.bind.ip().is_loopback() {
            anyhow::bail!(
                "the development mailbox shows every invitation link to whoever opens it, so it is \
                 only allowed on a loopback address; {} is not one (drop --dev-mailbox/--demo, or \
                 set --smtp-url)",
                settings.bind.ip()
            );
        }
        let store = connect_and_migrate(&settings.database_url, &settings.connect).await?;
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"))
            .trim_end_matches('/')
            .to_owned();
        let (clock, test_clock): (Arc<dyn Clock>, _) = match &settings.clock {
            ClockSetting::System => (Arc::new(SystemClock), None),
            ClockSetting::Test {
                clock,
                http_endpoint,
            } => (
                Arc::new(clock.clone()),
                http_endpoint.then(|| clock.clone()),
            ),
        };
        let transport = match settings.mail {
            MailDelivery::Smtp | MailDelivery::DevMailbox => Some(Transport::from_config(
                settings.smtp_url.as_deref(),
                &settings.mail_from,
            )?),
            MailDelivery::Queued => None,
        };
        let mut services = Services::new(store.clone(), clock, public_url)
            .with_resend_limit(settings.resend_limit)
            .with_license_key_limit(settings.rate_limit.unwrap_or(0))
            .with_webhooks_allow_private(settings.webhook_allow_private);
        if settings.demo {
            demo::ensure_demo(&services).await?;
            services = services.with_demo(demo::DEMO_SLUG);
        }
        // The mailer the worker runs is also what a test-clock advance runs before it answers.
        let mailer = transport
            .clone()
            .filter(|_| settings.workers.mailer)
            .map(|transport| Mailer::new(services.clone(), transport));
        warn_if_not_split(&settings.site_root);
        let state = AppState::new(AppParts {
            leptos_options: leptos_options(settings.site_root.clone(), address),
            mailer,
            services,
            test_clock,
            mail: settings.mail,
            public_limiter: settings
                .rate_limit
                .and_then(|per_minute| PublicLimiter::new(per_minute, settings.client_address)),
            license_limiter: settings.rate_limit.and_then(|per_minute| {
                PublicLimiter::new(
                    per_minute.saturating_mul(crate::limits::LICENSE_CALLS_FACTOR),
                    settings.client_address,
                )
            }),
            timeouts: settings.timeouts,
            gzip_copies: Arc::default(),
        });
        Ok(Self {
            listener,
            address,
            state,
            store,
            settings,
        })
    }

    /// The address the server listens on.
    pub const fn address(&self) -> SocketAddr {
        self.address
    }

    /// The database's name, for the start-up log.
    pub fn database(&self) -> &'static str {
        self.store.backend().display_name()
    }

    /// The store under the services: for tests that inspect what was written.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn services(&self) -> &Services {
        &self.state.services
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish (at most the
    /// shutdown timeout), stops the workers and closes the database pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            store,
            settings,
            ..
        } = self;
        let (stop_workers, workers_stopped) = watch::channel(false);
        let mut running = Vec::new();
        if settings.workers.sweeper {
            running.push(tokio::spawn(workers::sweep(
                state.services.clone(),
                workers_stopped.clone(),
            )));
        }
        if settings.workers.webhooks {
            let sender = WebhookSender::new(state.services.clone())?;
            running.push(tokio::spawn(sender.run(workers_stopped.clone())));
        }
        if let Some(mailer) = state.mailer.clone() {
            running.push(tokio::spawn(mailer.run(workers_stopped)));
        }
        let header_timeout = state.timeouts.header;
        let served = startup::serve(
            listener,
            startup::build_router(state),
            shutdown,
            settings.shutdown_timeout.as_secs(),
            header_timeout,
        )
        .await;
        let _ = stop_workers.send(true);
        for worker in running {
            let _ = worker.await;
        }
        store.close().await;
        served?;
        Ok(())
    }
}

/// Says so at startup when the web assets under `site_root` were built without `--split`: most
/// pages are lazy routes (`app/src/shell.rs`), whose code such a build leaves as imports of a split
/// loader that does not exist, so the pages would render but never hydrate. (`make run` and `make
/// build` build with `--split`.)
fn warn_if_not_split(site_root: &str) {
    let pkg = std::path::Path::new(site_root).join("pkg");
    if pkg.join("seatkeeper.wasm").exists() && !pkg.join("__wasm_split_manifest.json").exists() {
        tracing::warn!(
            site_root,
            "the web assets were built without `cargo leptos build --split`: pages will not \
             hydrate; build them with `make build` (or `make run`)"
        );
    }
}
