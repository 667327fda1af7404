//! The databases of a run and the server under test, set up through the HTTP API like a merchant would.

use super::*;

// ---------------------------------------------------------------------------------------------
// Databases

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// A PostgreSQL database made for the run.
pub(crate) struct BenchDatabase {
    pub(crate) admin: String,
    pub(crate) name: String,
    pub(crate) url: String,
}

impl BenchDatabase {
    pub(crate) async fn create(admin: &str, prefix: &str) -> anyhow::Result<Self> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .with_context(|| format!("cannot connect to {admin}"))?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let _ = conn.close().await;
        Ok(Self {
            url: replace_database(admin, &name),
            admin: admin.to_owned(),
            name,
        })
    }

    pub(crate) async fn drop_database(self) {
        let dropped = async {
            let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .await?;
            conn.close().await
        };
        if let Err(e) = dropped.await {
            eprintln!("warning: could not drop database {}: {e}", self.name);
        }
    }
}

/// `postgres://u@h:p/old?x` → `postgres://u@h:p/new?x`.
pub(crate) fn replace_database(url: &str, database: &str) -> String {
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

/// Where a run's data lives; removed afterwards.
pub(crate) enum RunDatabase {
    Sqlite(tempfile::TempDir),
    Postgres(BenchDatabase),
}

impl RunDatabase {
    pub(crate) async fn create(
        config: &Config,
        kind: DatabaseKind,
    ) -> anyhow::Result<(Self, String)> {
        match kind {
            DatabaseKind::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("seatkeeper.db").display());
                Ok((Self::Sqlite(dir), url))
            }
            DatabaseKind::Postgres => {
                let database = BenchDatabase::create(&config.postgres_admin, "sk_bench").await?;
                let url = database.url.clone();
                Ok((Self::Postgres(database), url))
            }
        }
    }

    pub(crate) async fn remove(self) {
        match self {
            Self::Sqlite(dir) => drop(dir),
            Self::Postgres(database) => database.drop_database().await,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test

/// The real router on a fresh database, with an organization to act as.
pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
    pub(crate) database_url: String,
}

/// What stops a [`Server`]: the HTTP server, then its mailer and its database pool.
pub(crate) struct ServerHandle {
    pub(crate) stop: tokio::sync::oneshot::Sender<()>,
    pub(crate) task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl ServerHandle {
    pub(crate) async fn shut_down(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }
}

impl Server {
    pub(crate) async fn start(
        config: &Config,
        database_url: &str,
    ) -> anyhow::Result<(Arc<Self>, ServerHandle)> {
        // As `seatkeeper serve` without `--smtp-url` but with the development mailbox: the mailer
        // marks emails sent and keeps their bodies (the claim phase reads its tokens there). The
        // claim phase drives the public claim endpoint from one address at full speed: no rate limit.
        let settings = Settings {
            connect: ConnectOptions {
                max_connections: config.max_connections,
                ..ConnectOptions::default()
            },
            workers: WorkerSettings {
                sweeper: false,
                mailer: true,
                webhooks: true,
            },
            ..Settings::local(database_url)
        };
        let app = Application::build(settings).await?;
        let address = app.address();
        let token = create_organization(app.services()).await?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let server = Self {
            base: base_url(address),
            client: http_client()?,
            token,
            database_url: database_url.to_owned(),
        };
        Ok((Arc::new(server), ServerHandle { stop, task }))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let request = self.client.post(self.url(path)).bearer_auth(&self.token);
        read_json(request.json(body)).await
    }

    pub(crate) async fn get(&self, path: &str) -> anyhow::Result<(u16, Value)> {
        read_json(self.client.get(self.url(path)).bearer_auth(&self.token)).await
    }
}

pub(crate) fn base_url(address: SocketAddr) -> String {
    format!("http://{address}")
}

/// An organization and its all-scopes token, through the service `seatkeeper org create` uses.
pub(crate) async fn create_organization(services: &Services) -> anyhow::Result<String> {
    let created = services
        .create_organization(CreateOrganization {
            name: "Bench Inc".to_owned(),
            slug: Slug::parse("bench").map_err(|e| anyhow!("slug: {e:?}"))?,
            email: None,
        })
        .await
        .map_err(|e| anyhow!("cannot create the organization: {e:?}"))?;
    Ok(created.access_token.expose_secret().to_owned())
}

pub(crate) async fn read_json(request: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, body))
}

