//! The Seatkeeper server: command line, configuration, the Axum router (REST API, server functions,
//! server-rendered pages) and start-up. Business rules live in the `app` crate's services; this crate
//! wires them to HTTP.

pub mod application;
pub mod cli;
pub mod config;
pub mod demo;
pub mod limits;
pub mod mailer;
pub mod rest;
pub mod startup;
pub mod telemetry;
pub mod workers;

/// mimalloc instead of the system allocator: under load glibc's malloc spent about a tenth of the
/// server's time in its own arena locks and bookkeeping (perf of the benchmark's list and assign
/// phases, see the README's performance notes). Declared here, it serves every binary built on this
/// crate: `seatkeeper`, the API tests and the benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
