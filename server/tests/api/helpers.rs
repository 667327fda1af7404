//! Test support: fresh databases on either backend, `spawn_app()` serving the real router on port 0,
//! and typed request helpers.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use app::{
    model::{OrganizationId, Scopes, Slug},
    server::{
        clock::TestClock,
        service::{CreateOrganization, Services},
        store::{ConnectOptions, Store, connect_and_migrate},
    },
};
use secrecy::ExposeSecret;
use server::application::{Application, ClockSetting, Settings};

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

fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!(
                    "sqlite://{}",
                    dir.path().join("nested/seatkeeper.db").display()
                );
                Self {
                    url,
                    _dir: Some(dir),
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                use sqlx::{Connection, Executor};
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL tests need a server at TEST_DATABASE_URL ({admin}): {e}. \
                         `make test` skips them when none is reachable."
                        )
                    });
                let name = format!("sk_test_{}", uuid::Uuid::new_v4().simple());
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap();
                let _ = conn.close().await;
                let url = replace_database(&admin, &name);
                Self {
                    url,
                    _dir: None,
                    postgres_name: Some(name),
                }
            }
        }
    }
}

/// `postgres://u@h:p/old?x` → `postgres://u@h:p/new?x`.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{database}?{q}"),
        None => format!("{root}/{database}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs outside any async context we could block on: use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                use sqlx::{Connection, Executor};
                if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// A migrated store on a fresh database.
pub async fn fresh_store(backend: Backend) -> (Arc<dyn Store>, TestDatabase) {
    let db = TestDatabase::new(backend).await;
    let store = connect_and_migrate(&db.url, &ConnectOptions::default())
        .await
        .unwrap();
    (store, db)
}

/// How to start a test server.
#[derive(Clone, Debug)]
pub struct AppOptions {
    pub test_mode: bool,
    /// Requests per minute per address on the public endpoints (none: no limit, as most tests
    /// make many requests from one address).
    pub rate_limit: Option<u32>,
    pub timeouts: server::limits::Timeouts,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            test_mode: true,
            rate_limit: None,
            timeouts: server::limits::Timeouts::default(),
        }
    }
}

/// A running server on a fresh database.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub services: Services,
    /// The store under the services, to check what was written.
    store: Arc<dyn Store>,
    pub database_url: String,
    /// Kept so the database lives as long as the server (none for a [`second_server`]).
    _db: Option<TestDatabase>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, AppOptions::default()).await
}

pub async fn spawn_app_with(backend: Backend, options: AppOptions) -> TestApp {
    let db = TestDatabase::new(backend).await;
    serve_database(db.url.clone(), Some(db), options).await
}

/// Another server on `first`'s database, as a second `seatkeeper serve` process behind a load
/// balancer would be: its own connections, caches and clock.
pub async fn second_server(first: &TestApp) -> TestApp {
    serve_database(first.database_url.clone(), None, AppOptions::default()).await
}

/// Builds the application as `seatkeeper serve` does (`Application::build`), on a free loopback
/// port, with a test clock and no background workers (tests drive them).
async fn serve_database(
    database_url: String,
    db: Option<TestDatabase>,
    options: AppOptions,
) -> TestApp {
    let settings = Settings {
        site_root: site_root(),
        clock: ClockSetting::Test {
            clock: TestClock::new(),
            http_endpoint: options.test_mode,
        },
        rate_limit: options.rate_limit,
        timeouts: options.timeouts,
        ..Settings::local(database_url.clone())
    };
    let app = Application::build(settings).await.unwrap();
    let address = app.address();
    let services = app.services().clone();
    let store = app.store();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        services,
        store,
        database_url,
        _db: db,
        shutdown: Some(tx),
    }
}

/// The built site, when there is one (pages render without it; only `/pkg` files need it).
fn site_root() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    root.display().to_string()
}

/// An organization made for a test, with an all-scopes token.
pub struct TestOrg {
    pub id: OrganizationId,
    pub token: String,
}

impl TestApp {
    /// The store under the server, to check what a request wrote.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn create_org(&self, slug: &str) -> TestOrg {
        let created = self
            .services
            .create_organization(CreateOrganization {
                name: format!("Org {slug}"),
                slug: Slug::parse(slug).unwrap(),
                email: None,
            })
            .await
            .unwrap();
        TestOrg {
            id: created.organization.id,
            token: created.access_token.expose_secret().to_owned(),
        }
    }

    /// A further token of `org` with only `scopes`.
    pub async fn token_with(&self, org: &TestOrg, scopes: &str) -> String {
        let scopes: Scopes = scopes.parse().unwrap();
        let secret = self
            .services
            .create_access_token(org.id, scopes, "test")
            .await
            .unwrap();
        secret.expose_secret().to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_as(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_as(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }
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

#[test]
fn replacing_the_database_keeps_credentials_and_options() {
    assert_eq!(
        replace_database("postgres://u:p@h:5/postgres?sslmode=disable", "x"),
        "postgres://u:p@h:5/x?sslmode=disable"
    );
    assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
}
