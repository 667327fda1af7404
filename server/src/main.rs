//! `seatkeeper`: the command-line entry point. Everything happens in [`server::cli::run`].

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    server::cli::run().await
}
