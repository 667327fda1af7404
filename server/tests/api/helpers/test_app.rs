//! The real server, built as `seatkeeper serve` builds it, on a free loopback port, and typed
//! request helpers.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use app::{
    model::{OrganizationId, Scopes, Slug},
    server::{
        clock::TestClock,
        service::{CreateOrganization, Services},
        store::Store,
    },
};
use secrecy::ExposeSecret;
use server::application::{Application, ClockSetting, Settings};

use super::{Backend, TestDatabase};

/// How to start a test server.
#[derive(Clone, Debug)]
pub struct AppOptions {
    pub test_mode: bool,
    /// Requests per minute per address on the public endpoints (none: no limit, as most tests
    /// make many requests from one address).
    pub rate_limit: Option<u32>,
    pub timeouts: server::limits::Timeouts,
    /// Where the frozen test clock starts (now when none).
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Webhook endpoints may be plain http and loopback (`--webhook-allow-private`).
    pub webhook_allow_private: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            test_mode: true,
            rate_limit: None,
            timeouts: server::limits::Timeouts::default(),
            clock_start: None,
            webhook_allow_private: true,
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
    /// A token of the organization made to move the test clock, made at first use.
    clock_token: tokio::sync::OnceCell<String>,
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
    second_server_with(first, AppOptions::default()).await
}

/// [`second_server`], started with `options`.
pub async fn second_server_with(first: &TestApp, options: AppOptions) -> TestApp {
    serve_database(first.database_url.clone(), None, options).await
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
            clock: options
                .clock_start
                .map_or_else(TestClock::new, TestClock::frozen_at),
            http_endpoint: options.test_mode,
        },
        rate_limit: options.rate_limit,
        timeouts: options.timeouts,
        webhook_allow_private: options.webhook_allow_private,
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
        clock_token: tokio::sync::OnceCell::new(),
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
            id: created.organization.summary.id,
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

    pub async fn delete_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
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

    /// `POST /v1/test-clock/advance` with `body` (`{"seconds": n}` or `{"to": time}`), as an
    /// organization made for it: moves the server's clock and runs what became due.
    pub async fn advance_clock(&self, body: &serde_json::Value) -> reqwest::Response {
        let token = self.clock_token().await;
        self.post_as(token, "/v1/test-clock/advance", body).await
    }

    /// A token of an organization made (once) to move the test clock with.
    pub async fn clock_token(&self) -> &str {
        self.clock_token
            .get_or_init(|| async { self.create_org("test-clock").await.token })
            .await
    }

    /// The kinds of the outbox events of `org`, oldest first.
    pub async fn event_kinds(&self, org: &TestOrg) -> Vec<String> {
        self.store
            .events(org.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind.to_owned())
            .collect()
    }

    /// The integers `sql` selects, straight from the database (what no endpoint shows).
    pub async fn integers(&self, sql: &str) -> Vec<i64> {
        if self.database_url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(&self.database_url).await.unwrap();
            let values = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(&pool)
                .await
                .unwrap();
            pool.close().await;
            values
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
            let values = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(&pool)
                .await
                .unwrap();
            pool.close().await;
            values
        }
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

    pub async fn post_raw_as(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }
}
