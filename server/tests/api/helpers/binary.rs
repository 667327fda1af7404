//! The real `seatkeeper serve` binary in a process of its own, for tests that kill it (`kill -9`)
//! and start it again on the same database.

use std::time::Duration;

/// `seatkeeper serve --test-clock` on `database_url`, answering on `port`, with `extra` arguments.
pub fn serve_binary_with(database_url: &str, port: u16, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_seatkeeper"))
        .args([
            "serve",
            "--test-clock",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .args(extra)
        .args(["--database-url", database_url])
        .env_remove("DATABASE_URL")
        .env_remove("SMTP_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits (at most 10 s) until the server at `base` is ready.
pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server at {base} did not become ready");
}
