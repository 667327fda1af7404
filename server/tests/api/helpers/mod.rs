//! Test support, one file per concern: fresh databases on either backend (`database.rs`), the real
//! server on port 0 with request helpers (`test_app.rs`), the binary in a process of its own
//! (`binary.rs`), and one file per resource the tests create
//! through the API: products and checkouts (`checkouts.rs`), customers and members
//! (`customers.rs`), seat pools and seats (`seats.rs`), pools giving benefits and claimed seats
//! (`entitlements.rs`). Tests `use crate::helpers::*`.

pub mod binary;
pub mod checkouts;
pub mod customers;
pub mod database;
pub mod entitlements;
pub mod seats;
pub mod test_app;

pub use binary::*;
pub use checkouts::*;
pub use customers::*;
pub use database::*;
pub use test_app::*;

/// A TCP port free on the loopback interface just now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `seatkeeper org create --json` of an organization "Acme" on `database_url`, as an operator
/// would run it: the access token it printed.
pub fn acme_token_from_cli(database_url: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_seatkeeper"))
        .args([
            "org", "create", "--name", "Acme", "--slug", "acme", "--json",
        ])
        .args(["--database-url", database_url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    created["access_token"].as_str().unwrap().to_owned()
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test function (`async fn name(backend: Backend)`, an ordinary function that
/// rustfmt formats) on both backends, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// Status and JSON body of a response.
pub async fn json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// Asserts a Polar error body `{"error": name, "detail": "..."}` with this status.
pub async fn assert_error(
    response: reqwest::Response,
    status: u16,
    error: &str,
) -> serde_json::Value {
    let (got, body) = json(response).await;
    assert_eq!(got, status, "status of {body}");
    assert_eq!(body["error"], error, "error name of {body}");
    assert!(
        body["detail"].is_string() || body["detail"].is_array(),
        "detail of {body}"
    );
    body
}

/// Asserts a 422 whose first issue is at `loc` with type `kind`.
pub async fn assert_validation(response: reqwest::Response, loc: serde_json::Value, kind: &str) {
    let body = assert_error(response, 422, "RequestValidationError").await;
    let issue = &body["detail"][0];
    assert_eq!(issue["loc"], loc, "loc of {body}");
    assert_eq!(issue["type"], kind, "type of {body}");
    assert!(
        issue["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "msg of {body}"
    );
}
