//! Configuration of `seatkeeper serve`, from flags and environment variables (see `--help`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use app::server::store::ConnectOptions;
use clap::Args;
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
    /// `?tls=required` for STARTTLS) or `smtps://...` (TLS). Without it, emails stay in the
    /// development mailbox at /dev/mailbox.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of invitation emails.
    #[arg(
        long,
        env = "SEATKEEPER_MAIL_FROM",
        default_value = "Seatkeeper <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// Test mode: time can be moved forward through `POST /v1/_test/clock/advance`.
    /// Never use in production.
    #[arg(long, env = "SEATKEEPER_TEST_CLOCK")]
    pub test_clock: bool,

    /// On an empty database, create a demo organization and print its access token once.
    #[arg(long, env = "SEATKEEPER_DEMO")]
    pub demo: bool,

    /// Folder with the built web assets (`pkg/` with the WASM, JS and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

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

    pub fn leptos_options(&self) -> LeptosOptions {
        leptos_options(self.site_root.display().to_string(), self.bind)
    }

    /// Checks the values clap cannot check by itself.
    pub fn validate(&self) -> Result<(), String> {
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
