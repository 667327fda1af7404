//! Logging: human-readable by default, JSON lines with `--log-format json`. Always on stderr, so
//! commands that print a result (`org create --json`) keep stdout clean. `RUST_LOG` filters.

use clap::ValueEnum;
use tracing_subscriber::{EnvFilter, fmt};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// The default filter of the server: requests and lifecycle at `info`.
pub const SERVER_FILTER: &str = "info,sqlx=warn";
/// The default filter of one-shot commands: only problems, so their output stays readable.
pub const COMMAND_FILTER: &str = "warn";

/// Installs the global subscriber (`RUST_LOG` overrides `default_filter`). Calling it twice is
/// harmless: the second call does nothing.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
