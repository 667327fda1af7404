//! Configuration of `seatkeeper serve`, from flags and environment variables (see `--help`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use app::server::store::ConnectOptions;
use clap::Args;

use crate::{
    application::{ClockSetting, Settings, WorkerSettings},
    limits::{ClientAddress, Timeouts},
};
use app::server::clock::TestClock;
use leptos::config::{Env, LeptosOptions};

/// Where the database is and how big its pool is.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://path/to/file.db` (file and folder created if missing) or
    /// `postgres://user:password@host:port/database`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/seatkeeper.db"
    )]
    pub database_url: String,

    /// Size of the database connection pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub max_connections: u32,

    /// Seconds to wait for a database connection before failing.
    #[arg(long, env = "DATABASE_CONNECT_TIMEOUT", default_value_t = 5)]
    pub connect_timeout: u64,
}

impl DatabaseArgs {
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            max_connections: self.max_connections,
            acquire_timeout: Duration::from_secs(self.connect_timeout.max(1)),
        }
    }
}

/// Flags of `seatkeeper serve`.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address and port to listen on.
    #[arg(long, env = "SEATKEEPER_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// The URL people reach this server at, used in links in emails and pages
    /// (default: `http://` + the bind address).
    #[arg(long, env = "SEATKEEPER_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// SMTP server for invitation emails: `smtp://[user:pass@]host[:port]` (plain; add
    /// `?tls=required` for STARTTLS) or `smtps://...` (TLS). Without it (and without
    /// --dev-mailbox), emails wait in the outbox until a server with SMTP sends them.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Development only: keep emails in the database and show them, with their live claim links, at
    /// /dev/mailbox. Refused unless the server listens on a loopback address (127.0.0.1, ::1), and
    /// with --smtp-url. `--demo` turns it on.
    #[arg(long, env = "SEATKEEPER_DEV_MAILBOX")]
    pub dev_mailbox: bool,

    /// The sender of invitation emails.
    #[arg(
        long,
        env = "SEATKEEPER_MAIL_FROM",
        default_value = "Seatkeeper <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// Test mode: the clock stands still at start-up and moves only through
    /// `POST /v1/test-clock/advance` (organization token). Never use in production.
    #[arg(long, env = "SEATKEEPER_TEST_CLOCK")]
    pub test_clock: bool,

    /// With --test-clock: the time the clock starts at (RFC 3339, e.g. 2027-01-01T00:00:00Z)
    /// instead of the wall clock's.
    #[arg(long, env = "SEATKEEPER_TEST_CLOCK_START", requires = "test_clock")]
    pub test_clock_start: Option<chrono::DateTime<chrono::Utc>>,

    /// On an empty database, create a demo organization and print its access token once. Turns on
    /// --dev-mailbox.
    #[arg(long, env = "SEATKEEPER_DEMO")]
    pub demo: bool,

    /// Folder with the built web assets (`pkg/` with the WASM, JS and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Requests per minute one client address may make to the public endpoints that take a
    /// capability instead of a login (claim links, checkout links), on average; bursts of a quarter
    /// of it are allowed; the public license-key calls of apps count apart, at ten times this, and
    /// one license key may be used this many times a minute. 0 turns the limits off. Merchant API
    /// calls are never limited.
    #[arg(long, env = "SEATKEEPER_RATE_LIMIT", default_value_t = 120)]
    pub rate_limit: u32,

    /// Where a client's address comes from, for the rate limit: `peer` (the TCP connection) or
    /// `forwarded-for` (the last `X-Forwarded-For` entry; only behind a proxy that appends to it).
    #[arg(long, env = "SEATKEEPER_CLIENT_ADDRESS", value_enum, default_value_t = ClientAddress::Peer)]
    pub client_address: ClientAddress,

    /// Invitation re-sends per organization and hour (in bursts of a quarter of it); 0 lifts this
    /// limit. One seat's invitation can always be re-sent 3 times in a row, then once every 10
    /// minutes.
    #[arg(long, env = "SEATKEEPER_RESEND_LIMIT", default_value_t = app::server::service::DEFAULT_RESEND_LIMIT)]
    pub resend_limit: u32,

    /// Development and tests only: let webhook endpoints use plain http and private, loopback or
    /// link-local addresses (refused by default: a webhook is a request this server makes to an
    /// address someone else chose). `--demo` turns it on.
    #[arg(long, env = "SEATKEEPER_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,

    /// Seconds a request may take before it is abandoned with a 503.
    #[arg(long, env = "SEATKEEPER_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,

    /// Seconds a connection may take to send a request's headers, also while idle between requests
    /// (slow or silent clients are disconnected).
    #[arg(long, env = "SEATKEEPER_HEADER_TIMEOUT", default_value_t = 30)]
    pub header_timeout: u64,

    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long, env = "SEATKEEPER_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
}