pub(crate) fn id_of(body: &Value, field: &str) -> anyhow::Result<String> {
    body[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no `{field}` in {body}"))
}

/// A seat-based product priced $10 a seat, a month, up to the system's 1,000 seats per pool.
pub(crate) async fn create_product(server: &Server) -> anyhow::Result<String> {
    let product = json!({
        "name": "Bench plan",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (status, body) = server.post("/v1/products", &product).await?;
    ensure!(status == 201 || status == 200, "product: {status} {body}");
    id_of(&body, "id")
}

/// Buys `seats` seats for `customer_email` (checkout, confirm with `tok_visa`): the subscription id.
pub(crate) async fn buy(
    server: &Server,
    product: &str,
    seats: usize,
    customer_email: &str,
) -> anyhow::Result<String> {
    let body = json!({"products": [product], "seats": seats, "customer_email": customer_email});
    let (status, checkout) = server.post("/v1/checkouts", &body).await?;
    ensure!(status == 201, "checkout: {status} {checkout}");
    let path = format!(
        "/v1/checkouts/client/{}",
        id_of(&checkout, "client_secret")?
    );
    let confirm = json!({"confirmation_token_id": "tok_visa"});
    let (status, confirmed) = read_json(
        server
            .client
            .post(server.url(&format!("{path}/confirm")))
            .json(&confirm),
    )
    .await?;
    ensure!(status == 200, "confirm: {status} {confirmed}");
    let (status, paid) = read_json(server.client.get(server.url(&path))).await?;
    ensure!(status == 200, "checkout after confirm: {status} {paid}");
    id_of(&paid, "subscription_id")
}

/// `count` pools of `seats` seats, each bought by its own billing customer.
pub(crate) async fn buy_pools(
    server: &Arc<Server>,
    product: &str,
    count: usize,
    seats: usize,
    label: &str,
) -> anyhow::Result<Vec<String>> {
    let mut pools = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(8) {
        let mut tasks = tokio::task::JoinSet::new();
        for &k in chunk {
            let server = server.clone();
            let product = product.to_owned();
            let email = format!("billing-{label}-{k}@customers.bench.example");
            tasks.spawn(async move { buy(&server, &product, seats, &email).await });
        }
        while let Some(pool) = tasks.join_next().await {
            pools.push(pool??);
        }
    }
    Ok(pools)
}

/// One assign; the status and the error name when there is one.
pub(crate) async fn assign(
    server: &Server,
    subscription: &str,
    email: &str,
) -> anyhow::Result<(u16, Option<String>)> {
    let body = json!({"subscription_id": subscription, "email": email});
    let (status, answer) = server.post("/v1/customer-seats", &body).await?;
    Ok((status, answer["error"].as_str().map(str::to_owned)))
}

/// The pool's `SeatsList`: seats in the list that hold capacity, `total_seats`, `available_seats`.
pub(crate) async fn pool_counts(
    server: &Server,
    subscription: &str,
) -> anyhow::Result<(u64, u64, u64)> {
    let (status, list) = server
        .get(&format!(
            "/v1/customer-seats?subscription_id={subscription}"
        ))
        .await?;
    ensure!(status == 200, "list: {status} {list}");
    let active = list["seats"]
        .as_array()
        .ok_or_else(|| anyhow!("no seats in {list}"))?
        .iter()
        .filter(|s| s["status"] == "pending" || s["status"] == "claimed")
        .count() as u64;
    let total = list["total_seats"].as_u64().unwrap_or_default();
    let available = list["available_seats"].as_u64().unwrap_or_default();
    Ok((active, total, available))
}
