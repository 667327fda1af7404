//! The `seatkeeper` binary: `org create`, `migrate`, `dev seed`, `serve --demo`, and how it fails.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use crate::{both_backends, helpers::*};

fn seatkeeper() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_seatkeeper"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    command
}

fn run(args: &[&str]) -> Output {
    let mut command = seatkeeper();
    command.args(args);
    exits_within(command, Duration::from_secs(60))
}

/// Runs a command that must end by itself: one that starts serving instead of refusing fails the test
/// rather than hanging it.
fn exits_within(mut command: Command, limit: Duration) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match receiver.recv_timeout(limit) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("{command:?} was still running after {limit:?}");
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn org_create_with_json_prints_exactly_one_json_object(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let out = run(&[
        "org",
        "create",
        "--name",
        "Acme Inc",
        "--slug",
        "acme",
        "--json",
        "--database-url",
        &db.url,
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let object = value.as_object().unwrap();
    assert_eq!(object.len(), 3, "{value}");
    assert_eq!(value["slug"], "acme");
    assert!(uuid::Uuid::parse_str(value["organization_id"].as_str().unwrap()).is_ok());
    assert!(
        value["access_token"]
            .as_str()
            .unwrap()
            .starts_with("skp_oat_")
    );
}

async fn a_duplicate_slug_exits_1_with_one_clear_error_line(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let args = [
        "org",
        "create",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--database-url",
        &db.url,
    ];
    assert_eq!(run(&args).status.code(), Some(0));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("\"acme\" already exists"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

async fn migrate_applies_the_migrations_and_exits_0(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let out = run(&["migrate", "--database-url", &db.url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Idempotent.
    assert_eq!(
        run(&["migrate", "--database-url", &db.url]).status.code(),
        Some(0)
    );
}

async fn dev_seed_creates_an_organization_and_prints_what_it_wrote(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let out = run(&[
        "dev",
        "seed",
        "--pools",
        "2",
        "--seats-per-pool",
        "3",
        "--json",
        "--database-url",
        &db.url,
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert!(
        value["slug"].as_str().unwrap().starts_with("seed-"),
        "{value}"
    );
    assert!(
        value["access_token"]
            .as_str()
            .unwrap()
            .starts_with("skp_oat_")
    );
    assert_eq!(value["counts"]["pools"], 2);
    assert_eq!(value["counts"]["seats"], 6);
    assert!(
        text(&out.stderr).contains("seeded 2/2 pools"),
        "{}",
        text(&out.stderr)
    );
    // Into the organization just made: a second seeding adds to it.
    let slug = value["slug"].as_str().unwrap();
    let again = run(&[
        "dev",
        "seed",
        "--pools",
        "1",
        "--organization",
        slug,
        "--json",
        "--database-url",
        &db.url,
    ]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "stderr: {}",
        text(&again.stderr)
    );
    let value: serde_json::Value = serde_json::from_str(&text(&again.stdout)).unwrap();
    assert_eq!(value["access_token"], serde_json::Value::Null, "{value}");
    assert_eq!(value["counts"]["seats"], 10, "ten seats a pool by default");
}

both_backends!(
    dev_seed_creates_an_organization_and_prints_what_it_wrote,
    org_create_with_json_prints_exactly_one_json_object,
    a_duplicate_slug_exits_1_with_one_clear_error_line,
    migrate_applies_the_migrations_and_exits_0,
);

#[test]
fn an_unknown_flag_is_a_usage_error_with_exit_code_2() {
    let out = run(&["serve", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Usage:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn dev_seed_refuses_more_seats_than_a_pool_holds_as_a_usage_error() {
    let out = run(&[
        "dev",
        "seed",
        "--pools",
        "1",
        "--seats-per-pool",
        "1001",
        "--database-url",
        "sqlite://unused.db",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1..=1000"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_invalid_slug_is_a_usage_error_naming_the_rule() {
    let out = run(&[
        "org",
        "create",
        "--name",
        "Acme",
        "--slug",
        "Acme!",
        "--database-url",
        "sqlite://unused.db",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("lower-case letters"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_documents_every_serve_flag_and_its_environment_variable() {
    let help = text(&run(&["serve", "--help"]).stdout);
    for needle in [
        "--database-url",
        "DATABASE_URL",
        "--bind",
        "SEATKEEPER_BIND",
        "--public-url",
        "SEATKEEPER_PUBLIC_URL",
        "--smtp-url",
        "SMTP_URL",
        "--test-clock",
        "--demo",
        "--max-connections",
        "--log-format",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn an_unsupported_database_url_is_one_clear_line_and_exit_code_1() {
    let out = run(&["migrate", "--database-url", "mysql://localhost/db"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("unsupported database URL scheme \"mysql\""),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_database_url_without_a_scheme_is_refused() {
    let out = run(&["migrate", "--database-url", "data.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("malformed database URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_unreachable_postgres_is_one_line_naming_host_and_port() {
    let out = run(&[
        "migrate",
        "--database-url",
        "postgres://postgres@127.0.0.1:1/none",
        "--connect-timeout",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
}

#[test]
fn a_sqlite_file_in_a_folder_that_cannot_be_created_is_a_clear_error() {
    let out = run(&[
        "migrate",
        "--database-url",
        "sqlite:///proc/nope/seatkeeper.db",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/proc/nope"),
        "{}",
        text(&out.stderr)
    );
}

/// A `seatkeeper serve` child process, killed when dropped.
struct Served {
    child: std::process::Child,
    stdout: std::sync::mpsc::Receiver<String>,
    stderr: std::sync::mpsc::Receiver<String>,
    base: String,
}

/// Lines of `pipe`, as they come.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database_url: &str, extra: &[&str]) -> Served {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = seatkeeper()
        .args(["serve", "--bind", &bind, "--database-url", database_url])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let served = Served {
        stdout: lines_of(child.stdout.take().unwrap()),
        stderr: lines_of(child.stderr.take().unwrap()),
        child,
        base: format!("http://{bind}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(&bind).is_ok() {
            return served;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("seatkeeper serve did not start on {bind}");
}

impl Served {
    /// Every line printed on stdout so far.
    fn printed(&self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(200));
        self.stdout.try_iter().collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_prints_a_working_token_once() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let first = serve(&db.url, &["--demo"]);
    let lines = first.printed();
    let token = lines
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Access token:")
                .map(|t| t.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no token printed: {lines:?}"));
    let organization_id = lines
        .iter()
        .find_map(|l| {
            l.split('(')
                .nth(1)
                .and_then(|rest| rest.strip_suffix(')'))
                .filter(|_| l.contains("Organization:"))
        })
        .unwrap_or_else(|| panic!("no organization printed: {lines:?}"))
        .to_owned();
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/v1/organizations/{organization_id}", first.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let checkout_url = lines
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Buy seats:")
                .map(|t| t.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no checkout printed: {lines:?}"));
    let checkout_page = client.get(&checkout_url).send().await.unwrap();
    assert_eq!(checkout_page.status(), 200);
    assert!(checkout_page.text().await.unwrap().contains("Team plan"));
    let mailbox = format!("{}/dev/mailbox", first.base);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Mailbox:") && l.contains(&mailbox)),
        "the mailbox is printed next to the checkout: {lines:?}"
    );
    assert_eq!(client.get(&mailbox).send().await.unwrap().status(), 200);
    let products: serde_json::Value = client
        .get(format!("{}/v1/products", first.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = products["items"][0]["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["license_keys", "custom"],
        "a demo seat gives a license key and a note"
    );
    let home = client
        .get(format!("{}/", first.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Demo Company"), "{home}");
    drop(first);

    let second = serve(&db.url, &["--demo"]);
    let lines = second.printed();
    assert!(
        !lines.iter().any(|l| l.contains(&token)),
        "token printed twice: {lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("already")), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_test_clock_start_holds_time_at_that_instant() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let token = acme_token_from_cli(&db.url);
    let served = serve(
        &db.url,
        &["--test-clock", "--test-clock-start", "2027-01-01T00:00:00Z"],
    );
    let client = reqwest::Client::new();
    let clock = format!("{}/v1/test-clock", served.base);
    for _ in 0..2 {
        let now: serde_json::Value = client
            .get(&clock)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(now["now"], "2027-01-01T00:00:00Z");
    }
}

#[test]
fn a_test_clock_start_without_the_test_clock_is_a_usage_error() {
    let out = run(&["serve", "--test-clock-start", "2027-01-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--test-clock"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exits_0_on_sigterm() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let mut served = serve(&db.url, &[]);
    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(exit) = served.child.try_wait().unwrap() {
            assert_eq!(exit.code(), Some(0));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_refuses_a_public_url_without_a_scheme() {
    let out = run(&[
        "serve",
        "--public-url",
        "example.com",
        "--database-url",
        "sqlite://unused.db",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--public-url"),
        "{}",
        text(&out.stderr)
    );
}

/// The capacity guarantee across processes: two `seatkeeper serve` processes share one PostgreSQL
/// database and receive 200 parallel assigns (alternating) into one 50-seat pool.
mod two_processes_sharing_a_database_never_oversell {
    use super::*;
    use serde_json::{Value, json};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let db = TestDatabase::new(Backend::Postgres).await;
        let token = acme_token_from_cli(&db.url);
        let first = serve(&db.url, &[]);
        let second = serve(&db.url, &[]);
        let client = reqwest::Client::new();
        let product = json!({
            "name": "Team plan",
            "recurring_interval": "month",
            "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
        });
        let product: Value = client
            .post(format!("{}/v1/products", first.base))
            .bearer_auth(&token)
            .json(&product)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let checkout = json!({"products": [product["id"]], "seats": 50, "customer_email": "billing@globex.example"});
        let checkout: Value = client
            .post(format!("{}/v1/checkouts", second.base))
            .bearer_auth(&token)
            .json(&checkout)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let secret = checkout["client_secret"].as_str().unwrap();
        let confirm = client
            .post(format!(
                "{}/v1/checkouts/client/{secret}/confirm",
                first.base
            ))
            .json(&json!({"confirmation_token_id": "tok_visa"}))
            .send()
            .await
            .unwrap();
        assert_eq!(confirm.status(), 200);
        let paid: Value = client
            .get(format!("{}/v1/checkouts/client/{secret}", second.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let subscription = paid["subscription_id"].as_str().unwrap().to_owned();

        let handles: Vec<_> = (0..200)
            .map(|i| {
                let client = client.clone();
                let base = if i % 2 == 0 { first.base.clone() } else { second.base.clone() };
                let token = token.clone();
                let body = json!({"subscription_id": subscription, "email": format!("person{i}@x.example")});
                tokio::spawn(async move {
                    let response = client.post(format!("{base}/v1/customer-seats")).bearer_auth(token).json(&body).send().await.unwrap();
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap();
                    (status, body["error"].as_str().map(str::to_owned))
                })
            })
            .collect();
        let (mut ok, mut full) = (0, 0);
        for handle in handles {
            match handle.await.unwrap() {
                (200, _) => ok += 1,
                (400, Some(error)) if error == "SeatNotAvailable" => full += 1,
                other => panic!("unexpected answer {other:?}"),
            }
        }
        assert_eq!((ok, full), (50, 150));
        for served in [&first, &second] {
            let list: Value = client
                .get(format!(
                    "{}/v1/customer-seats?subscription_id={subscription}",
                    served.base
                ))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(list["seats"].as_array().unwrap().len(), 50);
            assert_eq!(list["available_seats"], 0);
        }
    }
}

#[test]
fn the_development_mailbox_is_refused_off_loopback_and_with_smtp() {
    for flags in [
        &["--dev-mailbox", "--bind", "0.0.0.0:0"][..],
        &["--demo", "--bind", "0.0.0.0:0"][..],
        &["--dev-mailbox", "--smtp-url", "smtp://127.0.0.1:1"][..],
    ] {
        let mut serve = seatkeeper();
        serve
            .arg("serve")
            .args(flags)
            .args(["--database-url", "sqlite://unused.db"]);
        let out = exits_within(serve, Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(1), "{flags:?}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("loopback") || stderr.contains("exclude each other"),
            "{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_or_the_dev_mailbox_emails_wait_and_the_server_says_so() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let served = serve(&db.url, &[]);
    let mailbox = reqwest::get(format!("{}/dev/mailbox", served.base))
        .await
        .unwrap();
    assert_eq!(mailbox.status(), 404, "no public mailbox by default");
    let ready: serde_json::Value = reqwest::get(format!("{}/readyz", served.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        ready["email"].as_str().unwrap().starts_with("queued"),
        "{ready}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let logged: Vec<String> = served.stderr.try_iter().collect();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("emails") && l.contains("wait in the outbox")),
        "{logged:?}"
    );

    let with_mailbox = serve(&db.url, &["--dev-mailbox"]);
    let mailbox = reqwest::get(format!("{}/dev/mailbox", with_mailbox.base))
        .await
        .unwrap();
    assert_eq!(mailbox.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_names_each_route_and_never_a_token_from_a_path_or_query() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let mut served = serve(&db.url, &[]);
    let client = reqwest::Client::new();
    for path in [
        "/v1/customer-seats/claim/skp_inv_SECRETSECRET1",
        "/v1/checkouts/client/skp_chk_SECRETSECRET2",
        "/acme/portal/claim?token=skp_inv_SECRETSECRET3",
        "/checkout/skp_chk_SECRETSECRET4",
        "/no/such/skp_inv_SECRETSECRET5",
    ] {
        client
            .get(format!("{}{path}", served.base))
            .send()
            .await
            .unwrap();
    }
    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    served.child.wait().unwrap();
    let logged: Vec<String> = served.stderr.try_iter().collect();
    let log = logged.join("\n");
    assert!(
        log.contains("route=\"/v1/customer-seats/claim/{invitation_token}\""),
        "{log}"
    );
    assert!(log.contains("route=\"/checkout/{client_secret}\""), "{log}");
    assert!(log.contains("route=\"(unmatched)\""), "{log}");
    assert!(
        !log.contains("SECRETSECRET"),
        "a token reached the log:\n{log}"
    );
}
