//! Databases that exist for one test: a temporary SQLite file, or a fresh PostgreSQL database
//! dropped afterwards.

use std::sync::Arc;

use app::server::store::{ConnectOptions, Store, connect_and_migrate};

use super::Backend;

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

#[test]
fn replacing_the_database_keeps_credentials_and_options() {
    assert_eq!(
        replace_database("postgres://u:p@h:5/postgres?sslmode=disable", "x"),
        "postgres://u:p@h:5/x?sslmode=disable"
    );
    assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
}