impl ServeArgs {
    /// The public base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_owned()
    }

    /// What `serve` builds the application from.
    pub fn settings(&self) -> Settings {
        Settings {
            database_url: self.database.database_url.clone(),
            connect: self.database.connect_options(),
            bind: self.bind,
            public_url: Some(self.public_url()),
            site_root: self.site_root.display().to_string(),
            clock: if self.test_clock {
                ClockSetting::Test {
                    clock: self
                        .test_clock_start
                        .map_or_else(TestClock::new, TestClock::frozen_at),
                    http_endpoint: true,
                }
            } else {
                ClockSetting::System
            },
            mail: self.mail_delivery(),
            smtp_url: self.smtp_url.clone(),
            mail_from: self.mail_from.clone(),
            demo: self.demo,
            rate_limit: Some(self.rate_limit),
            client_address: self.client_address,
            resend_limit: self.resend_limit,
            webhook_allow_private: self.webhook_allow_private || self.demo,
            timeouts: self.timeouts(),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
            workers: WorkerSettings::ALL,
        }
    }

    /// How long requests may take.
    pub fn timeouts(&self) -> Timeouts {
        let defaults = Timeouts::default();
        Timeouts {
            request: Duration::from_secs(self.request_timeout.max(1)),
            body: defaults
                .body
                .min(Duration::from_secs(self.request_timeout.max(1))),
            header: Duration::from_secs(self.header_timeout.max(1)),
        }
    }

    /// How emails leave: SMTP, the development mailbox, or not at all (they wait in the outbox).
    pub fn mail_delivery(&self) -> MailDelivery {
        if self.smtp_url.is_some() {
            MailDelivery::Smtp
        } else if self.dev_mailbox || self.demo {
            MailDelivery::DevMailbox
        } else {
            MailDelivery::Queued
        }
    }

    /// Checks the values clap cannot check by itself.
    pub fn validate(&self) -> Result<(), String> {
        // A request must end long before a payment it started is presumed abandoned (2 minutes)
        // and before an idempotency key it holds is presumed dead (1 minute).
        if !(1..=50).contains(&self.request_timeout) {
            return Err(format!(
                "--request-timeout must be between 1 and 50 seconds (got {})",
                self.request_timeout
            ));
        }
        if self.dev_mailbox && self.smtp_url.is_some() {
            return Err(
                "--dev-mailbox and --smtp-url exclude each other: emails go to one place"
                    .to_owned(),
            );
        }
        let public_url = self.public_url();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!(
                "--public-url must start with http:// or https:// (got {public_url:?})"
            ));
        }
        if let Some(smtp) = &self.smtp_url
            && !(smtp.starts_with("smtp://") || smtp.starts_with("smtps://"))
        {
            return Err("--smtp-url must start with smtp:// or smtps://".to_owned());
        }
        Ok(())
    }
}

/// Where emails go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailDelivery {
    /// Sent through `--smtp-url`.
    Smtp,
    /// Kept in the database and shown at `/dev/mailbox` (loopback servers only).
    DevMailbox,
    /// Neither: emails wait in the outbox, and the server says so at start-up and on `/readyz`.
    Queued,
}

impl MailDelivery {
    /// How `/readyz` and the start-up log describe it.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::DevMailbox => "development mailbox",
            Self::Queued => "queued: no --smtp-url, emails wait in the outbox",
        }
    }
}

/// The Leptos options of this app: fixed names, site files under `site_root`.
pub fn leptos_options(site_root: String, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("seatkeeper")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .env(Env::PROD)
        .site_addr(addr)
        .build()
}
